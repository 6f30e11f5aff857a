"""``unspin serve``: the REST API (and web UI) under uvicorn, with the model loaded once per process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ._util import app, err_console, fail

SERVER_EXTRA_HINT = "the server needs the server extra: pip install 'unspin[server]'"


# The corpus routes take repeated filter values in the query string: long enough a
# request line for their limits (checked by the app, with a 422) instead of h11's 16 KiB.
MAX_REQUEST_HEAD = 1 << 20


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs --api-keys.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes, each with its own copy of the model.")] = 1,
    model: Annotated[Path | None, typer.Option(help="Model bundle directory (default: the shipped model).")] = None,
    api_keys: Annotated[
        Path | None,
        typer.Option(
            "--api-keys",
            metavar="FILE",
            help="File of API keys, one a line; callers send one as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where jobs and stored analyses are kept (default: $UNSPIN_DATA_DIR, else the user's data "
            "directory, ~/.local/share/unspin).",
            show_default=False,
        ),
    ] = None,
    max_body_mb: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            metavar="MiB",
            help="Largest request body, uploads included; larger ones get 413 (default: 10).",
            show_default=False,
        ),
    ] = None,
    rate_limit: Annotated[
        str | None,
        typer.Option(
            metavar="N/min",
            help="Requests a minute per API key (per client address without keys), or off (default: 600/min).",
            show_default=False,
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ORIGIN",
            help="An origin allowed to call the API from a browser, e.g. https://newsroom.example "
            "(repeatable; default: none).",
            show_default=False,
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="HOST",
            help="A host name the server answers to, e.g. unspin.newsroom.example (repeatable; "
            "default: the --host address and localhost, or any name beyond loopback).",
            show_default=False,
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ADDRESS",
            help="A reverse proxy whose X-Forwarded-For is believed (repeatable; default: none).",
            show_default=False,
        ),
    ] = None,
    allow_private_urls: Annotated[
        bool,
        typer.Option(
            "--allow-private-urls",
            help="Let the server fetch URLs on loopback and private addresses (for local testing only).",
        ),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            help="Corpus database for /v1/corpus and the dashboard: a SQLite file or postgresql:// URL "
            "(default: $UNSPIN_DB, else corpus.db in the user's data directory).",
            show_default=False,
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1, help="Torch threads per process (default: OMP_NUM_THREADS, else one per core).", show_default=False
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")] = "info",
) -> None:
    """Serve the REST API on HOST:PORT: POST /v1/analyze, batch jobs, and the reference at /docs."""
    try:
        import uvicorn

        from ..server.settings import Settings
    except ImportError as exc:
        raise fail(SERVER_EXTRA_HINT) from exc
    given: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "model": model,
        "api_keys": api_keys,
        "data_dir": data_dir,
        "max_body_mb": max_body_mb,
        "rate_limit": rate_limit,
        "cors_origins": cors_origin,
        "threads": threads,
        "allow_private_urls": allow_private_urls or None,
        "db": db,
        "allowed_hosts": allowed_host,
        "trusted_proxies": trusted_proxy,
    }
    settings = _settings(Settings, {k: v for k, v in given.items() if v is not None})
    _check(settings)
    # Worker processes build the app from the environment (uvicorn needs an import string for several).
    os.environ.update(settings.environment())
    err_console.print(
        f"unspin: serving http://{_url_host(settings.host)}:{settings.port} "
        f"(API reference at /docs; the model loads in the background, /readyz says when it is ready)"
    )
    uvicorn.run(
        "unspin.server.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=log_level,
        server_header=False,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD,
    )


def _settings(settings_class: Any, values: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return settings_class(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise fail(f"invalid server settings: {problems}", code=2) from exc


def _check(settings: Any) -> None:
    """Fail before starting uvicorn: unreadable keys, an exposed address without keys, a missing model."""
    from ..config import default_model_path
    from ..server.security import KeyRing, check_exposure

    keys = KeyRing.from_file(settings.api_keys) if settings.api_keys else None
    check_exposure(settings.host, keys)
    bundle = settings.model or default_model_path()
    if not (Path(bundle) / "meta.json").is_file():
        raise fail(
            f"{bundle}: not a model bundle (no meta.json); give one with --model DIR or build it with `unspin train`"
        )
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(
            f"{settings.data_dir}: cannot create the data directory ({exc.strerror or exc}); "
            "choose another with --data-dir"
        ) from exc


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
