"""What a cluster run does: the job, the shard files it reads, and the partitions it cuts them into.

Shards are listed on the client through fsspec, so a local folder, a glob and an
``s3://`` prefix are read alike. A shard of more than ``partition_rows`` records is cut
into row ranges; the records are counted on the workers, next to the data (JSONL lines,
CSV rows, the Parquet footer's row count). Partition names
follow the sorted shards, so the same inputs always give the same partitions and a
rerun can tell which ones are finished.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from ..batch import DEFAULT_BATCH_SIZE
from ..errors import InputError
from ..formats.inputs import InputFormat, ReadOptions, format_of
from ..formats.registry import INPUT_FORMATS

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = [
    "DEFAULT_PARTITION_ROWS",
    "SHARD_FORMATS",
    "SHARD_GLOBS",
    "ClusterJob",
    "Partition",
    "find_shards",
    "plan_partitions",
    "shard_format",
]

ResultFormat = Literal["jsonl", "parquet"]

SHARD_FORMATS: tuple[InputFormat, ...] = ("jsonl", "csv", "parquet")
_COMPRESSED = ("", ".gz", ".bz2", ".xz")  # text shards may be compressed; Parquet compresses inside
SHARD_GLOBS = tuple(
    f"*{suffix}{c}"
    for entry in INPUT_FORMATS.values()
    if entry.input_format in SHARD_FORMATS
    for suffix in entry.suffixes
    for c in (("",) if entry.name == "parquet" else _COMPRESSED)
)
# About 3 to 6 minutes of one core's work: a killed worker loses little, and the fixed
# cost of a partition (docs/benchmarks.md) stays far below 1%.
DEFAULT_PARTITION_ROWS = 1000


@dataclass(frozen=True)
class ClusterJob:
    """A cluster run: what to read, where to write and how to analyse. Every task gets a copy.

    Parameters
    ----------
    inputs : tuple of str
        Shard files, folders of shards and globs: local paths (seen alike by the client and
        the workers) or fsspec URLs such as ``s3://bucket/dump/*.jsonl.gz``.
    output : str
        The results folder, a local path or an fsspec URL.
    format : {"jsonl", "parquet"}
    model : str, optional
        The model bundle's path on the workers; by default each worker's own default
        (``$UNSPIN_MODEL``, else the bundle shipped with the package).
    threshold : float, optional
        Technique confidence threshold (default: the model's).
    options : ReadOptions
        How shards are read; ``options.globs`` picks the files in folders.
    partition_rows : int
        Records per partition; a smaller shard is one partition.
    batch_size : int
        Documents analysed together on a worker.
    threads : int, optional
        Torch threads per worker process (default: ``OMP_NUM_THREADS``, which a Dask
        nanny sets to 1, else one per core).
    embeddings : bool
        Add each article's embedding to JSONL results (for ``unspin corpus import``).
    """

    inputs: tuple[str, ...]
    output: str
    format: ResultFormat = "jsonl"
    model: str | None = None
    threshold: float | None = None
    options: ReadOptions = field(default_factory=lambda: ReadOptions(globs=SHARD_GLOBS))
    partition_rows: int = DEFAULT_PARTITION_ROWS
    batch_size: int = DEFAULT_BATCH_SIZE
    threads: int | None = None
    embeddings: bool = False

    def identity(self, partitions: Sequence[Partition]) -> dict[str, Any]:
        """What must not change between a run and its rerun into the same folder."""
        return {
            "format": self.format,
            "model": self.model,
            "threshold": self.threshold,
            "partitions": [[p.name, p.source, p.start, p.stop] for p in partitions],
        }


@dataclass(frozen=True, slots=True)
class Partition:
    """Records ``start`` to ``stop`` (to the end when None) of one shard, analysed by one task."""

    name: str
    source: str
    format: InputFormat
    start: int = 0
    stop: int | None = None

    @property
    def records(self) -> range | None:
        """The ``ReadOptions.records`` that read this partition; None reads the whole shard."""
        if self.stop is None:
            return None if self.start == 0 else range(self.start, sys.maxsize)
        return range(self.start, self.stop)


def plan_partitions(shards: Sequence[tuple[str, InputFormat, int | None]], rows: int) -> list[Partition]:
    """Cut ``(source, format, records)`` shards into partitions of ``rows`` records.

    A shard whose records could not be counted (None) is one partition: reading it then
    reports what is wrong with it. The last partition of a shard runs to its end.

    Examples
    --------
    >>> [(p.name, p.start, p.stop) for p in plan_partitions([("a.jsonl", "jsonl", 5), ("b.csv", "csv", None)], 2)]
    [('part-00000', 0, 2), ('part-00001', 2, 4), ('part-00002', 4, None), ('part-00003', 0, None)]
    """
    partitions: list[Partition] = []
    for source, fmt, count in shards:
        starts = range(0, max(count or 0, 1), rows)
        for start in starts:
            stop = None if start == starts[-1] else start + rows
            partitions.append(Partition(f"part-{len(partitions):05d}", source, fmt, start, stop))
    return partitions


# ---------------------------------------------------------------------------- finding shards


def find_shards(inputs: Iterable[str], globs: Sequence[str], exclude: str | None = None) -> list[str]:
    """Every shard file of ``inputs``, in order, each input's files sorted; raises :class:`InputError`.

    Folders are searched recursively for ``globs`` (hidden files and folders skipped);
    ``exclude`` is the output folder, never read back. Local files come back as absolute
    paths (a worker's working directory is not the client's), others as URLs.
    """
    shards: dict[str, None] = {}
    for raw in inputs:
        shards.update(dict.fromkeys(_shards_of(raw, globs, exclude)))
    return list(shards)


def _shards_of(raw: str, globs: Sequence[str], exclude: str | None) -> list[str]:
    fs, path = filesystem(raw)
    skip = filesystem(exclude)[1] if exclude else None
    try:
        found = _files(fs, path, globs)
    except OSError as exc:
        raise InputError(f"{raw}: cannot list it ({exc})") from exc
    if found is None:
        raise InputError(f"{raw}: no such file or directory")
    found = [p for p in found if not (skip and _inside(p, skip))]
    if not found:
        raise InputError(f"{raw}: no files matching {', '.join(globs)}; choose others with --glob")
    return [p if is_local(fs) else fs.unstrip_protocol(p) for p in sorted(found)]


def _files(fs: AbstractFileSystem, path: str, globs: Sequence[str]) -> list[str] | None:
    if any(char in path for char in "*?["):  # hidden files are left out, as by a shell
        found = fs.glob(path, detail=True).items()
        return [p for p, info in found if info["type"] == "file" and not PurePosixPath(p).name.startswith(".")]
    if fs.isdir(path):
        return [p for p in fs.find(path) if _matches(PurePosixPath(p).relative_to(path), globs)]
    return [path] if fs.isfile(path) else None


def _matches(relative: PurePosixPath, globs: Sequence[str]) -> bool:
    hidden = any(part.startswith(".") for part in relative.parts)
    return not hidden and any(relative.match(pattern) for pattern in globs)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def filesystem(url: str) -> tuple[AbstractFileSystem, str]:
    """fsspec's file system for ``url`` and the path in it; a missing fsspec package says how to install it."""
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url)
    except ImportError as exc:  # fsspec: "Install s3fs to access S3"
        raise InputError(f"{url}: {exc}") from exc
    except ValueError as exc:  # an unknown protocol
        raise InputError(f"{url}: {exc}") from exc


def is_local(fs: AbstractFileSystem) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def shard_format(source: str, options: ReadOptions) -> InputFormat:
    """How a shard is read: ``options.input_format``, else by its suffix under any compression suffix."""
    from fsspec.utils import infer_compression

    name = PurePosixPath(source.rsplit("/", 1)[-1])
    if infer_compression(name.name):
        name = name.with_suffix("")
    fmt = format_of(Path(name), options)
    if fmt not in SHARD_FORMATS:
        raise InputError(
            f"{source}: a cluster run reads JSONL, CSV and Parquet files; "
            "name them by their suffix or give --input-format"
        )
    return fmt
