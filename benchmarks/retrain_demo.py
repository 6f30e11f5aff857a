"""Retraining on reviews, measured: one language's validation articles play a newsroom's reviewed set.

    python benchmarks/retrain_demo.py --data ../shared/data/semeval2023 --language it --out runs/retrain-demo

1. The validation articles of ``--language`` are cut in two halves by a fixed salted hash
   of their ids (``unspin-retrain-demo-v1``): a "reviewed" half and a test half.
2. The reviewed half is written as reviewed JSON Lines (``<out>/reviewed.jsonl``): the shipped
   model's analysis of each article, with a review layer that is the article's gold spans and
   gold paragraph labels (reviewer ``semeval-gold``, status done), the way a newsroom's
   corrections would arrive.
3. ``unspin train --base <shipped> --extra <out>/reviewed.jsonl --data DATA --out <out>/bundle``
   fine-tunes the shipped bundle on it (timed; log in ``<out>/finetune.log``).
4. The shipped and the fine-tuned bundle analyse the test half through the same Analyzer and
   the same decoding (the fine-tune keeps the shipped curves and thresholds) and are scored by
   :func:`unspin.train.views.score_view`: paragraph micro-F1, article micro-F1 and span F1.
   The whole validation split per language, before and after, comes from the fine-tuned
   bundle's meta.json (the same scorer, run by the fine-tune).

``--set layers=2 --set replay=2`` runs a recipe variant: any field of
:class:`unspin.train.finetune.FinetuneConfig`, in this process (the recipe's fields are not
all CLI flags). Give each variant its own ``--out``.

``--timing-articles 300`` times the fine-tune on a few hundred reviewed articles instead:
SemEval train articles of all languages stand in for the reviews (the base trained on them,
so only the time means something); the figures go to ``<out>/timing.json``.

Results go to ``<out>/results.json`` and are printed as Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from collections import Counter
from dataclasses import fields, replace
from pathlib import Path

from unspin.analyzer import Analyzer
from unspin.config import default_model_path
from unspin.review.jsonl import reviewed_record
from unspin.review.model import Review, ReviewSpan
from unspin.split import hash_share, is_validation
from unspin.train.data import TRAIN_LANGUAGES
from unspin.train.finetune import FinetuneConfig, finetune
from unspin.train.views import GoldArticle, load_gold_articles, score_view

DEMO_SALT = "unspin-retrain-demo-v1"
COLUMNS = ("paragraph_micro_f1", "article_micro_f1", "span_f1")


def reviewed(gold: GoldArticle, analyzer: Analyzer) -> dict:
    """One reviewed JSONL record: the model's analysis, and the gold annotation as the review layer."""
    analysis = analyzer.analyze(gold.article)
    review = Review(
        content_hash=gold.article.content_hash,
        reviewer="semeval-gold",
        status="done",
        model=f"{analyzer.bundle.meta['name']} {analyzer.bundle.meta['version']}",
        spans=[ReviewSpan(start=s.start, end=s.end, technique=s.technique, origin="reviewer") for s in gold.spans],
        paragraphs={number: list(labels) for number, labels in gold.labels.items()},
    )
    return reviewed_record(review, analysis)


def scores(analyzer: Analyzer, gold: list[GoldArticle]) -> dict:
    articles = [g.article for g in gold]
    analyses = [analyzer.decode(a, p) for a, p in zip(articles, analyzer.predict(articles), strict=False)]
    return score_view(gold, analyses).as_dict()


def timing_articles(data: Path, count: int) -> list[GoldArticle]:
    """``count`` train articles (never validation ones) across the SemEval languages, in a fixed hashed order."""
    pool = [
        g for language in TRAIN_LANGUAGES for g in load_gold_articles(data, language, lambda a: not is_validation(a))
    ]
    return sorted(pool, key=lambda g: hash_share(DEMO_SALT, g.article.id or ""))[:count]


def languages(gold: list[GoldArticle]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(Counter(g.language for g in gold).items()))


def recipe_overrides(settings: list[str], config: type = FinetuneConfig) -> dict:
    """``["layers=2", "replay=2"]`` -> ``{"layers": 2, "replay": 2.0}``, typed by ``config``'s defaults."""
    defaults = {f.name: getattr(config(), f.name) for f in fields(config)}
    overrides = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        if name not in defaults:
            raise SystemExit(f"--set {setting}: {config.__name__} has no field {name!r} ({', '.join(defaults)})")
        kind = type(defaults[name]) if defaults[name] is not None else str
        overrides[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--language", default="it", help="SemEval language code (it, ru, ...)")
    parser.add_argument("--base", type=Path, default=default_model_path())
    parser.add_argument("--out", type=Path, default=Path("runs/retrain-demo"))
    parser.add_argument("--epochs", type=int, default=None, help="override the fine-tune's epochs")
    parser.add_argument(
        "--timing-articles",
        type=int,
        default=0,
        metavar="N",
        help="time the fine-tune instead: N SemEval train articles (all languages, by a salted hash) as the "
        "reviewed set; the base trained on them, so only the time means something",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a recipe variant: a FinetuneConfig field (the fine-tune then runs in this process, through the "
        "same unspin.train.finetune.finetune that `unspin train --extra` calls)",
    )
    args = parser.parse_args()
    overrides = recipe_overrides(args.set)
    args.out.mkdir(parents=True, exist_ok=True)

    shipped = Analyzer.from_bundle(args.base)
    if args.timing_articles:
        gold = timing_articles(args.data, args.timing_articles)
        tune, test = gold, []
        print(f"timing: {len(gold)} SemEval train articles as reviews ({languages(gold)})", flush=True)
    else:
        gold = load_gold_articles(args.data, args.language, is_validation)
        tune = [g for g in gold if hash_share(DEMO_SALT, g.article.id or "") < 0.5]
        test = [g for g in gold if hash_share(DEMO_SALT, g.article.id or "") >= 0.5]
        print(
            f"{args.language}: {len(gold)} validation articles, {len(tune)} reviewed, {len(test)} to test", flush=True
        )
    extra = args.out / "reviewed.jsonl"
    extra.write_text("".join(json.dumps(reviewed(g, shipped), ensure_ascii=False) + "\n" for g in tune))

    bundle = args.out / "bundle"
    command = [
        *("unspin", "train", "--base", str(args.base), "--extra", str(extra)),
        *("--data", str(args.data), "--out", str(bundle)),
        *(("--epochs", str(args.epochs)) if args.epochs else ()),
    ]
    started = time.time()
    if not overrides:
        with (args.out / "finetune.log").open("w") as log:
            subprocess.run([sys.executable, "-m", "unspin", *command[1:]], check=True, stdout=log, stderr=log)
    else:
        command.append(f"(in process, {' '.join(args.set)})")
        overrides |= {"epochs": args.epochs} if args.epochs else {}
        handler = logging.FileHandler(args.out / "finetune.log", mode="w")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        logging.getLogger("unspin.train").addHandler(handler)
        logging.getLogger("unspin.train").setLevel(logging.INFO)
        finetune(args.base, extra, bundle, replace(FinetuneConfig(), **overrides), args.data)
    seconds = time.time() - started
    print(f"fine-tune: {seconds:.0f} s wall ({' '.join(command)})", flush=True)

    tuned = Analyzer.from_bundle(bundle)
    meta = tuned.bundle.meta
    if args.timing_articles:
        timing = {"command": " ".join(command), "articles": languages(gold), "wall_seconds": round(seconds)}
        timing |= {k: meta["finetune"][k] for k in ("seconds", "seconds_in_all")}
        timing |= {"paragraphs": meta["data"]["extra"]["languages"], "replayed": meta["data"]["replay"]["paragraphs"]}
        (args.out / "timing.json").write_text(json.dumps(timing, indent=1) + "\n")
        print(json.dumps(timing, indent=1))
        return
    test_scores = {"shipped": scores(shipped, test), "fine-tuned": scores(tuned, test)}
    results = {
        "language": args.language,
        "articles": {"validation": len(gold), "reviewed": len(tune), "test": len(test)},
        "command": " ".join(command),
        "finetune_wall_seconds": round(seconds),
        "finetune_fit_seconds": meta["finetune"]["seconds"],
        "bundle": {"name": meta["name"], "version": meta["version"]},
        "extra": meta["data"]["extra"],
        "replay": meta["data"]["replay"],
        "test_half": test_scores,
        "validation": meta["finetune"]["figures"]["validation"],
        "held_out_20pct": meta["finetune"]["figures"]["held_out"],
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")

    print(
        f"\nTest half ({len(test)} {args.language} validation articles, {test_scores['shipped']['paragraphs']} paragraphs)\n"
    )
    print("| model | paragraph P / R / micro-F1 | article micro-F1 | spans P / R / F1 |")
    print("|---|---|---|---|")
    for name, s in test_scores.items():
        print(
            f"| {name} | {s['paragraph_precision']:.3f} / {s['paragraph_recall']:.3f} / {s['paragraph_micro_f1']:.3f} "
            f"| {s['article_micro_f1']:.3f} | {s['span_precision']:.3f} / {s['span_recall']:.3f} / {s['span_f1']:.3f} |"
        )
    validation = results["validation"]
    print("\nWhole validation split (lines view), before → after\n")
    print("| lang | paragraphs | paragraph micro-F1 | article micro-F1 | span F1 |")
    print("|---|---:|---|---|---|")
    for language, after in validation["after"].items():
        before = validation["before"][language]
        cells = " | ".join(f"{before[k]:.3f} → {after[k]:.3f}" for k in COLUMNS)
        print(f"| {language} | {after['paragraphs']} | {cells} |")
    b, a = validation["summary"]["before"], validation["summary"]["after"]
    print("| mean | | " + " | ".join(f"{b['mean_' + k]:.3f} → {a['mean_' + k]:.3f}" for k in COLUMNS) + " |")


if __name__ == "__main__":
    main()
