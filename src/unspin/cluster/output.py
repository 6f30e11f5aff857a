"""The results folder of a cluster run: one file per partition and table, each put in place whole.

::

    DIR/_manifest.json               the job (partitions, format, model); totals once complete
    DIR/analyses/part-00000.jsonl    one analysis per line (--format jsonl)
    DIR/articles/part-00000.parquet  the article table  } (--format parquet)
    DIR/spans/part-00000.parquet     the span table     }
    DIR/errors/part-00000.jsonl      the partition's failed documents, when it has some
    DIR/_done/part-00000.json        written last: the partition is complete, and its counts
    DIR/_tmp/                        work in progress, removed when the job completes

Each table is a folder that pandas, pyarrow, polars or DuckDB read whole; they skip names
starting with ``_``. A task writes its files to a scratch folder (``DIR/_tmp`` when DIR is
local, a local temporary folder when it is remote) and moves them into place one by one:
a rename locally, fsspec's ``mv`` elsewhere, which on an object store makes the object
appear whole. The done marker goes last. A task killed at any point therefore leaves no
partial file under a final name, and the task that replaces it writes the same names
again: no partition appears twice.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError, UnspinError
from .plan import ResultFormat, filesystem, is_local

__all__ = ["ERRORS_FILE", "OutputFolder", "PartitionResult", "results_file"]

MANIFEST = "_manifest.json"
DONE = "_done"
SCRATCH = "_tmp"
ERRORS_FILE = "errors.jsonl"
# Scratch file -> final place, in the order they are moved; the results table goes last.
_LAYOUT: dict[str, tuple[tuple[str, str], ...]] = {
    "jsonl": ((ERRORS_FILE, "errors/{}.jsonl"), ("results.jsonl", "analyses/{}.jsonl")),
    "parquet": (
        (ERRORS_FILE, "errors/{}.jsonl"),
        ("results.spans.parquet", "spans/{}.parquet"),
        ("results.parquet", "articles/{}.parquet"),
    ),
}


def results_file(fmt: ResultFormat) -> str:
    """The scratch file a task's writer writes (Parquet puts its span table beside it)."""
    return f"results.{fmt}"


@dataclass(frozen=True)
class PartitionResult:
    """What one task did: its counts, the first few failures to show, and the worker that ran it."""

    name: str
    analysed: int = 0
    failed: int = 0
    duplicates: int = 0
    tokens: int = 0
    seconds: float = 0.0
    worker: str = ""
    failures: tuple[str, ...] = ()

    @property
    def documents(self) -> int:
        return self.analysed + self.failed + self.duplicates

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> PartitionResult:
        fields = json.loads(data)
        return cls(**{**fields, "failures": tuple(fields.get("failures", ()))})


class OutputFolder:
    """A results folder, local or behind an fsspec URL; see the module docstring for its layout."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fs, self.root = filesystem(url)
        self.local = is_local(self.fs)

    def path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}"

    # ------------------------------------------------------------------ the client, around a job

    def start(self, identity: dict[str, Any]) -> dict[str, PartitionResult]:
        """Record the job, and return the partitions an earlier run of it finished.

        Raises
        ------
        InputError
            When the folder holds another job's results, or files that are not results.
        """
        identity = json.loads(json.dumps(identity))  # tuples become lists, as in the stored manifest
        manifest = self._manifest()
        if manifest is None:
            self._check_unused()
        elif manifest.get("job") != identity:
            raise InputError(
                f"{self.url} holds the results of another job (other inputs, partitions, format or "
                "model); give a new --output folder, or remove this one to start over"
            )
        self._write_json(MANIFEST, {"unspin_version": __version__, "complete": False, "job": identity})
        return self._done() if manifest else {}

    def finish(self, identity: dict[str, Any], results: list[PartitionResult]) -> None:
        """Record the totals of a complete job and remove the scratch folder."""
        totals = {key: sum(getattr(r, key) for r in results) for key in ("analysed", "failed", "duplicates", "tokens")}
        self._write_json(
            MANIFEST,
            {
                "unspin_version": __version__,
                "complete": True,
                "job": identity,
                "totals": {"partitions": len(results), **totals},
            },
        )
        if self.fs.exists(self.path(SCRATCH)):
            self.fs.rm(self.path(SCRATCH), recursive=True)

    def _manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.fs.cat_file(self.path(MANIFEST)))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise InputError(f"{self.path(MANIFEST)}: unreadable ({exc}); remove the folder to start over") from exc

    def _check_unused(self) -> None:
        if self.fs.isfile(self.root):
            raise InputError(f"{self.url} is a file; --output names a folder for a cluster run")
        if self.fs.isdir(self.root) and self.fs.ls(self.root, detail=False):
            raise InputError(
                f"{self.url} is not empty and holds no unspin results; give a new or empty --output folder"
            )

    def _done(self) -> dict[str, PartitionResult]:
        markers = self.fs.find(self.path(DONE))
        contents = self.fs.cat(markers) if markers else {}
        return {result.name: result for result in map(PartitionResult.from_json, contents.values())}

    def _write_json(self, relative: str, document: dict[str, Any]) -> None:
        with self.scratch() as scratch:
            local = scratch / Path(relative).name
            local.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
            self._move(local, relative)

    # ------------------------------------------------------------------ a task, on a worker

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A fresh local folder, removed afterwards; inside DIR when DIR is local, so that moving out is a rename."""
        if not self.local:
            with tempfile.TemporaryDirectory(prefix="unspin-") as remote_scratch:
                yield Path(remote_scratch)
            return
        local_scratch = Path(self.path(f"{SCRATCH}/{uuid.uuid4().hex}"))
        try:
            local_scratch.mkdir(parents=True)
        except OSError as exc:
            raise UnspinError(f"{self.url}: cannot write the results ({exc.strerror or exc})") from exc
        try:
            yield local_scratch
        finally:
            shutil.rmtree(local_scratch, ignore_errors=True)

    def commit(self, scratch: Path, result: PartitionResult, fmt: ResultFormat) -> None:
        """Move a partition's files into place, then its done marker.

        An errors file that an earlier, killed attempt left behind goes when this one has none.
        """
        for local_name, final in _LAYOUT[fmt]:
            local, relative = scratch / local_name, final.format(result.name)
            if local.exists():
                self._move(local, relative)
            elif self.fs.exists(self.path(relative)):
                self.fs.rm(self.path(relative))
        marker = scratch / "done.json"
        marker.write_bytes(result.to_json())
        self._move(marker, f"{DONE}/{result.name}.json")

    def _move(self, local: Path, relative: str) -> None:
        final = self.path(relative)
        try:
            if self.local:
                Path(final).parent.mkdir(parents=True, exist_ok=True)
                os.replace(local, final)
            else:
                staged = self.path(f"{SCRATCH}/{uuid.uuid4().hex}/{local.name}")
                self.fs.put_file(str(local), staged)
                self.fs.mv(staged, final)
        except OSError as exc:
            raise UnspinError(f"{final}: cannot write the results ({exc.strerror or exc})") from exc
