"""One inference thread for the whole server, batching requests that arrive together.

Requests queue up while a batch runs and are analysed together next (with the same
technique threshold); a single pasted article goes first, before the next batch of a
job, and a short one before a long one, so a 40-word request never waits behind a
book-length one. Callers get a :class:`concurrent.futures.Future` of their analyses.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..analyzer import Analyzer
    from ..article import Article

INTERACTIVE = 0
BACKGROUND = 1
MAX_BATCH_ARTICLES = 16
LONG_REQUEST_TOKENS = 4096  # about 3,000 words: a long article
logger = logging.getLogger("unspin.server")


@dataclass(order=True)
class _Request:
    priority: int
    long: bool
    number: int
    threshold: float | None = field(compare=False)
    articles: Sequence[Article] = field(compare=False)
    future: Future[list[Analysis]] = field(compare=False)


class ShuttingDown(RuntimeError):
    """The server stopped before the request was analysed."""


class InferenceQueue:
    """Analyse articles on one thread; see the module docstring."""

    def __init__(self, analyzer: Analyzer, *, max_batch: int = MAX_BATCH_ARTICLES) -> None:
        self.analyzer = analyzer
        self.max_batch = max_batch
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._numbers = itertools.count()
        self._thread = threading.Thread(target=self._run, name="unspin-inference", daemon=True)
        self._thread.start()

    def submit(
        self, articles: Sequence[Article], *, threshold: float | None = None, priority: int = INTERACTIVE, cost: int = 0
    ) -> Future[list[Analysis]]:
        """Queue articles; ``cost`` (model tokens, :meth:`Analyzer.cost`) puts long requests after short ones."""
        future: Future[list[Analysis]] = Future()
        request = _Request(priority, cost > LONG_REQUEST_TOKENS, next(self._numbers), threshold, list(articles), future)
        self._queue.put(request)
        return future

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def analyzer_for(self, threshold: float | None) -> Analyzer:
        """The analyzer showing techniques and spans at or above this confidence, sharing the loaded model."""
        return self.analyzer if threshold is None else self.analyzer.with_thresholds(threshold, threshold)

    def _run(self) -> None:
        pending: list[_Request] = []
        stopping = False
        while not (stopping and not pending):
            if not pending:
                item = self._queue.get()
                if item is None:
                    break
                pending.append(item)
            stopping = self._drain(pending) or stopping
            pending.sort()
            group, pending = self._group(pending)
            self._analyse(group)
        for request in self._leftovers(pending):
            request.future.set_exception(ShuttingDown("the server is shutting down"))

    def _drain(self, pending: list[_Request]) -> bool:
        """Move every queued request into ``pending``; True when the stop signal was among them."""
        stop = False
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return stop
            if item is None:
                stop = True
            else:
                pending.append(item)

    def _leftovers(self, pending: list[_Request]) -> list[_Request]:
        self._drain(pending)
        return pending

    def _group(self, pending: list[_Request]) -> tuple[list[_Request], list[_Request]]:
        """The first request, and those after it of the same priority, length and threshold that fit one batch."""
        first = pending[0]
        group, rest, size = [first], [], len(first.articles)
        for request in pending[1:]:
            fits = size + len(request.articles) <= self.max_batch
            same = (request.priority, request.long, request.threshold) == (first.priority, first.long, first.threshold)
            if fits and same:
                group.append(request)
                size += len(request.articles)
            else:
                rest.append(request)
        return group, rest

    def _analyse(self, group: list[_Request]) -> None:
        live = [r for r in group if r.future.set_running_or_notify_cancel()]
        if not live:
            return
        analyzer = self.analyzer_for(live[0].threshold)
        if len(live) > 1:
            try:
                results = analyzer.analyze_many([a for r in live for a in r.articles])
            except Exception:  # noqa: BLE001 - a bad article fails its own request only, below
                logger.debug("a batch of %d requests failed; analysing them one by one", len(live))
            else:
                start = 0
                for request in live:
                    request.future.set_result(results[start : start + len(request.articles)])
                    start += len(request.articles)
                return
        for request in live:
            try:
                request.future.set_result(analyzer.analyze_many(request.articles))
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                request.future.set_exception(exc)
