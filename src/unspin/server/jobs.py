"""Batch jobs: uploads and URL lists analysed in the background, kept on disk, resumed after a restart.

Each job lives in ``<data dir>/jobs/<id>/``, an id the server makes::

    job.json        state and progress (written last on creation, then replaced atomically)
    input.<format>  the upload or URL list, under a fixed name per format
    results.jsonl   one published analysis a line, flushed per document
    errors.jsonl    documents that could not be read or analysed: {"name", "reason"}

One worker thread runs queued jobs oldest first. A job that was running when the server
stopped is taken up again on start: documents already in ``results.jsonl`` are skipped.
With several server processes, a lock file lets one of them run the jobs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, cast

from ..batch import BatchStats, ErrorLog, load_done_hashes, run_batch
from ..errors import InputError
from ..formats.inputs import InputFormat, ReadOptions, count_documents, read_documents
from ..formats.outputs import open_writer
from ..formats.registry import INPUT_FORMATS
from .inference import BACKGROUND, InferenceQueue, ShuttingDown
from .storage import is_id, new_id, write_json_atomically

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..article import Article

JobFormat = Literal["jsonl", "csv", "tsv", "urls"]  # JOB_FORMATS, for type checkers
JOB_FORMATS = tuple(name for name, entry in INPUT_FORMATS.items() if entry.upload)
ACTIVE = ("queued", "running")
INPUT_FILES: dict[str, str] = {name: f"input.{name}" for name in JOB_FORMATS}
_READ_FORMATS = {name: cast(InputFormat, INPUT_FORMATS[name].input_format) for name in JOB_FORMATS}
_STATE_INTERVAL = 0.5
logger = logging.getLogger("unspin.server")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class JobStore:
    """The jobs on disk; every path is built from a server-made id and a fixed file name."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)

    def create(self, source: IO[bytes], fmt: JobFormat, *, name: str | None = None, owner: str | None = None,
               threshold: float | None = None, categories: Sequence[str] | None = None) -> dict[str, Any]:
        """Copy ``source`` into a new job and queue it; raises :class:`InputError` for an empty input."""
        job_id = new_id()
        folder = self.root / job_id
        folder.mkdir()
        path = folder / INPUT_FILES[fmt]
        try:
            with path.open("wb") as target:
                shutil.copyfileobj(source, target)
            if path.stat().st_size == 0:
                raise InputError("the upload is empty")
            state = {
                "id": job_id, "status": "queued", "format": fmt, "name": name, "owner": owner,
                "created": _now(), "started": None, "finished": None,
                "total": _count(path, fmt), "done": 0, "analysed": 0, "failed": 0, "duplicates": 0,
                "options": {"threshold": threshold, "categories": list(categories) if categories else None},
                "error": None,
            }
            self.save(state)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return state

    def save(self, state: dict[str, Any]) -> None:
        write_json_atomically(self.root / state["id"] / "job.json", state)

    def get(self, job_id: str) -> dict[str, Any] | None:
        if not is_id(job_id):
            return None
        try:
            state: dict[str, Any] = json.loads((self.root / job_id / "job.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return state

    def all(self) -> list[dict[str, Any]]:
        """Every job, oldest first."""
        states = (self.get(folder.name) for folder in self.root.iterdir() if folder.is_dir())
        return sorted((s for s in states if s is not None), key=lambda s: (s["created"], s["id"]))

    def input_path(self, state: dict[str, Any]) -> Path:
        return self.root / str(state["id"]) / INPUT_FILES[state["format"]]

    def results_path(self, job_id: str) -> Path:
        return self.root / job_id / "results.jsonl"

    def errors_path(self, job_id: str) -> Path:
        return self.root / job_id / "errors.jsonl"


def _count(path: Path, fmt: str) -> int | None:
    if fmt == "urls":
        with path.open("rb") as lines:
            return sum(1 for line in lines if line.strip() and not line.lstrip().startswith(b"#"))
    return count_documents([str(path)], ReadOptions(input_format=_READ_FORMATS[fmt]))


def complete_lines_end(path: Path, chunk: int = 1 << 16) -> int:
    """The size of ``path`` up to its last newline: what a reader may stream while a writer appends."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    with path.open("rb") as stream:
        position = size
        while position > 0:
            start = max(0, position - chunk)
            stream.seek(start)
            newline = stream.read(position - start).rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            position = start
    return 0


def read_prefix(path: Path, end: int, chunk: int = 1 << 16) -> Any:
    """Yield the first ``end`` bytes of ``path`` in chunks."""
    if end <= 0:
        return
    with path.open("rb") as stream:
        left = end
        while left > 0:
            data = stream.read(min(chunk, left))
            if not data:
                return
            left -= len(data)
            yield data


# ---------------------------------------------------------------------------- the worker


class _Stopped(BaseException):
    """The server is stopping: leave the job running, to be resumed (not an Exception, so no
    handler in the batch run mistakes it for a failed document)."""


class _QueuedAnalyzer:
    """An :class:`~unspin.analyze.AnalyzerLike` whose inference is done by the server's queue."""

    def __init__(self, inference: InferenceQueue, threshold: float | None,
                 select: Callable[[Analysis], Analysis]) -> None:
        self.bundle = inference.analyzer.bundle
        self._inference = inference
        self._threshold = threshold
        self._select = select

    def analyze_many(self, articles: Sequence[Article]) -> list[Analysis]:
        try:
            analyses = self._inference.submit(articles, threshold=self._threshold, priority=BACKGROUND).result()
        except ShuttingDown as exc:
            raise _Stopped from exc
        return [self._select(a) for a in analyses]

    def analyze(self, article: Article) -> Analysis:
        return self.analyze_many([article])[0]


class _JobErrors(ErrorLog):
    """The error log of a job, naming documents by the upload's name rather than the server's path."""

    def __init__(self, path: Path, input_path: Path, display_name: str) -> None:
        super().__init__(path)
        self._prefix = str(input_path)
        self._display = display_name

    def add(self, name: str, reason: str) -> None:
        if name.startswith(self._prefix):
            name = self._display + name[len(self._prefix):]
        super().add(name, reason)


class _JobProgress:
    """Writes a job's counts to its state, a few times a second; raises :class:`_Stopped` on shutdown."""

    def __init__(self, store: JobStore, state: dict[str, Any], stop: threading.Event) -> None:
        self.store = store
        self.state = state
        self.stop = stop
        self._saved = 0.0

    def set_total(self, total: int) -> None:
        pass

    def update(self, stats: BatchStats) -> None:
        if self.stop.is_set():
            raise _Stopped
        if time.monotonic() - self._saved >= _STATE_INTERVAL:
            self._save(stats)

    def log(self, message: str) -> None:
        logger.info("job %s: %s", self.state["id"], message)

    def close(self, stats: BatchStats) -> None:
        self._count(stats)

    def _count(self, stats: BatchStats) -> None:
        self.state.update(
            analysed=stats.analysed + stats.skipped, failed=stats.failed, duplicates=stats.duplicates,
            done=stats.analysed + stats.skipped + stats.failed + stats.duplicates,
        )

    def _save(self, stats: BatchStats) -> None:
        self._count(stats)
        self.store.save(self.state)
        self._saved = time.monotonic()


class JobWorker:
    """Runs queued jobs one at a time on a background thread; see the module docstring."""

    def __init__(self, store: JobStore, inference: InferenceQueue, read_options: ReadOptions,
                 select: Callable[[Analysis, Sequence[str] | None], Analysis], *, poll_seconds: float = 1.0) -> None:
        self.store = store
        self.inference = inference
        self.read_options = read_options
        self.select = select
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock_file: IO[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="unspin-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        if self._lock_file is not None:
            self._lock_file.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._holds_lock():
                for state in self.store.all():
                    if self._stop.is_set():
                        return
                    if state["status"] in ACTIVE:
                        self._process(state)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _holds_lock(self) -> bool:
        """Whether this process runs the jobs (one of several server processes does)."""
        if self._lock_file is not None:
            return True
        try:
            import fcntl
        except ImportError:  # no fcntl (Windows): one server process is assumed
            self._lock_file = open(os.devnull, "rb")  # noqa: SIM115 - held until stop()
            return True
        lock_file = (self.store.root / ".worker.lock").open("a+b")
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock_file.close()
            return False
        self._lock_file = lock_file
        return True

    def _process(self, state: dict[str, Any]) -> None:
        state.update(status="running", started=state["started"] or _now())
        self.store.save(state)
        try:
            stats = self._run_job(state)
        except _Stopped:
            logger.info("job %s: stopped with the server; it resumes on the next start", state["id"])
            return
        except Exception as exc:
            logger.exception("job %s failed", state["id"])
            state.update(status="failed", finished=_now(), error=f"the job stopped: {exc}")
        else:
            state.update(status="done", finished=_now())
            logger.info("job %s: %s", state["id"], stats.summary())
        self.store.save(state)

    def _run_job(self, state: dict[str, Any]) -> BatchStats:
        job_id, options = state["id"], state["options"]
        input_path = self.store.input_path(state)
        results = self.store.results_path(job_id)
        done = load_done_hashes(results)
        categories = options.get("categories")
        analyzer = _QueuedAnalyzer(self.inference, options.get("threshold"), lambda a: self.select(a, categories))
        read_options = replace(self.read_options, input_format=_READ_FORMATS[state["format"]])
        writer = open_writer("jsonl", results, append=True)
        errors = _JobErrors(self.store.errors_path(job_id), input_path, state.get("name") or "upload")
        progress = _JobProgress(self.store, state, self._stop)
        try:
            return run_batch(read_documents([str(input_path)], options=read_options), analyzer,
                             writer, errors=errors, done=done, progress=progress)
        finally:
            writer.close()
            errors.close()
