"""What the running server holds: settings, keys, stores, and the model once it is loaded.

The model loads on a background thread started by the app's lifespan, so that
``/healthz`` answers at once and ``/readyz`` tells when analysis can start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from ..analysis import Analysis
from ..errors import UnspinError
from ..formats.inputs import ReadOptions
from ..store import Store
from ..taxonomy import category_of
from .inference import InferenceQueue
from .jobs import JobStore, JobWorker
from .security import KeyRing, RateLimiter
from .settings import Settings
from .storage import AnalysisStore

if TYPE_CHECKING:
    from ..analyzer import Analyzer

logger = logging.getLogger("unspin.server")


class Runtime:
    """The server's state; routes reach it through :mod:`unspin.server.deps`."""

    def __init__(self, settings: Settings, analyzer: Analyzer | None = None) -> None:
        self.settings = settings
        self.keys = KeyRing.from_file(settings.api_keys) if settings.api_keys else None
        self.limiter = RateLimiter(settings.rate_limit)
        self.analyses = AnalysisStore(settings.data_dir)
        self.jobs = JobStore(settings.data_dir, quota_bytes=int(settings.job_quota_mb * 2**20))
        self.budget = RateLimiter(settings.tokens_per_minute)  # model tokens, for single analyses
        # URL fetches for single analyses run here, not on the request thread pool, so
        # slow upstreams can hold at most these threads, never the server's other routes.
        self.fetch_pool = ThreadPoolExecutor(settings.max_fetches, thread_name_prefix="unspin-fetch")
        self.read_options = ReadOptions(
            max_bytes=settings.max_body_bytes,
            timeout=settings.fetch_timeout,
            allow_private_addresses=settings.allow_private_urls,
        )
        self.analyzer = analyzer
        self.load_error: str | None = None
        self.inference: InferenceQueue | None = None
        self.worker: JobWorker | None = None
        self._corpus: Store | None = None
        self._corpus_lock = threading.Lock()
        # One import into the corpus at a time: two clicks at once must not both find an article new.
        self.corpus_writes = threading.Lock()

    @property
    def corpus(self) -> Store:
        """The corpus store, opened (and migrated) on first use; raises StoreError if it cannot be."""
        with self._corpus_lock:
            if self._corpus is None:
                self._corpus = Store(self.settings.db)
            return self._corpus

    @property
    def ready(self) -> bool:
        return self.inference is not None

    def start(self) -> None:
        """Load the model (unless one was given) and start inference and the job worker, in the background."""
        threading.Thread(target=self._load, name="unspin-model-loader", daemon=True).start()

    def stop(self) -> None:
        self.fetch_pool.shutdown(wait=False, cancel_futures=True)
        if self._corpus is not None:
            self._corpus.close()
        if self.worker is not None:
            self.worker.stop()
        if self.inference is not None:
            self.inference.close()

    def _load(self) -> None:
        try:
            if self.analyzer is None:
                self.analyzer = _load_analyzer(self.settings)
        except UnspinError as exc:
            self.load_error = str(exc)
            logger.error("cannot load the model: %s", exc)
            return
        inference = InferenceQueue(self.analyzer)
        settings = self.settings
        self.worker = JobWorker(
            self.jobs,
            inference,
            self.read_options,
            select_categories,
            max_running=settings.job_workers,
            retention=lambda jobs: jobs.prune(max_age_days=settings.job_retention_days, max_jobs=settings.max_jobs),
        )
        self.worker.start()
        self.inference = inference  # last: from here on the server is ready
        logger.info("model %s %s loaded; ready", *self.analyzer.model_info.values())


def _load_analyzer(settings: Settings) -> Analyzer:
    from ..analyzer import Analyzer
    from ..batch import configure_threads

    configure_threads(settings.threads)
    return Analyzer.from_bundle(settings.model)


def select_categories(analysis: Analysis, categories: Sequence[str] | None) -> Analysis:
    """The analysis with only the techniques (and spans) of these categories; all of them for ``None``."""
    if not categories:
        return analysis
    keep = set(categories)
    paragraphs = tuple(
        replace(
            p,
            techniques=tuple(t for t in p.techniques if category_of(t.technique).key in keep),
            spans=tuple(s for s in p.spans if s.category in keep),
        )
        for p in analysis.paragraphs
    )
    return replace(analysis, paragraphs=paragraphs)
