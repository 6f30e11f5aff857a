"""Two or more bundles side by side on this machine: the same speed runs, interleaved.

    python benchmarks/speed_compare.py --model runs/v1-bundle --model src/unspin/models/unspin-e5-small [--rounds 3]

Each round runs ``benchmarks/speed.py`` once per bundle, in a fresh process (so peak RSS
is the bundle's own), alternating, so that load on this shared machine hits both alike.
Prints the median of each figure and the ratio of every bundle to the first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIGURES = {
    "model load (s)": lambda r: r["model_load_s"],
    "latency p50 (s)": lambda r: r["latency_p50_s"],
    "batch articles/s": lambda r: r["batch"]["articles_per_s"],
    "batch tokens/s": lambda r: r["batch"]["tokens_per_s"],
    "500-900-token articles/s": lambda r: r["batch_of_500_to_900_token_articles"]["articles_per_s"],
    "peak RSS (MB)": lambda r: r["peak_rss_mb"],
}


def run(model: Path, articles: int) -> dict:
    command = [
        sys.executable,
        str(HERE / "speed.py"),
        "--model",
        str(model),
        "--articles",
        str(articles),
        "--repeats",
        "10",
        "--no-naive",
    ]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--articles", type=int, default=40)
    args = parser.parse_args()
    results: dict[Path, list[dict]] = {m: [] for m in args.model}
    for _ in range(args.rounds):
        for model in args.model:
            results[model].append(run(model, args.articles))
    first = args.model[0]
    print(
        "| figure | "
        + " | ".join(str(m) for m in args.model)
        + " | "
        + " | ".join(f"{m.name} / {first.name}" for m in args.model[1:])
        + " |"
    )
    print("|---" * (2 * len(args.model)) + "|")
    for name, get in FIGURES.items():
        medians = [statistics.median(get(r) for r in results[m]) for m in args.model]
        ratios = [f"{v / medians[0]:.2f}" for v in medians[1:]]
        print(f"| {name} | " + " | ".join(f"{v:g}" for v in medians) + " | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
