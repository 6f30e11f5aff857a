"""Batch jobs: uploads and URL lists analysed in the background, kept on disk, resumed after a restart.

Each job lives in ``<data dir>/jobs/<id>/``, an id the server makes::

    job.json        state and progress (written last on creation, then replaced atomically)
    input.<format>  the upload or URL list, under a fixed name per format
    results.jsonl   one published analysis a line, flushed per document
    errors.jsonl    documents that could not be read or analysed: {"name", "reason"}
    cancel          present once the job is cancelled: its worker stops at the next document

The worker runs up to ``job_workers`` jobs at once, oldest first but callers without a
running job before those with one, so a slow job (URLs that trickle) does not hold the
others. A job that was running when the server stopped is taken up again on start:
documents already in ``results.jsonl`` are skipped; a cancelled job never is. With several server processes, a lock
file lets one of them run the jobs. Finished jobs are deleted after ``job_retention_days``
or beyond the newest ``max_jobs``; each API key may keep ``job_quota_mb`` of jobs.

Routers and the web UI reach jobs only through :class:`JobStore` and :func:`public_job`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..batch import BatchStats, ErrorLog, load_done_hashes, run_batch
from ..errors import InputError
from ..files import complete_lines
from ..formats.inputs import InputFormat, ReadOptions, count_documents, read_documents
from ..formats.outputs import ResultWriter, open_writer, spans_path
from ..formats.registry import INPUT_FORMATS
from .inference import BACKGROUND, InferenceQueue, ShuttingDown
from .storage import is_id, new_id, write_json_atomically

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..article import Article

JobFormat = Literal["jsonl", "csv", "tsv", "urls"]  # JOB_FORMATS, for type checkers
Export = Literal["csv", "spans.csv", "zip"]  # a job's results as the CLI writes them; see JobStore.export
JOB_FORMATS = tuple(name for name, entry in INPUT_FORMATS.items() if entry.upload)
ACTIVE = ("queued", "running")
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
INPUT_FILES: dict[str, str] = {name: f"input.{name}" for name in JOB_FORMATS}
_READ_FORMATS = {name: cast(InputFormat, INPUT_FORMATS[name].input_format) for name in JOB_FORMATS}
_STATE_INTERVAL = 0.5
_PRUNE_INTERVAL = 3600.0
_TRASH = ".trash-"
_CANCEL = "cancel"
logger = logging.getLogger("unspin.server")


_last_stamp = dt.datetime.min.replace(tzinfo=dt.UTC)
_stamp_lock = threading.Lock()


def _now() -> str:
    """UTC now, each stamp strictly after the previous one: jobs made within one clock tick stay in order."""
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(dt.datetime.now(dt.UTC), _last_stamp + dt.timedelta(microseconds=1))
        return _last_stamp.isoformat(timespec="microseconds")


class QuotaExceeded(InputError):
    """The caller's jobs hold all the disk space a key may use."""


class ExportTooLarge(InputError):
    """A zip of HTML reports is offered for jobs up to :data:`MAX_ZIP_REPORTS` results."""


# The HTML writer keeps every analysis for its index page: a zip is built in memory's reach only.
MAX_ZIP_REPORTS = 2_000


class JobStore:
    """The jobs on disk; every path is built from a server-made id and a fixed file name.

    States are cached by the modification time of their ``job.json``, so listing jobs
    costs a directory scan and a ``stat`` per job rather than reading every file.
    """

    def __init__(self, data_dir: Path, *, quota_bytes: int | None = None) -> None:
        self.root = data_dir / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.quota_bytes = quota_bytes
        self.max_zip_reports = MAX_ZIP_REPORTS
        self._cache: dict[str, tuple[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def create(
        self,
        source: IO[bytes],
        fmt: JobFormat,
        *,
        name: str | None = None,
        owner: str | None = None,
        threshold: float | None = None,
        categories: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Copy ``source`` into a new job and queue it.

        Raises :class:`InputError` for an empty input, :class:`QuotaExceeded` when the
        owner's jobs would hold more than the quota.
        """
        used = self.usage(owner) if self.quota_bytes is not None else 0
        job_id = new_id()
        folder = self.root / job_id
        folder.mkdir()
        path = folder / INPUT_FILES[fmt]
        try:
            with path.open("wb") as target:
                shutil.copyfileobj(source, target)
            self._check_upload(path.stat().st_size, used)
            state = {
                "id": job_id,
                "status": "queued",
                "format": fmt,
                "name": name,
                "owner": owner,
                "created": _now(),
                "started": None,
                "finished": None,
                "total": _count(path, fmt),
                "done": 0,
                "analysed": 0,
                "failed": 0,
                "duplicates": 0,
                "options": {"threshold": threshold, "categories": list(categories) if categories else None},
                "error": None,
            }
            self.save(state)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return state

    def _check_upload(self, size: int, used: int) -> None:
        if size == 0:
            raise InputError("the upload is empty")
        if self.quota_bytes is not None and used + size > self.quota_bytes:
            raise QuotaExceeded(
                f"your jobs hold {used / 2**20:.1f} MiB of the {self.quota_bytes / 2**20:g} MiB "
                "a key may keep; delete finished jobs (DELETE /v1/jobs/{id}) and retry"
            )

    def save(self, state: dict[str, Any]) -> None:
        """Write a job's state; a job deleted meanwhile stays deleted, and one cancelled meanwhile is
        saved (and left in ``state``) as cancelled, whatever its worker last knew."""
        with self._lock, contextlib.suppress(FileNotFoundError):
            if state["status"] in ACTIVE and self.cancelled(state["id"]):
                state.update(status="cancelled", finished=state["finished"] or _now())
            write_json_atomically(self.root / state["id"] / "job.json", state)

    def cancel(self, job_id: str) -> dict[str, Any] | None:
        """Cancel a queued or running job: it stops at its next document and keeps the results so far.

        Returns the job's state (a finished job's unchanged), or ``None`` when there is no such job.
        """
        state = self.get(job_id)
        if state is None or state["status"] not in ACTIVE:
            return state
        try:
            (self.root / job_id / _CANCEL).touch()  # first: what the worker checks before each save
        except FileNotFoundError:
            return None  # deleted meanwhile
        self.save(state)
        return state

    def cancelled(self, job_id: str) -> bool:
        return (self.root / job_id / _CANCEL).exists()

    def get(self, job_id: str) -> dict[str, Any] | None:
        if not is_id(job_id):
            return None
        path = self.root / job_id / "job.json"
        try:
            mtime = path.stat().st_mtime_ns
            with self._lock:
                cached = self._cache.get(job_id)
            if cached is None or cached[0] != mtime:
                cached = (mtime, json.loads(path.read_text(encoding="utf-8")))
                with self._lock:
                    self._cache[job_id] = cached
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return dict(cached[1])

    def owned(self, job_id: str, owner: str | None) -> dict[str, Any] | None:
        """The job, when ``owner`` (an API key's id; ``None`` without keys) started it."""
        state = self.get(job_id)
        return state if state is not None and state.get("owner") == owner else None

    def all(self) -> list[dict[str, Any]]:
        """Every job, oldest first."""
        ids = [folder.name for folder in self.root.iterdir() if is_id(folder.name)]
        with self._lock:
            for gone in self._cache.keys() - set(ids):
                del self._cache[gone]
        states = (self.get(job_id) for job_id in ids)
        return sorted((s for s in states if s is not None), key=lambda s: (s["created"], s["id"]))

    def page(self, owner: str | None, *, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of the owner's jobs, newest first, and how many they have."""
        mine = [s for s in reversed(self.all()) if s.get("owner") == owner]
        return mine[offset : offset + limit], len(mine)

    def delete(self, job_id: str) -> None:
        """Remove a job and its files; a running job stops at its next document."""
        if not is_id(job_id):
            return
        trash = self.root / f"{_TRASH}{job_id}"
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.root / job_id, trash)  # at once invisible, however long the removal takes
        shutil.rmtree(trash, ignore_errors=True)
        with self._lock:
            self._cache.pop(job_id, None)

    def exists(self, job_id: str) -> bool:
        return (self.root / job_id).is_dir()

    def usage(self, owner: str | None) -> int:
        """Bytes held by the owner's jobs."""
        return sum(_folder_size(self.root / s["id"]) for s in self.all() if s.get("owner") == owner)

    def prune(self, *, max_age_days: float, max_jobs: int) -> int:
        """Delete finished jobs older than ``max_age_days`` or beyond the newest ``max_jobs``; how many went."""
        for leftover in self.root.glob(f"{_TRASH}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        finished = [s for s in reversed(self.all()) if s["status"] not in ACTIVE]
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=max_age_days)).isoformat(timespec="seconds")
        doomed = [s for number, s in enumerate(finished) if number >= max_jobs or (s["finished"] or "") < cutoff]
        for state in doomed:
            self.delete(state["id"])
        return len(doomed)

    def input_path(self, state: dict[str, Any]) -> Path:
        return self.root / str(state["id"]) / INPUT_FILES[state["format"]]

    def results_path(self, job_id: str) -> Path:
        return self.root / job_id / "results.jsonl"

    def errors_path(self, job_id: str) -> Path:
        return self.root / job_id / "errors.jsonl"

    def export(self, job_id: str, kind: Export, folder: Path) -> Path:
        """The job's results so far, written by the CLI's writers into ``folder`` (the caller removes it).

        ``csv`` is the article table and ``spans.csv`` the span table of ``--format csv``
        (formula cells neutralised); ``zip`` holds the folder of ``--format html``: a page per
        article and ``index.html``.
        """
        from ..analysis import Analysis

        if kind == "zip":
            count = sum(1 for _ in complete_lines(self.results_path(job_id)))
            if count > self.max_zip_reports:
                raise ExportTooLarge(
                    f"the job has {count:,} results; a zip of HTML reports is made for up to "
                    f"{self.max_zip_reports:,}: download the results as JSON Lines or CSV"
                )
        lines = complete_lines(self.results_path(job_id))
        analyses = (Analysis.from_dict(json.loads(line)) for line in lines)
        if kind == "zip":
            reports = folder / "reports"
            _write_all(open_writer("html", reports), analyses)
            return _zip_folder(reports, folder / "reports.zip")
        table = folder / "results.csv"
        _write_all(open_writer("csv", table), analyses)
        return spans_path(table) if kind == "spans.csv" else table

    def result_line(self, job_id: str, number: int) -> bytes | None:
        """Result ``number`` (from 1) of a job, once written to the end."""
        if number < 1:
            return None
        return next(islice(complete_lines(self.results_path(job_id)), number - 1, number), None)


# ---------------------------------------------------------------------------- what callers send

MAX_URLS = 10_000
_DETECTED = [entry for name, entry in INPUT_FORMATS.items() if name in JOB_FORMATS and entry.detected]
_SUFFIX_FORMATS = {suffix: cast(JobFormat, entry.name) for entry in _DETECTED for suffix in entry.suffixes}
_MEDIA_FORMATS = {media_type: cast(JobFormat, entry.name) for entry in _DETECTED for media_type in entry.media_types}

HttpUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://\S+$")
]


class JobUrls(BaseModel):
    """A batch of web pages to fetch and analyse."""

    model_config = ConfigDict(extra="forbid")
    urls: list[HttpUrl] = Field(min_length=1, max_length=MAX_URLS, description="http(s) URLs, one page each.")


def upload_format(declared: str, name: str | None, content_type: str | None, head: bytes) -> JobFormat:
    if declared in JOB_FORMATS:
        return declared  # type: ignore[return-value]
    if declared != "auto":
        raise InputError(f"format {declared[:40]!r}: use one of auto, {', '.join(JOB_FORMATS)}")
    suffix = PurePosixPath(name or "").suffix.lower()
    media_type = (content_type or "").split(";")[0].strip().lower()
    found = _SUFFIX_FORMATS.get(suffix) or _MEDIA_FORMATS.get(media_type)
    if found:
        return found
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    raise InputError(
        f"cannot tell the upload's format; name the file {_or(e.suffixes[0] for e in _DETECTED)}, "
        f"or give format={_or(JOB_FORMATS)}"
    )


def _or(items: Iterable[str]) -> str:
    """``a, b or c``."""
    *rest, last = items
    return f"{', '.join(rest)} or {last}" if rest else last


def public_job(state: dict[str, Any]) -> dict[str, Any]:
    """The API's view of a job's state (without its owner)."""
    base = f"/v1/jobs/{state['id']}"
    total = state["total"]
    return {
        **{k: v for k, v in state.items() if k != "owner"},
        "progress": min(1.0, round(state["done"] / total, 4))
        if total
        else (1.0 if state["status"] == "done" else None),
        "links": {
            "self": base,
            "results": f"{base}/results",
            "errors": f"{base}/errors",
            "cancel": f"{base}/cancel",
            "store": f"{base}/store",
        },
    }


def display_name(filename: str | None) -> str | None:
    """An uploaded file's base name, only ever shown (never used as a path)."""
    if not filename:
        return None
    return PurePosixPath(filename.replace("\\", "/")).name[:200] or None


def _write_all(writer: ResultWriter, analyses: Iterable[Analysis]) -> None:
    try:
        for analysis in analyses:
            writer.write(analysis)
    finally:
        writer.close()


def _zip_folder(folder: Path, target: Path) -> Path:
    """``folder``'s files in a zip under the folder's name."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*")):
            archive.write(path, f"{folder.name}/{path.name}")
    return target


def _folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) if folder.is_dir() else 0


def _count(path: Path, fmt: str) -> int | None:
    if fmt == "urls":
        with path.open("rb") as lines:
            return sum(1 for line in lines if line.strip() and not line.lstrip().startswith(b"#"))
    return count_documents([str(path)], ReadOptions(input_format=_READ_FORMATS[fmt]))


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


class _Cancelled(BaseException):
    """The job was cancelled: end it here, keeping its results (a BaseException, as :class:`_Stopped`)."""


class _QueuedAnalyzer:
    """An :class:`~unspin.analyzer.AnalyzerLike` whose inference is done by the server's queue."""

    def __init__(
        self, inference: InferenceQueue, threshold: float | None, select: Callable[[Analysis], Analysis]
    ) -> None:
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
            name = self._display + name[len(self._prefix) :]
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
        if self.stop.is_set() or not self.store.exists(self.state["id"]):
            raise _Stopped  # the server stops, or the job was deleted
        if self.store.cancelled(self.state["id"]):
            raise _Cancelled
        if time.monotonic() - self._saved >= _STATE_INTERVAL:
            self._save(stats)

    def log(self, message: str) -> None:
        logger.info("job %s: %s", self.state["id"], message)

    def close(self, stats: BatchStats) -> None:
        self._count(stats)

    def _count(self, stats: BatchStats) -> None:
        self.state.update(
            analysed=stats.analysed + stats.skipped,
            failed=stats.failed,
            duplicates=stats.duplicates,
            done=stats.analysed + stats.skipped + stats.failed + stats.duplicates,
        )

    def _save(self, stats: BatchStats) -> None:
        self._count(stats)
        self.store.save(self.state)
        self._saved = time.monotonic()


class JobWorker:
    """Runs queued jobs in the background, a few at a time; see the module docstring."""

    def __init__(
        self,
        store: JobStore,
        inference: InferenceQueue,
        read_options: ReadOptions,
        select: Callable[[Analysis, Sequence[str] | None], Analysis],
        *,
        poll_seconds: float = 1.0,
        max_running: int = 2,
        retention: Callable[[JobStore], int] | None = None,
    ) -> None:
        self.store = store
        self.inference = inference
        self.read_options = read_options
        self.select = select
        self.poll_seconds = poll_seconds
        self.max_running = max_running
        self.retention = retention
        self._running: dict[str, tuple[threading.Thread, str | None]] = {}  # job id: (thread, owner)
        self._pruned = -_PRUNE_INTERVAL
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock_file: IO[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="unspin-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A job was queued (or one finished): look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        for thread, _ in list(self._running.values()):
            thread.join(timeout)
        if self._lock_file is not None:
            self._lock_file.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._holds_lock():
                self._running = {i: run for i, run in self._running.items() if run[0].is_alive()}
                for state in self._next_jobs():
                    thread = threading.Thread(
                        target=self._process, args=(state,), daemon=True, name=f"unspin-job-{state['id'][:8]}"
                    )
                    self._running[state["id"]] = (thread, state.get("owner"))
                    thread.start()
                self._prune()
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _next_jobs(self) -> list[dict[str, Any]]:
        """Jobs to start now: oldest first, callers with nothing running before the others."""
        free = self.max_running - len(self._running)
        if free <= 0:
            return []
        waiting = [s for s in self.store.all() if s["status"] in ACTIVE and s["id"] not in self._running]
        busy = {owner for _, owner in self._running.values()}
        chosen: list[dict[str, Any]] = []
        for state in sorted(waiting, key=lambda s: s.get("owner") in busy):  # stable: oldest first within each
            if len(chosen) < free:
                chosen.append(state)
                busy.add(state.get("owner"))
        return chosen

    def _prune(self) -> None:
        if self.retention is None or time.monotonic() - self._pruned < _PRUNE_INTERVAL:
            return
        self._pruned = time.monotonic()
        removed = self.retention(self.store)
        if removed:
            logger.info("deleted %d finished jobs past their retention", removed)

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
        self.store.save(state)  # as cancelled, when it was cancelled while being picked up
        try:
            if state["status"] == "cancelled":
                raise _Cancelled
            stats = self._run_job(state)
        except _Stopped:
            logger.info("job %s: stopped (deleted, or it resumes on the next start)", state["id"])
            return
        except _Cancelled:
            logger.info("job %s: cancelled after %d documents", state["id"], state["done"])
            state.update(status="cancelled", finished=state["finished"] or _now())
        except Exception as exc:
            logger.exception("job %s failed", state["id"])
            state.update(status="failed", finished=_now(), error=f"the job stopped: {exc}")
        else:
            state.update(status="done", finished=_now())
            logger.info("job %s: %s", state["id"], stats.summary())
        finally:
            self._wake.set()  # a slot is free
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
            return run_batch(
                read_documents([str(input_path)], options=read_options),
                analyzer,
                writer,
                errors=errors,
                done=done,
                progress=progress,
            )
        finally:
            writer.close()
            errors.close()
