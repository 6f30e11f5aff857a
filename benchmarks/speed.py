"""Speed of the Analyzer on this machine: load time, latency, batch throughput, peak memory.

    python benchmarks/speed.py [--model DIR] [--data ../shared/data/semeval2023] [--articles 60]

Articles come from the unlabelled SemEval-2023 test text (six languages) when the data is
present, else from the repository's examples. Latency is measured on one ~700-token
article; throughput on a batch. The naive baseline runs the same network in fp32, one
paragraph at a time with no batching. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

import torch

from unspin import Article
from unspin.analyzer import Analyzer, default_model_path
from unspin.formats import semeval
from unspin.model.inference import aggregate, run_windows, window_inputs

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")


def load_articles(data: Path | None, count: int) -> list[Article]:
    if data and data.is_dir():
        per_language = [semeval.read_articles(data / lang / "test-articles-subtask-3") for lang in LANGUAGES]
        mixed = [a for group in zip(*per_language, strict=False) for a in group]
        return mixed[:count]
    examples = [Article.from_text(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.txt"))]
    return (examples * count)[:count]


def n_tokens(analyzer: Analyzer, article: Article) -> int:
    return sum(len(t.ids) for t in analyzer.bundle.tokenizer.tokenize([p.text for p in article.paragraphs]))


def article_of_about(analyzer: Analyzer, articles: list[Article], target: int = 700) -> Article:
    return min(articles, key=lambda a: abs(n_tokens(analyzer, a) - target))


def naive_analyze(analyzer: Analyzer, article: Article) -> None:
    """fp32, one paragraph per forward pass, no batching: what a straightforward script does."""
    bundle = analyzer.bundle
    tokenizer, settings = bundle.tokenizer, bundle.settings
    for paragraph in article.paragraphs:
        tokenized = tokenizer.tokenize([paragraph.text])
        inputs = window_inputs(
            tokenized, settings["max_tokens"], settings["stride"], tokenizer.bos_id, tokenizer.eos_id
        )
        outputs = [run_windows(bundle.net, [window], tokenizer.pad_id, bf16=False)[0] for window in inputs]
        aggregate(tokenized, inputs, outputs)


def throughput(run, articles: list[Article], tokens: int) -> dict:
    started = time.perf_counter()
    run(articles)
    seconds = time.perf_counter() - started
    return {
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_s": round(len(articles) / seconds, 2),
        "tokens_per_s": round(tokens / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "semeval2023")
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive one-paragraph-per-pass baseline")
    parser.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        default="auto",
        help="auto: bf16 autocast where the CPU has bf16 instructions",
    )
    args = parser.parse_args()
    bf16 = {"auto": None, "fp32": False, "bf16": True}[args.precision]
    torch.set_num_threads(args.threads)

    started = time.perf_counter()
    analyzer = Analyzer.from_bundle(args.model or default_model_path(), bf16=bf16)
    load_seconds = time.perf_counter() - started
    articles = load_articles(args.data, args.articles)
    tokens = sum(n_tokens(analyzer, a) for a in articles)
    one = article_of_about(analyzer, articles)
    analyzer(one)  # warm-up
    latencies = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        analyzer(one)
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    batch = throughput(lambda items: list(analyzer.pipe(items, batch_size=16)), articles, tokens)
    typical = [a for a in load_articles(args.data, 10 * args.articles) if 500 <= n_tokens(analyzer, a) <= 900][
        : args.articles
    ]
    typical_batch = throughput(
        lambda items: list(analyzer.pipe(items, batch_size=16)), typical, sum(n_tokens(analyzer, a) for a in typical)
    )
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "threads": args.threads,
        "bf16": analyzer.bf16,
        "model_load_s": round(load_seconds, 2),
        "latency_article_tokens": n_tokens(analyzer, one),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "batch": batch,
        "batch_of_500_to_900_token_articles": typical_batch,
        "peak_rss_mb": round(peak_rss_mb),
    }
    if not args.no_naive:
        naive_articles = articles[: max(6, len(articles) // 4)]
        naive_tokens = sum(n_tokens(analyzer, a) for a in naive_articles)
        naive = throughput(lambda items: [naive_analyze(analyzer, a) for a in items], naive_articles, naive_tokens)
        report.update(naive=naive, speedup_vs_naive=round(batch["tokens_per_s"] / naive["tokens_per_s"], 2))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
