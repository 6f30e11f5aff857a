"""The FastAPI application: :func:`create_app` wires settings, middleware, handlers and routers.

Importing this module is cheap: the model is loaded by the lifespan, on a background
thread, so ``/healthz`` answers at once and ``/readyz`` once the model is ready.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse

from .._version import __version__
from .language import UiLanguageMiddleware
from .problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from .routers import analyses, analyze, compare, corpus, docs, export, health, jobs, reference, reviews
from .runtime import Runtime
from .security import (
    BodyLimitMiddleware,
    RequestOriginMiddleware,
    SecurityHeadersMiddleware,
    check_exposure,
)
from .settings import Settings

if TYPE_CHECKING:
    from ..analyzer import Analyzer

UI_MODULE = "unspin.server.ui"
DESCRIPTION = (
    "Find persuasion techniques (SemEval-2023 Task 3) with their spans, frames and genre in news articles. "
    "Every span is a pair of character offsets into `article.text`, end exclusive."
)


def create_app(settings: Settings | None = None, *, analyzer: Analyzer | None = None) -> FastAPI:
    """The unspin server application.

    Parameters
    ----------
    settings : Settings, optional
        Read from ``UNSPIN_*`` environment variables when left out.
    analyzer : Analyzer, optional
        An already loaded model (for embedding and tests); otherwise the lifespan loads
        ``settings.model``.

    Raises
    ------
    InputError
        For an unreadable API key file, or a non-loopback host without API keys.
    """
    settings = settings or Settings()
    runtime = Runtime(settings, analyzer)
    check_exposure(settings.host, runtime.keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="unspin",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    for router in (
        health.router,
        analyze.router,
        jobs.router,
        analyses.router,
        compare.router,
        corpus.router,
        reference.router,
        reviews.router,
        export.router,
        docs.router,
    ):
        app.include_router(router)
    _include_ui(app)
    _add_middleware(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with errors documented as problem+json only (it adds application/json too)."""
    if app.openapi_schema is None:
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for item in spec["paths"].values():
            for operation in item.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    if PROBLEM_MEDIA_TYPE in content:
                        content.pop("application/json", None)
        app.openapi_schema = spec
    return app.openapi_schema


def _include_ui(app: FastAPI) -> None:
    """The web UI (``unspin.server.ui.router``) owns ``/`` when it is installed; else ``/`` shows the API docs."""
    if importlib.util.find_spec(UI_MODULE) is not None:
        from . import ui

        app.include_router(ui.router)
        return

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Added innermost first: security headers on everything, CORS headers on 413s and refusals too."""
    app.add_middleware(UiLanguageMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            expose_headers=["Content-Location", "X-Analysis-Id", "Location", "Retry-After", "X-Job-Status"],
        )
    app.add_middleware(RequestOriginMiddleware, allowed_hosts=settings.hosts, cors_origins=settings.cors_origins)
    app.add_middleware(SecurityHeadersMiddleware)


def app_from_environment() -> FastAPI:
    """The app configured by ``UNSPIN_*`` variables: what each ``unspin serve`` worker process runs."""
    logging.getLogger("unspin").setLevel(logging.INFO)
    return create_app(Settings())
