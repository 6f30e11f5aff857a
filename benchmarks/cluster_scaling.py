"""Throughput of a cluster run (`unspin analyze --cluster local:N`) with 1 and 2 workers, next to in-process.

    python benchmarks/cluster_scaling.py [--model DIR] [--data ../shared/data/semeval2023] [--articles 120]

(Not named distributed.py: run as a script, it would shadow Dask's `distributed` package.)

The articles (SemEval-2023 test text in six languages when the data is present, else the
repository's examples) are written to one JSONL shard. Figures:

- in process: `Analyzer.pipe` on articles in memory, model loaded, with 1 and 2 torch threads;
- in-process batch: `run_batch` reading the shard and writing JSONL, as `unspin analyze
  shard.jsonl -o out.jsonl` does, model loaded, with 1 and 2 torch threads;
- cluster: `run_job` on a LocalCluster of 1 and 2 single-threaded worker processes (one
  torch thread each, as a Dask nanny sets OMP_NUM_THREADS=1), the model already loaded on
  every worker, the shard cut into `--partitions` partitions; wall time of the whole job
  (listing, counting, analysing, writing, committing);
- the fixed cost of a partition: a job of 40 partitions of one short record each on one
  worker, per partition;
- each worker's peak memory.

Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import tempfile
import time
from pathlib import Path

import torch

from speed import ROOT, load_articles  # benchmarks/speed.py
from unspin.analyzer import Analyzer, default_model_path
from unspin.batch import run_batch
from unspin.cluster import ClusterJob, run_job
from unspin.cluster.worker import worker_analyzer
from unspin.formats.inputs import read_documents
from unspin.formats.outputs import open_writer


def write_shard(path: Path, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as stream:
        stream.writelines(
            json.dumps({"id": f"a{i:05d}", "text": text}, ensure_ascii=False) + "\n" for i, text in enumerate(texts)
        )


def in_process(analyzer: Analyzer, texts: list[str], threads: int) -> dict:
    torch.set_num_threads(threads)
    analyzer(texts[0])  # warm-up
    started = time.perf_counter()
    for _ in analyzer.pipe(texts, batch_size=8):
        pass
    seconds = time.perf_counter() - started
    return {"threads": threads, "seconds": round(seconds, 2), "articles_per_s": round(len(texts) / seconds, 3)}


def load_model(job: ClusterJob) -> None:
    worker_analyzer(job)


def in_process_batch(analyzer: Analyzer, shard: Path, output: Path, threads: int) -> dict:
    torch.set_num_threads(threads)
    writer = open_writer("jsonl", output)
    try:
        stats = run_batch(read_documents([str(shard)]), analyzer, writer)
    finally:
        writer.close()
    return {
        "threads": threads,
        "seconds": round(stats.seconds, 2),
        "articles_per_s": round(stats.analysed / stats.seconds, 3),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cluster(workers: int, job: ClusterJob, tiny: ClusterJob | None) -> dict:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        ) as local,
        Client(local) as client,
    ):
        client.run(load_model, job)  # every worker loads the model before the clock starts
        started = time.perf_counter()
        result = run_job(job, client)
        seconds = time.perf_counter() - started
        figures = {
            "workers": workers,
            "partitions": result.partitions,
            "articles": result.stats.analysed,
            "tokens": result.stats.tokens,
            "seconds": round(seconds, 2),
            "articles_per_s": round(result.stats.analysed / seconds, 3),
        }
        if tiny is not None:
            started = time.perf_counter()
            partitions = run_job(tiny, client).partitions
            figures["fixed_cost_per_partition_s"] = round((time.perf_counter() - started) / partitions, 3)
        figures["worker_peak_rss_mb"] = sorted(round(v) for v in client.run(peak_rss_mb).values())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "semeval2023")
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--partitions", type=int, default=12)
    args = parser.parse_args()
    model = str(args.model or default_model_path())
    texts = [a.text for a in load_articles(args.data, args.articles)]
    analyzer = Analyzer.from_bundle(model)
    baseline = {threads: in_process(analyzer, texts, threads) for threads in (1, 2)}
    with tempfile.TemporaryDirectory(prefix="unspin-cluster-") as tmp:
        folder = Path(tmp)
        (folder / "shard").mkdir()
        (folder / "tiny").mkdir()
        shard = folder / "shard" / "articles.jsonl"
        write_shard(shard, texts)
        batch = {threads: in_process_batch(analyzer, shard, folder / "batch.jsonl", threads) for threads in (1, 2)}
        write_shard(folder / "tiny" / "short.jsonl", [f"They lie, as always ({i})." for i in range(40)])
        rows = -(-len(texts) // args.partitions)

        def job(name: str, inputs: str, partition_rows: int) -> ClusterJob:
            return ClusterJob(
                inputs=(str(folder / inputs),), output=str(folder / name), model=model, partition_rows=partition_rows
            )

        one = cluster(1, job("out-1", "shard", rows), job("out-tiny", "tiny", 1))
        two = cluster(2, job("out-2", "shard", rows), None)
    report = {
        "in_process": list(baseline.values()),
        "in_process_batch": list(batch.values()),
        "cluster": [one, two],
        "ratio_1_worker_to_in_process_batch_1_thread": round(one["articles_per_s"] / batch[1]["articles_per_s"], 3),
        "ratio_2_workers_to_in_process_batch_2_threads": round(two["articles_per_s"] / batch[2]["articles_per_s"], 3),
        "speed_up_2_workers_over_1": round(two["articles_per_s"] / one["articles_per_s"], 3),
        "mean_tokens_per_article": round(one["tokens"] / one["articles"]),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
