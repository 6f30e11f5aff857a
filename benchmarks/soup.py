"""Weight averaging on two CPU cores, measured: continue the shipped network with several seeds, average the weights.

    python benchmarks/soup.py --data ../shared/data/semeval2023 --out runs/soup --seeds 1 2

A new 12-layer training is hours on two cores, so this tries the issue's "checkpoint or seed
weight averaging" the way this machine can:

1. The shipped bundle's lower layers (all but the top ``layers`` of FinetuneConfig, default 2)
   run once over every SemEval train window of the six languages (never a validation
   article) and their output is cached, as in ``unspin train``.
2. For each seed, from the shipped weights, the top layers and the heads train for
   FinetuneConfig's epochs at its learning rates (the seed changes the batch order and
   dropout). ``--set FIELD=VALUE`` changes a FinetuneConfig field, ``--train-set
   FIELD=VALUE`` a TrainConfig one (``positive_weight_power=0.5``: class-balanced loss).
3. The candidates: the shipped network, each seed, the mean of the seeds' weights, and the
   mean of the shipped and the seeds' weights (a uniform "soup").
4. Each candidate's validation scores are computed once and decoded with the shipped
   bundle's decoding, at its paragraph thresholds and across a sweep of technique thresholds
   (spans at the shipped span threshold): the mean over languages of paragraph micro-F1,
   article micro-F1 and span F1 (lines view), the English joined view's paragraph
   micro-F1 and span F1, and their mean (the balanced objective the decoding fit maximises).

Each candidate is saved as a bundle under ``<out>/<name>`` (the shipped decoding), so that
``unspin calibrate`` can fit the chosen one's own decoding and cross-fitted figures. A rerun
with the same ``--out`` reuses each seed's finished fit (``<out>/seed-N.pt``) and resumes an
unfinished one from its checkpoint. Results go to ``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import torch

from unspin.analyzer import Analyzer
from unspin.config import default_model_path
from unspin.model.bundle import Bundle, load_bundle
from unspin.split import is_validation
from unspin.train.data import load_paragraphs
from unspin.train.finetune import FinetuneConfig
from unspin.train.trainer import TrainConfig, build_windows, fit_network, seed_everything
from unspin.train.views import joined_view, load_gold_articles, score_view

THRESHOLDS = np.round(np.arange(0.1, 0.301, 0.025), 3)
LINE_KEYS = ("paragraph_micro_f1", "article_micro_f1", "span_f1")


def overrides(settings: list[str], cls: type) -> dict:
    """``["epochs=2"]`` -> ``{"epochs": 2}``, typed by ``cls``'s defaults."""
    defaults = {f.name: getattr(cls(), f.name) for f in fields(cls)}
    chosen = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        if name not in defaults:
            raise SystemExit(f"{setting}: {cls.__name__} has no field {name!r}")
        kind = type(defaults[name]) if defaults[name] is not None else str
        chosen[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return chosen


def fit_seeds(
    bundle: Bundle, data: Path, out: Path, seeds: list[int], recipe: FinetuneConfig, extra: dict, smoke: bool
) -> dict:
    """Each seed's fitted top layers and heads (from the shipped weights), fitted here or loaded from ``out``."""
    net = bundle.net
    languages = bundle.meta["training"]["languages"]
    config = replace(recipe.train_config(bundle.settings, len(net.encoder.layers), languages), **extra)
    shipped = copy.deepcopy(net.state_dict())
    fitted = {s: out / f"seed-{s}.pt" for s in seeds}
    states = {s: torch.load(p, weights_only=True) for s, p in fitted.items() if p.is_file()}
    todo = [s for s in seeds if s not in states]
    if todo:
        started = time.time()
        paragraphs = [p for p in load_paragraphs(data, tuple(languages)) if not p.validation]
        paragraphs = paragraphs[::500] if smoke else paragraphs
        net.frozen_layers = config.frozen_layers
        net.freeze_lower()
        tokenizer = bundle.tokenizer
        tokenized = tokenizer.tokenize([p.text for p in paragraphs])
        windows = build_windows(
            net, paragraphs, tokenized, config, tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id
        )
        print(
            f"{len(paragraphs)} train paragraphs, {len(windows.inputs)} windows; cached the lower "
            f"{config.frozen_layers} layers in {time.time() - started:.0f} s",
            flush=True,
        )
        for seed in todo:
            started = time.time()
            net.load_state_dict(shipped)
            seed_everything(seed)
            work = out / f"seed-{seed}.work"
            work.mkdir(parents=True, exist_ok=True)
            fit_network(net, windows, list(range(len(windows.inputs))), replace(config, seed=seed), work)
            states[seed] = {k: v.detach().clone() for k, v in net.trainable_state().items()}
            torch.save(states[seed], fitted[seed])
            print(f"seed {seed}: fitted in {time.time() - started:.0f} s", flush=True)
        net.frozen_layers = bundle.settings["frozen_layers"]
    net.load_state_dict(shipped)
    return {"shipped": shipped, **{f"seed-{s}": states[s] for s in seeds}}


def mean_state(states: list[dict]) -> dict:
    return {k: torch.stack([s[k].float() for s in states]).mean(0) for k in states[0]}


def candidates(fits: dict) -> dict:
    """shipped, seed-N, mean (of the seeds' weights), soup (the mean of the shipped and the seeds' weights)."""
    shipped = fits.pop("shipped")
    seeds = list(fits.values())
    chosen = {"shipped": {}, **fits}
    if len(seeds) > 1:
        chosen["mean"] = mean_state(seeds)
    chosen["soup"] = mean_state([{k: shipped[k] for k in seeds[0]}, *seeds])
    return chosen


def views(data: Path, languages: list[str], smoke: bool) -> list[tuple[str, str, list]]:
    found = []
    for language in languages:
        gold = load_gold_articles(data, language, is_validation)
        gold = gold[:2] if smoke else gold
        found.append((language, "lines", gold))
        if language == "en":
            found.append((language, "joined", joined_view(gold)))
    return found


def sweep(analyzer: Analyzer, gold_views: list) -> dict:
    """The candidate's figures at the shipped technique threshold and at each swept one."""
    predicted = [(view, gold, analyzer.predict([g.article for g in gold])) for _, view, gold in gold_views]
    decoded = [
        (view, gold, [analyzer.decode(g.article, p) for g, p in zip(gold, scores, strict=False)])
        for view, gold, scores in predicted
    ]
    span = analyzer.span_threshold
    rows = {}
    for threshold in sorted({analyzer.technique_threshold, *THRESHOLDS.tolist()}):
        lines, joined = [], {}
        for view, gold, analyses in decoded:
            scored = score_view(gold, [a.with_thresholds(threshold, span) for a in analyses]).as_dict()
            if view == "lines":
                lines.append(scored)
            else:
                joined = scored
        row = {k: float(np.mean([s[k] for s in lines])) for k in LINE_KEYS}
        row["joined_paragraph_micro_f1"] = joined.get("paragraph_micro_f1", float("nan"))
        row["joined_span_f1"] = joined.get("span_f1", float("nan"))
        row["objective"] = float(np.mean(list(row.values())))
        row["per_language_paragraph_micro_f1"] = [round(s["paragraph_micro_f1"], 4) for s in lines]
        rows[round(threshold, 3)] = row
    return {"shipped_threshold": analyzer.technique_threshold, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, default=default_model_path())
    parser.add_argument("--out", type=Path, default=Path("runs/soup"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a FinetuneConfig field")
    parser.add_argument("--smoke", action="store_true", help="a few paragraphs and articles: checks the script runs")
    parser.add_argument("--train-set", action="append", default=[], metavar="FIELD=VALUE", help="a TrainConfig field")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    recipe = FinetuneConfig(**overrides(args.set, FinetuneConfig))
    bundle = load_bundle(args.base)
    fits = fit_seeds(
        bundle, args.data, args.out, args.seeds, recipe, overrides(args.train_set, TrainConfig), args.smoke
    )
    gold_views = views(args.data, bundle.meta["training"]["languages"], args.smoke)
    shipped, version = copy.deepcopy(bundle.net.state_dict()), bundle.meta["version"]
    results = {"recipe": {"finetune": vars(recipe), "train": args.train_set, "seeds": args.seeds}, "candidates": {}}
    for name, state in candidates(fits).items():
        started = time.time()
        bundle.net.load_state_dict({**shipped, **state})
        if state:
            bundle.meta["version"] = f"{version}+{name}"
            bundle.save(args.out / name)
        results["candidates"][name] = sweep(Analyzer(bundle), gold_views)
        print(f"{name}: scored in {time.time() - started:.0f} s", flush=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print_table(results["candidates"])


def print_table(found: dict) -> None:
    print(
        "| candidate | threshold | paragraph micro-F1 | article micro-F1 | span F1 | joined-en paragraph | "
        "joined-en span | objective | per language (en fr ge it po ru) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, result in found.items():
        rows = result["rows"]
        best = max(rows, key=lambda t: rows[t]["objective"])
        for threshold in dict.fromkeys((result["shipped_threshold"], best)):
            r = rows[round(threshold, 3)]
            print(
                f"| {name} | {threshold:.3f}{' (best)' if threshold == best else ''} | {r['paragraph_micro_f1']:.4f} | "
                f"{r['article_micro_f1']:.4f} | {r['span_f1']:.4f} | {r['joined_paragraph_micro_f1']:.4f} | "
                f"{r['joined_span_f1']:.4f} | {r['objective']:.4f} | "
                f"{' '.join(f'{x:.3f}' for x in r['per_language_paragraph_micro_f1'])} |"
            )


if __name__ == "__main__":
    main()
