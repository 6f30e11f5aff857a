"""Continue the shipped network on two CPU cores, measured: seed weight averaging and recipe changes.

    python benchmarks/soup.py --data ../shared/data/semeval2023 --out runs/soup
    python benchmarks/soup.py --data ../shared/data/semeval2023 --out runs/recipes --skip shipped \\
        --ingredient balanced:seed=3,positive_weight_power=0.5 --ingredient joined:seed=4,english_join_share=0.5

A new 12-layer training is hours on two cores, so this tries the issue's "checkpoint or seed
weight averaging", and the class-balanced loss and joined English paragraphs separately, the
way this machine can:

1. The shipped bundle's lower layers (all but the top ``layers`` of FinetuneConfig, default 2)
   run once over every SemEval train window of the six languages (never a validation
   article) and their output is cached, as in ``unspin train``.
2. For each ingredient (``--ingredient NAME:FIELD=VALUE,...``, TrainConfig fields; default
   two: ``seed-1:seed=1`` and ``seed-2:seed=2``), from the shipped weights, the top layers
   and the heads train for FinetuneConfig's epochs at its learning rates (``--set
   FIELD=VALUE`` changes a FinetuneConfig field). The seed changes the batch order and
   dropout; ``positive_weight_power=0.5`` is the class-balanced loss, ``english_join_share=0.5``
   shows half the English articles as 3-6-line paragraphs. One cache serves all of them.
3. The candidates: the shipped network and each ingredient; for one recipe over several
   seeds also the mean of their weights and the mean of the shipped and their weights (a
   uniform "soup"); for different recipes, each one's soup with the shipped weights.
4. Each candidate's validation scores are computed once and decoded with the shipped
   bundle's calibration curves, at the shipped thresholds and at the candidate's best (span
   threshold for span F1, then technique threshold for the objective): the mean over
   languages of paragraph micro-F1, article micro-F1 and span F1 (lines view), the English
   joined view's paragraph micro-F1 and span F1, and their mean (the balanced objective the
   decoding fit maximises). Best thresholds are chosen on the figures they report: a
   screen, not an estimate; ``unspin calibrate`` gives the chosen one cross-fitted figures.

Each candidate is saved as a bundle under ``<out>/<name>`` (the shipped decoding), so that
``unspin calibrate`` can fit the chosen one's own decoding and cross-fitted figures. A rerun
with the same ``--out`` reuses each ingredient's finished fit (``<out>/NAME.pt``), resumes an
unfinished one from its checkpoint, and scores every candidate again. Results go to ``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from retrain_demo import recipe_overrides
from unspin.analyzer import Analyzer
from unspin.config import default_model_path
from unspin.model.bundle import Bundle, load_bundle
from unspin.split import is_validation
from unspin.train.data import ParagraphExample, join_paragraphs, load_paragraphs
from unspin.train.finetune import FinetuneConfig
from unspin.train.trainer import TrainConfig, build_windows, fit_network, joined_articles, seed_everything
from unspin.train.views import joined_view, load_gold_articles, score_view

THRESHOLDS = np.round(np.arange(0.1, 0.301, 0.025), 3)
LINE_KEYS = ("paragraph_micro_f1", "article_micro_f1", "span_f1")


@dataclass(frozen=True)
class Ingredient:
    """One fit from the shipped weights: a name, a seed and TrainConfig overrides (``pw:seed=3,positive_weight_power=0.5``)."""

    name: str
    overrides: tuple[tuple[str, Any], ...]

    @classmethod
    def parse(cls, text: str) -> Ingredient:
        name, _, settings = text.partition(":")
        chosen = recipe_overrides([s for s in settings.split(",") if s], TrainConfig)
        return cls(name, tuple(sorted(chosen.items())))

    @property
    def recipe(self) -> tuple[tuple[str, Any], ...]:
        return tuple((k, v) for k, v in self.overrides if k != "seed")


def fit_ingredients(
    bundle: Bundle, data: Path, out: Path, ingredients: list[Ingredient], recipe: FinetuneConfig, smoke: bool
) -> dict:
    """Each ingredient's fitted top layers and heads (from the shipped weights), fitted here or loaded from ``out``.

    The lower layers run once for all of them: over the train paragraphs, and over every
    English train article's lines joined into 3-6-line paragraphs where an ingredient sets
    ``english_join_share`` (its share of the English articles is seen joined instead of as lines).
    """
    net = bundle.net
    languages = bundle.meta["training"]["languages"]
    config = recipe.train_config(bundle.settings, len(net.encoder.layers), languages)
    shipped = copy.deepcopy(net.state_dict())
    states = {
        i.name: torch.load(out / f"{i.name}.pt", weights_only=True)
        for i in ingredients
        if (out / f"{i.name}.pt").is_file()
    }
    todo = [i for i in ingredients if i.name not in states]
    if todo:
        started = time.time()
        lines = [p for p in load_paragraphs(data, tuple(languages)) if not p.validation]
        lines = lines[::500] if smoke else lines
        joins = any(dict(i.overrides).get("english_join_share", 0) for i in todo)
        joined = join_paragraphs([p for p in lines if p.language == "en"], np.random.default_rng(13)) if joins else []
        paragraphs = lines + joined
        net.frozen_layers = config.frozen_layers
        net.freeze_lower()
        tokenizer = bundle.tokenizer
        tokenized = tokenizer.tokenize([p.text for p in paragraphs])
        windows = build_windows(
            net, paragraphs, tokenized, config, tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id
        )
        print(
            f"{len(lines)} train paragraphs and {len(joined)} joined English ones, {len(windows.inputs)} windows; "
            f"cached the lower {config.frozen_layers} layers in {time.time() - started:.0f} s",
            flush=True,
        )
        for ingredient in todo:
            started = time.time()
            fit_config = replace(config, **dict(ingredient.overrides))
            seen = seen_paragraphs(paragraphs, len(lines), fit_config)
            rows = [i for i, w in enumerate(windows.inputs) if w.paragraph in seen]
            net.load_state_dict(shipped)
            seed_everything(fit_config.seed)
            work = out / f"{ingredient.name}.work"
            work.mkdir(parents=True, exist_ok=True)
            fit_network(net, windows, rows, fit_config, work)
            states[ingredient.name] = {k: v.detach().clone() for k, v in net.trainable_state().items()}
            torch.save(states[ingredient.name], out / f"{ingredient.name}.pt")
            print(f"{ingredient.name}: {len(rows)} windows, fitted in {time.time() - started:.0f} s", flush=True)
        net.frozen_layers = bundle.settings["frozen_layers"]
    net.load_state_dict(shipped)
    return {"shipped": shipped, **{i.name: states[i.name] for i in ingredients}}


def seen_paragraphs(paragraphs: list[ParagraphExample], lines: int, config: TrainConfig) -> set[int]:
    """Indices of the paragraphs a fit sees: the lines, with a share of English articles joined instead."""
    chosen = joined_articles(paragraphs[:lines], config)
    return {i for i, p in enumerate(paragraphs) if (p.article_id in chosen) == (i >= lines)}


def mean_state(states: list[dict]) -> dict:
    return {k: torch.stack([s[k].float() for s in states]).mean(0) for k in states[0]}


def candidates(fits: dict, ingredients: list[Ingredient]) -> dict:
    """shipped, each ingredient; for one recipe over several seeds the mean of their weights and the
    "soup" (the mean of the shipped and their weights); for different recipes each one's soup with the shipped."""
    shipped = fits.pop("shipped")
    trained = {k: shipped[k] for k in next(iter(fits.values()))}
    chosen = {"shipped": {}, **fits}
    if len({i.recipe for i in ingredients}) == 1:
        if len(fits) > 1:
            chosen["mean"] = mean_state(list(fits.values()))
        chosen["soup"] = mean_state([trained, *fits.values()])
    else:
        chosen.update({f"soup-{name}": mean_state([trained, state]) for name, state in fits.items()})
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
    """The candidate's figures at the shipped thresholds, and at its best ones.

    As ``unspin calibrate`` chooses them: the span threshold for span F1 (with span-first
    labels, spans do not depend on the technique threshold), then the technique threshold
    for the balanced objective.
    """
    predicted = [(view, gold, analyzer.predict([g.article for g in gold])) for _, view, gold in gold_views]
    decoded = [
        (view, gold, [analyzer.decode(g.article, p) for g, p in zip(gold, scores, strict=False)])
        for view, gold, scores in predicted
    ]
    shipped = (analyzer.technique_threshold, analyzer.span_threshold)
    grid = sorted({*THRESHOLDS.tolist(), *shipped})
    span_grid = [t for t in grid if t <= 0.2]
    span = max(span_grid, key=lambda t: (lambda r: r["span_f1"] + r["joined_span_f1"])(figures(decoded, 1.0, t)))
    technique = max(grid, key=lambda t: figures(decoded, t, span)["objective"])
    return {"shipped": figures(decoded, *shipped), "best": figures(decoded, technique, span)}


def figures(decoded: list, technique: float, span: float) -> dict:
    lines, joined = [], {}
    for view, gold, analyses in decoded:
        scored = score_view(gold, [a.with_thresholds(technique, span) for a in analyses]).as_dict()
        if view == "lines":
            lines.append(scored)
        else:
            joined = scored
    row = {k: float(np.mean([s[k] for s in lines])) for k in LINE_KEYS}
    row["joined_paragraph_micro_f1"] = joined.get("paragraph_micro_f1", float("nan"))
    row["joined_span_f1"] = joined.get("span_f1", float("nan"))
    row["objective"] = float(np.mean(list(row.values())))
    row["per_language_paragraph_micro_f1"] = [round(s["paragraph_micro_f1"], 4) for s in lines]
    return {"technique": technique, "span": span, **row}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, default=default_model_path())
    parser.add_argument("--out", type=Path, default=Path("runs/soup"))
    parser.add_argument(
        "--ingredient",
        action="append",
        default=[],
        metavar="NAME[:FIELD=VALUE,...]",
        help="a fit from the shipped weights with TrainConfig overrides (default: seed-1:seed=1 and seed-2:seed=2)",
    )
    parser.add_argument("--skip", action="append", default=[], metavar="CANDIDATE", help="do not score it (shipped)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a FinetuneConfig field")
    parser.add_argument("--smoke", action="store_true", help="a few paragraphs and articles: checks the script runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    recipe = FinetuneConfig(**recipe_overrides(args.set))
    bundle = load_bundle(args.base)
    ingredients = [Ingredient.parse(i) for i in args.ingredient or ["seed-1:seed=1", "seed-2:seed=2"]]
    fits = fit_ingredients(bundle, args.data, args.out, ingredients, recipe, args.smoke)
    gold_views = views(args.data, bundle.meta["training"]["languages"], args.smoke)
    shipped, version = copy.deepcopy(bundle.net.state_dict()), bundle.meta["version"]
    results = {"recipe": {"finetune": vars(recipe), "ingredients": args.ingredient}, "candidates": {}}
    for name, state in candidates(fits, ingredients).items():
        if name in args.skip:
            continue
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
        "| candidate | thresholds (technique, span) | paragraph micro-F1 | article micro-F1 | span F1 | "
        "joined-en paragraph | joined-en span | objective | paragraph micro-F1 en fr ge it po ru |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, result in found.items():
        for which, r in result.items():
            print(
                f"| {name} | {which}: {r['technique']:.3f}, {r['span']:.3f} | {r['paragraph_micro_f1']:.4f} | "
                f"{r['article_micro_f1']:.4f} | {r['span_f1']:.4f} | {r['joined_paragraph_micro_f1']:.4f} | "
                f"{r['joined_span_f1']:.4f} | {r['objective']:.4f} | "
                f"{' '.join(f'{x:.3f}' for x in r['per_language_paragraph_micro_f1'])} |"
            )


if __name__ == "__main__":
    main()
