"""Analyse sharded corpora on a Dask cluster: ``unspin analyze SHARDS --cluster tcp://HOST:8786 -o DIR``.

The client lists the shards (JSONL, CSV or Parquet files, local or behind fsspec URLs)
and cuts them into partitions (:mod:`.plan`); each partition is one Dask task, which a
worker analyses with the model it loaded once (:mod:`.worker`) and writes as whole files
into the results folder (:mod:`.output`). A killed worker loses only the partition it
was running, which Dask runs again elsewhere; a rerun skips finished partitions.

Importing this package needs neither Dask nor fsspec; running a job needs both
(``pip install 'unspin[distributed]'``). See docs/distributed.md.

Examples
--------
>>> from unspin.cluster import ClusterJob, connect, run_job
>>> job = ClusterJob(inputs=("shards/",), output="results/")
>>> with connect("local:2") as client:  # doctest: +SKIP
...     print(run_job(job, client).summary())
"""

from __future__ import annotations

from .output import OutputFolder, PartitionResult
from .plan import DEFAULT_PARTITION_ROWS, SHARD_GLOBS, ClusterJob, Partition
from .run import JobResult, connect, local_workers, run_job

__all__ = [
    "DEFAULT_PARTITION_ROWS",
    "SHARD_GLOBS",
    "ClusterJob",
    "JobResult",
    "OutputFolder",
    "Partition",
    "PartitionResult",
    "connect",
    "local_workers",
    "run_job",
]
