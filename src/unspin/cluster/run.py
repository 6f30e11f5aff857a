"""The client side of a cluster run: connect to Dask, plan the partitions, follow the tasks.

Dask does the scheduling and the fault tolerance: a task whose worker dies is run again on
another one (``distributed.scheduler.allowed-failures`` times), and the output folder's
commit protocol (:mod:`unspin.cluster.output`) makes sure the rerun adds nothing twice.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..batch import BatchStats, NoProgress, ProgressReporter
from ..errors import InputError, UnspinError
from .output import OutputFolder, PartitionResult
from .plan import ClusterJob, Partition, find_shards, plan_partitions, shard_format
from .worker import analyse_partition, count_shard

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["JobResult", "connect", "local_workers", "run_job"]

_LOCAL = re.compile(r"local:(\d+)")
_LOOPBACK = "127.0.0.1"  # the dashboard and the workers take no authentication: nobody else may reach them
_SHOWN_FAILURES = 50


@dataclass(frozen=True)
class JobResult:
    """A finished job. ``stats.skipped`` counts the documents of partitions an earlier run finished."""

    stats: BatchStats
    partitions: int
    finished_before: int
    output: str

    def summary(self) -> str:
        """One line for the end of a run."""
        before = f", {self.finished_before:,} of them finished before" if self.finished_before else ""
        return f"{self.stats.summary()}; {self.partitions:,} partitions in {self.output}{before}"


def local_workers(address: str) -> int | None:
    """N for ``local:N``, None for the address of a running scheduler."""
    found = _LOCAL.fullmatch(address)
    if found is None:
        return None
    if int(found.group(1)) < 1:
        raise InputError("--cluster local:N needs at least one worker")
    return int(found.group(1))


@contextmanager
def connect(address: str) -> Iterator[Client]:
    """A client of the scheduler at ``address``, or of a new cluster of N worker processes for ``local:N``.

    Local workers run one task at a time each; the local scheduler, workers and dashboard
    listen on loopback only. Waiting for a scheduler is bounded by Dask's
    ``distributed.comm.timeouts.connect`` (30 s by default).

    Raises
    ------
    UnspinError
        When no scheduler answers at ``address``.
    """
    from distributed import Client, LocalCluster

    workers = local_workers(address)
    if workers is not None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host=_LOOPBACK,
            dashboard_address=f"{_LOOPBACK}:8787",
            silence_logs=logging.ERROR,
        )
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address)
    except (OSError, TimeoutError) as exc:
        raise UnspinError(
            f"cannot reach a Dask scheduler at {address} ({exc}); check the address and that the scheduler is running"
        ) from exc
    except ValueError as exc:
        raise InputError(
            f"--cluster {address}: not a scheduler address ({exc}); give tcp://HOST:PORT or local:N"
        ) from exc
    with client:
        yield client


def run_job(job: ClusterJob, client: Client, progress: ProgressReporter | None = None) -> JobResult:
    """Analyse ``job`` on the cluster behind ``client``; partitions an earlier run finished are skipped.

    Parameters
    ----------
    job : ClusterJob
    client : distributed.Client
    progress : ProgressReporter, optional
        Updated as partitions finish; failures are logged to it (the first 50).

    Returns
    -------
    JobResult

    Raises
    ------
    InputError
        Inputs that cannot be listed, or an output folder that holds something else.
    UnspinError
        A partition that failed on its worker (a worker without the model, say).
    """
    progress = progress or NoProgress()
    output = OutputFolder(job.output)
    stats = BatchStats()
    follow = _Follow(stats, progress, output.path("errors"))
    try:
        partitions, total = _plan(job, client)
        identity = job.identity(partitions)
        done = output.start(identity)
        stats.skipped = sum(result.documents for result in done.values())
        progress.set_total(total)
        _run(client, [p for p in partitions if p.name not in done], job, follow)
    finally:
        progress.close(stats)
    output.finish(identity, [*done.values(), *follow.results])
    return JobResult(stats, len(partitions), len(done), job.output)


def _plan(job: ClusterJob, client: Client) -> tuple[list[Partition], int]:
    """The job's partitions, and its record count for the progress bar.

    A shard that cannot be counted becomes one failed document; JSONL counts its blank lines too.
    """
    shards = find_shards(job.inputs, job.options.globs, exclude=job.output)
    formats = [shard_format(shard, job.options) for shard in shards]
    counts = client.gather(client.map(count_shard, shards, formats, options=job.options, pure=False))
    total = sum(1 if count is None else count for count in counts)
    return plan_partitions(list(zip(shards, formats, counts, strict=True)), job.partition_rows), total


def _run(client: Client, partitions: list[Partition], job: ClusterJob, follow: _Follow) -> None:
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]  # task keys of a rerun differ from those a scheduler may still hold
    futures = client.map(
        analyse_partition, partitions, job=job, key=[f"unspin-analyse-{p.name}-{run}" for p in partitions]
    )
    names = {future.key: partition.name for future, partition in zip(futures, partitions, strict=True)}
    try:
        for future in as_completed(futures):
            follow.add(_result(future, names[future.key]))
    finally:
        client.cancel(futures)


def _result(future: Future, name: str) -> PartitionResult:
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        raise UnspinError(
            f"{name} killed every worker that ran it (out of memory? see docs/distributed.md); "
            "the finished partitions are kept, rerun to go on"
        ) from exc
    except UnspinError:
        raise
    except Exception as exc:  # anything else a task raised, or a lost scheduler
        raise UnspinError(
            f"{name} failed ({type(exc).__name__}: {exc}); the finished partitions are kept, rerun to go on"
        ) from exc


class _Follow:
    """Adds finished partitions to the run's stats and shows them, with their first failures."""

    def __init__(self, stats: BatchStats, progress: ProgressReporter, errors: str) -> None:
        self.stats = stats
        self.progress = progress
        self.errors = errors
        self.results: list[PartitionResult] = []
        self.shown = 0

    def add(self, result: PartitionResult) -> None:
        self.results.append(result)
        self.stats.analysed += result.analysed
        self.stats.failed += result.failed
        self.stats.duplicates += result.duplicates
        self.stats.tokens += result.tokens
        for message in result.failures:
            self._show(message)
        self.progress.update(self.stats)

    def _show(self, message: str) -> None:
        self.shown += 1
        if self.shown > _SHOWN_FAILURES:
            return
        further = f" (further failures are only listed in {self.errors})" if self.shown == _SHOWN_FAILURES else ""
        self.progress.log(f"failed: {message}{further}")
