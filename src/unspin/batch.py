"""Batch runs: documents stream through the Analyzer and each result is written as soon as it is ready.

- Reading, parsing and token counting run in a background thread, ahead of inference,
  while torch uses one intra-op thread per core (:func:`configure_threads`).
- A document that cannot be read or analysed goes to an :class:`ErrorLog` and the run
  goes on.
- Resuming: :func:`load_done_hashes` reads the content hashes already in a JSONL output
  (dropping a line cut short by a kill), and :func:`run_batch` skips those documents.
  Results are flushed per document, so a killed run loses only the batch in flight.
- A text appearing twice is analysed once: the second copy is counted as a duplicate.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import InputError, UnspinError
from .files import drop_partial_last_line
from .formats.inputs import Document
from .formats.outputs import ResultWriter
from .formats.records import parse_json_line

if TYPE_CHECKING:
    from rich.console import Console

    from .analysis import Analysis
    from .analyzer import AnalyzerLike

__all__ = [
    "BatchStats",
    "ErrorLog",
    "LogProgress",
    "NoProgress",
    "ProgressReporter",
    "RichProgress",
    "configure_threads",
    "errors_path_for",
    "load_done_hashes",
    "run_batch",
]

DEFAULT_BATCH_SIZE = 8
_PREFETCH_BATCHES = 4
_IDLE_SECONDS = 0.5  # a partial batch waits this long for more input before it is analysed
_HASH_IN_LINE = re.compile(rb'"content_hash": "([0-9a-f]{64})"')
LOG_INTERVAL_SECONDS = 10.0


@dataclass
class BatchStats:
    """What a batch run did; ``tokens`` counts the analysed documents' tokens."""

    analysed: int = 0
    failed: int = 0
    skipped: int = 0
    duplicates: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def summary(self) -> str:
        """One line for the end of a run."""
        rate = self.analysed / self.seconds if self.seconds > 0 else 0.0
        parts = [f"analysed {self.analysed:,} documents in {_duration(self.seconds)} ({rate:.1f}/s)"]
        parts += [
            f"{n:,} {what}"
            for n, what in (
                (self.failed, "failed"),
                (self.skipped, "already done"),
                (self.duplicates, "duplicates skipped"),
            )
            if n
        ]
        return ", ".join(parts)


# ---------------------------------------------------------------------------- threads


def configure_threads(threads: int | None = None) -> int:
    """Give torch one intra-op thread per available core and return the count.

    ``threads`` overrides it; so does ``OMP_NUM_THREADS``, which torch reads itself.
    """
    import torch

    if threads is None and os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    torch.set_num_threads(threads or _available_cores())
    return torch.get_num_threads()


def _available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# ---------------------------------------------------------------------------- resume


def load_done_hashes(path: Path) -> set[str]:
    """Content hashes of the analyses in a JSONL output, after dropping a partial last line.

    A run killed while writing can leave a last line without its newline; it is cut off
    here so that appended results start on a line of their own. Lines that are not an
    analysis are ignored.
    """
    if not path.exists():
        return set()
    drop_partial_last_line(path)
    done = set()
    with path.open("rb") as lines:
        for line in lines:
            content_hash = _content_hash(line)
            if content_hash:
                done.add(content_hash)
    return done


def _content_hash(line: bytes) -> str | None:
    # The article's hash is the first "content_hash" key of a line this package wrote; other
    # writers' JSON is parsed in full.
    found = _HASH_IN_LINE.search(line)
    if found:
        return found.group(1).decode("ascii")
    try:
        content_hash = parse_json_line(line)["article"]["content_hash"]
    except (InputError, KeyError, TypeError):
        return None
    return content_hash if isinstance(content_hash, str) else None


# ---------------------------------------------------------------------------- errors


def errors_path_for(output: Path) -> Path:
    """The default errors file beside an output: ``out.jsonl`` -> ``out.errors.jsonl``."""
    return output.with_name(f"{output.stem}.errors.jsonl")


class ErrorLog:
    """Failed documents: JSON lines ``{"name", "reason"}`` in ``path``, and ``echo`` for a message.

    The file is replaced on the first failure of a run (a rerun retries earlier failures),
    so a run without failures leaves no errors file behind; an old one is removed.
    """

    def __init__(
        self, path: Path | None = None, echo: Callable[[str], None] | None = None, echo_limit: int = 50
    ) -> None:
        self.path = path
        self.echo = echo
        self.echo_limit = echo_limit
        self.count = 0
        self._file: Any = None
        if path is not None and path.exists():
            with self._reporting_write_errors():
                path.unlink()

    def add(self, name: str, reason: str) -> None:
        self.count += 1
        if self.path is not None:
            with self._reporting_write_errors():
                self._file = self._file or self.path.open("w", encoding="utf-8")
                self._file.write(json.dumps({"name": name, "reason": reason}, ensure_ascii=False) + "\n")
                self._file.flush()
        self._echo(f"{name}: {reason}")

    @contextmanager
    def _reporting_write_errors(self) -> Iterator[None]:
        """An OSError names this file, not the results (which the caller would blame)."""
        try:
            yield
        except OSError as exc:
            raise UnspinError(f"cannot write the errors file {self.path}: {exc.strerror or exc}") from exc

    def _echo(self, message: str) -> None:
        if self.echo is None or self.count > self.echo_limit:
            return
        if self.count == self.echo_limit and self.path is not None:
            message += f" (further failures are only written to {self.path})"
        self.echo(message)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


# ---------------------------------------------------------------------------- progress


class ProgressReporter(Protocol):
    """Told how a run advances; shows it to the user."""

    def set_total(self, total: int) -> None: ...

    def update(self, stats: BatchStats) -> None: ...

    def log(self, message: str) -> None: ...

    def close(self, stats: BatchStats) -> None: ...


class NoProgress:
    """Shows nothing; messages go to ``echo`` if given."""

    def __init__(self, echo: Callable[[str], None] | None = None) -> None:
        self.echo = echo

    def set_total(self, total: int) -> None:
        pass

    def update(self, stats: BatchStats) -> None:
        pass

    def log(self, message: str) -> None:
        if self.echo:
            self.echo(message)

    def close(self, stats: BatchStats) -> None:
        pass


class _Totals:
    """Documents still to do, from a total that may arrive late and resumed documents skipped."""

    def __init__(self) -> None:
        self.total: int | None = None

    def remaining_total(self, stats: BatchStats) -> int | None:
        if self.total is None:
            return None
        return max(self.total - stats.skipped - stats.duplicates, stats.analysed + stats.failed)


class RichProgress(_Totals):
    """A rich progress bar on a terminal: documents, tokens/s and the time left."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        super().__init__()
        self._progress = Progress(
            TextColumn("[bold]analysing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[failed]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = self._progress.add_task("analysing", total=None, rate="", failed="")
        self._progress.start()

    def set_total(self, total: int) -> None:
        self.total = total

    def update(self, stats: BatchStats) -> None:
        tokens_per_s = stats.tokens / stats.seconds if stats.seconds > 0 else 0.0
        self._progress.update(
            self._task,
            completed=stats.analysed + stats.failed,
            total=self.remaining_total(stats),
            rate=f"{tokens_per_s:,.0f} tokens/s",
            failed=f"[red]{stats.failed:,} failed" if stats.failed else "",
        )

    def log(self, message: str) -> None:
        self._progress.console.print(message, markup=False, highlight=False, soft_wrap=True)

    def close(self, stats: BatchStats) -> None:
        self.total = stats.analysed + stats.failed + stats.skipped + stats.duplicates
        self.update(stats)
        self._progress.stop()


class LogProgress(_Totals):
    """Plain log lines every ``interval`` seconds (default :data:`LOG_INTERVAL_SECONDS`), for logs and pipes."""

    def __init__(self, echo: Callable[[str], None], interval: float | None = None) -> None:
        super().__init__()
        self.echo = echo
        self.interval = LOG_INTERVAL_SECONDS if interval is None else interval
        self._last = time.monotonic()

    def set_total(self, total: int) -> None:
        self.total = total

    def update(self, stats: BatchStats) -> None:
        if time.monotonic() - self._last >= self.interval:
            self._last = time.monotonic()
            self.echo(self.line(stats))

    def line(self, stats: BatchStats) -> str:
        done = stats.analysed + stats.failed
        total = self.remaining_total(stats)
        rate = done / stats.seconds if stats.seconds > 0 else 0.0
        parts = [
            f"{done:,}" + (f" of {total:,}" if total is not None else "") + " documents",
            f"{stats.tokens / max(stats.seconds, 1e-9):,.0f} tokens/s",
        ]
        if stats.failed:
            parts.append(f"{stats.failed:,} failed")
        if total is not None and rate > 0:
            parts.append(f"about {_duration((total - done) / rate)} left")
        return ", ".join(parts)

    def log(self, message: str) -> None:
        self.echo(message)

    def close(self, stats: BatchStats) -> None:
        pass


def _duration(seconds: float) -> str:
    if seconds < 59.5:
        return f"{max(seconds, 0):.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    seconds = round(seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# ---------------------------------------------------------------------------- the run


@dataclass(frozen=True, slots=True)
class _Item:
    document: Document
    tokens: int = 0
    done: bool = False  # already in the output or seen earlier in this run


_END = object()
_IDLE = object()


class _Prefetch:
    """Produce items in a background thread, a bounded queue ahead of the consumer."""

    def __init__(self, items: Iterable[Any], size: int) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(items,), name="unspin-reader", daemon=True)
        self._thread.start()

    def _produce(self, items: Iterable[Any]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            self._put(exc)
            return
        self._put(_END)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self, timeout: float | None) -> Any:
        """The next item, ``_IDLE`` if none came within ``timeout``, ``_END`` at the end."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return _IDLE
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()


def run_batch(
    documents: Iterable[Document],
    analyzer: AnalyzerLike,
    writer: ResultWriter,
    *,
    errors: ErrorLog | None = None,
    done: set[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressReporter | None = None,
) -> BatchStats:
    """Analyse ``documents`` and write each analysis; failures go to ``errors``, the run goes on.

    Parameters
    ----------
    documents : iterable of Document
        Read in a background thread, so that reading overlaps inference.
    analyzer : AnalyzerLike
    writer : ResultWriter
        Gets each analysis as soon as its batch is analysed.
    errors : ErrorLog, optional
        Gets every document that could not be read or analysed.
    done : set of str, optional
        Content hashes to skip (from :func:`load_done_hashes`); hashes analysed in this
        run are added to it.
    batch_size : int
        Documents analysed together; at most this many are lost when a run is killed.
    progress : ProgressReporter, optional

    Returns
    -------
    BatchStats
    """
    return _BatchRun(
        analyzer,
        writer,
        errors or ErrorLog(),
        done if done is not None else set(),
        batch_size,
        progress or NoProgress(),
    ).run(documents)


class _BatchRun:
    def __init__(
        self,
        analyzer: AnalyzerLike,
        writer: ResultWriter,
        errors: ErrorLog,
        done: set[str],
        batch_size: int,
        progress: ProgressReporter,
    ) -> None:
        self.analyzer = analyzer
        self.writer = writer
        self.errors = errors
        self.previous = set(done)
        self.done = done
        self.batch_size = batch_size
        self.progress = progress
        self.stats = BatchStats()
        self.batch: list[_Item] = []

    def run(self, documents: Iterable[Document]) -> BatchStats:
        reader = _Prefetch(self._prepared(documents), size=self.batch_size * _PREFETCH_BATCHES)
        try:
            while (item := reader.get(timeout=_IDLE_SECONDS if self.batch else None)) is not _END:
                if item is _IDLE:
                    self._analyse_batch()
                else:
                    self._take(item)
            self._analyse_batch()
        finally:
            reader.close()
            self.progress.close(self.stats)
        return self.stats

    def _prepared(self, documents: Iterable[Document]) -> Iterator[_Item]:
        """Runs in the reader thread: documents already done are not tokenized."""
        for document in documents:
            if document.article is None:
                yield _Item(document)
            elif document.article.content_hash in self.done:
                yield _Item(document, done=True)
            else:
                yield _Item(document, tokens=self._count_tokens(document))

    def _count_tokens(self, document: Document) -> int:
        assert document.article is not None
        texts = [p.text for p in document.article.paragraphs]
        return sum(len(t.ids) for t in self.analyzer.bundle.tokenizer.tokenize(texts))

    def _take(self, item: _Item) -> None:
        article = item.document.article
        if article is None:
            self._fail(item.document.name, item.document.reason or "cannot be read")
        elif item.done or article.content_hash in self.done:
            self._skip(article.content_hash)
        else:
            self.done.add(article.content_hash)
            self.batch.append(item)
            if len(self.batch) >= self.batch_size:
                self._analyse_batch()
        self.progress.update(self.stats)

    def _skip(self, content_hash: str) -> None:
        if content_hash in self.previous:
            self.stats.skipped += 1
        else:
            self.stats.duplicates += 1

    def _fail(self, name: str, reason: str) -> None:
        self.stats.failed += 1
        self.errors.add(name, reason)

    def _analyse_batch(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        for item, result in zip(batch, self._analyses(batch), strict=True):
            if isinstance(result, str):
                self._fail(item.document.name, result)
            else:
                self.writer.write(result)
                self.stats.analysed += 1
                self.stats.tokens += item.tokens
        self.progress.update(self.stats)

    def _analyses(self, batch: list[_Item]) -> list[Analysis | str]:
        """Analyses in order, or the reason one failed; a failing batch is retried one by one."""
        articles = [item.document.unwrap() for item in batch]
        try:
            return list(self.analyzer.analyze_many(articles))
        except Exception as exc:  # noqa: BLE001 - isolated below, document by document
            if len(articles) == 1:
                return [_failure_reason(exc)]
        return [self._analyse_one(article) for article in articles]

    def _analyse_one(self, article: Any) -> Analysis | str:
        try:
            return self.analyzer.analyze(article)
        except Exception as exc:  # noqa: BLE001 - one bad document must not stop the run
            return _failure_reason(exc)


def _failure_reason(exc: Exception) -> str:
    if isinstance(exc, UnspinError):
        return str(exc)
    return f"internal error ({type(exc).__name__}: {exc}); please report it"
