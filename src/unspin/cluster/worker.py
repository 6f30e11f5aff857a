"""What runs on the workers: counting a shard's records, and analysing a partition.

A worker process loads the model bundle with its first partition and keeps it for the next
ones (module state lives as long as the process). A partition goes through the same code
as a single-machine batch: the readers of :mod:`unspin.formats.inputs`, the
:class:`~unspin.analyzer.Analyzer`, :func:`unspin.batch.run_batch` and the writers of
:mod:`unspin.formats.outputs`.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..batch import BatchStats, ErrorLog, configure_threads, run_batch
from ..errors import BundleError
from ..formats.inputs import (
    Document,
    InputFormat,
    ReadOptions,
    count_records,
    read_records,
)
from ..formats.outputs import open_writer
from .output import ERRORS_FILE, OutputFolder, PartitionResult, results_file
from .plan import ClusterJob, Partition

if TYPE_CHECKING:
    from ..analyzer import Analyzer
    from ..model.bundle import Bundle

__all__ = ["analyse_partition", "count_shard", "read_partition", "worker_analyzer"]

_SHOWN_FAILURES = 3  # per partition, for the client's console; the errors file has them all
_BUNDLES: dict[str, Bundle] = {}
_LOADING = threading.Lock()
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def count_shard(source: str, fmt: InputFormat, options: ReadOptions) -> int | None:
    """The records of a shard (JSONL: its lines, blank ones too), or None when it cannot be read.

    Whatever stops the count, the shard becomes a single partition, whose reader then
    reports the problem as a failed document.
    """
    try:
        with _opener(source)() as stream:
            return count_records(source, stream, fmt, options)
    except Exception:  # noqa: BLE001 - reported when the shard is read, see above
        return None


def analyse_partition(partition: Partition, job: ClusterJob) -> PartitionResult:
    """Analyse one partition into the job's folder and return its counts: one Dask task."""
    started = time.monotonic()
    analyzer = worker_analyzer(job)
    configure_threads(job.threads)
    output = OutputFolder(job.output)
    with output.scratch() as scratch:
        stats, failures = _analyse(partition, job, analyzer, scratch)
        result = PartitionResult(
            partition.name,
            stats.analysed,
            stats.failed,
            stats.duplicates,
            stats.tokens,
            round(time.monotonic() - started, 3),
            _worker_address(),
            tuple(failures),
        )
        output.commit(scratch, result, job.format)
    return result


def _analyse(partition: Partition, job: ClusterJob, analyzer: Analyzer, scratch: Path) -> tuple[BatchStats, list[str]]:
    failures: list[str] = []
    writer = open_writer(job.format, scratch / results_file(job.format), embedding=job.embeddings)
    errors = ErrorLog(scratch / ERRORS_FILE, echo=partial(_keep_first, failures))
    try:
        stats = run_batch(
            read_partition(partition, job.options), analyzer, writer, errors=errors, batch_size=job.batch_size
        )
    finally:
        writer.close()
        errors.close()
    return stats, failures


def _keep_first(kept: list[str], message: str) -> None:
    if len(kept) < _SHOWN_FAILURES:
        kept.append(message)


def read_partition(partition: Partition, options: ReadOptions) -> Iterator[Document]:
    """The documents of a partition, named ``SOURCE:LINE`` (``SOURCE:ROW`` for Parquet)."""
    return read_records(
        partition.source, _opener(partition.source), partition.format, replace(options, records=partition.records)
    )


def _opener(source: str) -> Callable[[], IO[bytes]]:
    """Opens ``source`` through fsspec, decompressing it by its suffix (.gz, .bz2, .xz, ...)."""
    import fsspec

    return fsspec.open(source, "rb", compression="infer").open


def worker_analyzer(job: ClusterJob) -> Analyzer:
    """The Analyzer for ``job``: its bundle is loaded by this worker's first partition and kept for the next ones."""
    from ..analyzer import Analyzer
    from ..config import default_model_path

    path = job.model or str(default_model_path())
    with _LOADING:
        if path not in _BUNDLES:
            _undo_nanny_malloc_setting()
            _BUNDLES[path] = _load_bundle(path)
    analyzer = Analyzer(_BUNDLES[path])
    return analyzer if job.threshold is None else analyzer.with_thresholds(job.threshold, job.threshold)


def _undo_nanny_malloc_setting() -> None:
    """Give glibc's allocator back the thresholds that a Dask nanny's setting takes away.

    A nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``, to hand freed memory
    back to the system sooner. glibc then also stops raising its mmap threshold, so each
    activation tensor over 128 KiB is mapped and unmapped again, and the model ran 30%
    slower (docs/benchmarks.md). A model worker's memory stays near its peak anyway.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)  # glibc's largest
    libc.mallopt(_M_TRIM_THRESHOLD, 2**30)


def _load_bundle(path: str) -> Bundle:
    from ..model.bundle import load_bundle

    try:
        return load_bundle(path)
    except BundleError as exc:
        raise BundleError(
            f"the worker at {_worker_address()} cannot load the model: {exc} "
            "(every worker needs the bundle at this path: see docs/distributed.md)"
        ) from exc


def _worker_address() -> str:
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:  # called outside a worker
        return "this process"
