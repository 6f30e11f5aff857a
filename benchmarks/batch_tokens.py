"""How the padded-token budget per forward pass changes batch throughput on this machine.

    python benchmarks/batch_tokens.py [--sizes 512 1024 2048 4096 8192] [--articles 40]

Runs `Analyzer.pipe` over SemEval-2023 test articles of 500 to 900 tokens (the repository
examples without the data) once per budget, in the order given, and prints articles/s.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from speed import ROOT, load_articles, n_tokens  # benchmarks/speed.py
from unspin.analyzer import Analyzer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "semeval2023")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 4096, 8192, 1024])
    parser.add_argument("--articles", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(2)
    analyzer = Analyzer.from_bundle(args.model)
    articles = [a for a in load_articles(args.data, 10 * args.articles) if 500 <= n_tokens(analyzer, a) <= 900]
    articles = articles[: args.articles]
    analyzer.analyze_many(articles[:2])  # warm-up
    results = []
    for size in args.sizes:
        analyzer.batch_tokens = size
        started = time.perf_counter()
        list(analyzer.pipe(articles, batch_size=16))
        results.append(
            {"batch_tokens": size, "articles_per_s": round(len(articles) / (time.perf_counter() - started), 2)}
        )
    print(json.dumps({"articles": len(articles), "results": results}, indent=1))


if __name__ == "__main__":
    main()
