"""Fitting time of two fine-tuning recipes on the same reviewed articles, side by side.

    python benchmarks/finetune_speed.py --extra runs/rd-it-default/reviewed.jsonl --data ../shared/data/semeval2023 \
        --a layers=6 epochs=3 replay=1 --b "" --rounds 2

Each round fits recipe A, then recipe B, from the base bundle's weights in a fresh work
directory (caching the frozen layers included, figures and anchoring left out: they cost
the same for both). ``--a``/``--b`` are FinetuneConfig fields over the defaults ("" is the
default recipe). Prints the median seconds per recipe and the ratio B/A.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from retrain_demo import recipe_overrides
from unspin.config import default_model_path
from unspin.model.bundle import load_bundle
from unspin.train.finetune import FinetuneConfig, load_reviewed, training_paragraphs
from unspin.train.trainer import fit_or_load, seed_everything


def fit_seconds(base: Path, extra: Path, data: Path, config: FinetuneConfig) -> tuple[float, int]:
    """Seconds to fit ``config`` (from loading nothing but the bundle) and the paragraphs it trained on."""
    bundle = load_bundle(base)
    languages = bundle.meta["training"]["languages"]
    net = bundle.net
    train_config = config.train_config(bundle.settings, len(net.encoder.layers), languages)
    reviewed, replayed = training_paragraphs(load_reviewed(extra), data, languages, config)
    paragraphs = reviewed + replayed
    seed_everything(config.seed)
    net.frozen_layers = train_config.frozen_layers
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        fit_or_load(net, bundle.tokenizer, paragraphs, train_config, Path(work), started)
        return time.perf_counter() - started, len(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", type=Path, required=True, help="reviewed JSON Lines")
    parser.add_argument("--data", type=Path, required=True, help="SemEval-2023 data (replay)")
    parser.add_argument("--base", type=Path, default=default_model_path())
    parser.add_argument("--a", default="layers=6 epochs=3 replay=1", help="recipe A (FinetuneConfig fields)")
    parser.add_argument("--b", default="", help="recipe B (default: the default recipe)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    recipes = {
        name: replace(FinetuneConfig(), **recipe_overrides(spec.split()))
        for name, spec in (("A", args.a), ("B", args.b))
    }
    times: dict[str, list[float]] = {"A": [], "B": []}
    for round_ in range(args.rounds):
        for name, config in recipes.items():
            seconds, paragraphs = fit_seconds(args.base, args.extra, args.data, config)
            times[name].append(seconds)
            print(f"round {round_ + 1} {name}: {seconds:.1f} s ({paragraphs} paragraphs)", flush=True)
    a, b = statistics.median(times["A"]), statistics.median(times["B"])
    print("\n| recipe | fields | median fit |\n|---|---|---|")
    print(f"| A | {args.a or 'defaults'} | {a:.1f} s |\n| B | {args.b or 'defaults'} | {b:.1f} s |")
    print(f"\nB / A = {b / a:.2f}")


if __name__ == "__main__":
    main()
