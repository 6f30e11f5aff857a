"""Batch throughput through the CLI (`unspin analyze DIR -o out.jsonl`) next to in-process `Analyzer.pipe`.

    python benchmarks/batch_cli.py [--model DIR] [--data ../shared/data/semeval2023] [--articles 300]

The articles (SemEval-2023 test text in six languages when the data is present, else the
repository's examples, numbered so that no two are identical) are written as .txt files
to a temporary directory. Four figures come out:

- in-process: `Analyzer.pipe` on articles already in memory, model already loaded;
- CLI run: the rate the CLI reports for its batch (reading, analysing, writing JSONL),
  without process start and model load;
- CLI end to end: wall time of the whole command, start-up included;
- CLI start-up: the same command on one article.

The gap between the first two is the I/O overhead of a batch run. Run it on an otherwise
idle machine; the CLI uses one torch thread per core unless OMP_NUM_THREADS says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from speed import ROOT, load_articles  # benchmarks/speed.py
from unspin.analyzer import Analyzer, default_model_path
from unspin.formats.inputs import read_documents


def write_corpus(folder: Path, data: Path | None, count: int) -> None:
    seen: set[str] = set()
    for i, article in enumerate(load_articles(data, count)):
        text = article.text if article.text not in seen else f"{article.text}\n\n({i})"
        seen.add(text)
        (folder / f"article-{i:05d}.txt").write_text(text, encoding="utf-8", newline="")


def in_process(analyzer: Analyzer, folder: Path) -> dict:
    articles = [d.unwrap() for d in read_documents([str(folder)])]
    started = time.perf_counter()
    for _ in analyzer.pipe(articles, batch_size=8):
        pass
    seconds = time.perf_counter() - started
    return {
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_s": round(len(articles) / seconds, 2),
    }


def run_cli(model: Path, inputs: list[str], output: Path) -> tuple[float, str]:
    """Run ``unspin analyze``; return its wall time and stderr."""
    command = [
        sys.executable,
        "-m",
        "unspin",
        "analyze",
        *inputs,
        "--model",
        str(model),
        "-o",
        str(output),
        "--no-resume",
    ]
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"the CLI failed ({finished.returncode}): {finished.stderr.strip()[-500:]}")
    return seconds, finished.stderr


def cli(model: Path, inputs: list[str], output: Path) -> dict:
    seconds, stderr = run_cli(model, inputs, output)
    reported = re.search(r"analysed ([\d,]+) documents in .*?\(([\d.]+)/s\)", stderr)
    if reported is None:
        raise SystemExit(f"no summary line in the CLI's stderr: {stderr.strip()[-500:]}")
    articles = int(reported.group(1).replace(",", ""))
    return {
        "articles": articles,
        "wall_s": round(seconds, 2),
        "run_articles_per_s": float(reported.group(2)),
        "end_to_end_articles_per_s": round(articles / seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "semeval2023")
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    model = args.model or default_model_path()
    threads = int(os.environ.get("OMP_NUM_THREADS") or len(os.sched_getaffinity(0)))
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory(prefix="unspin-batch-") as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        write_corpus(folder, args.data, args.articles)
        analyzer = Analyzer.from_bundle(model)
        analyzer(next(read_documents([str(next(folder.iterdir()))])).unwrap())  # warm-up
        pipe = in_process(analyzer, folder)
        batch = cli(model, [str(folder)], Path(tmp) / "out.jsonl")
        startup_s, _ = run_cli(model, [str(next(folder.iterdir()))], Path(tmp) / "one.jsonl")
    report = {
        "threads": threads,
        "in_process": pipe,
        "cli": batch,
        "cli_startup_s": round(startup_s, 2),
        "io_overhead": f"{1 - batch['run_articles_per_s'] / pipe['articles_per_s']:.0%}",
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
