"""Opening a corpus database: SQLite by default, PostgreSQL for teams, migrated on open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..config import default_database
from ..errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def database_file(target: str | Path | None = None) -> Path | None:
    """The file of a SQLite database (``target`` as :func:`database_url` takes it); None for a server."""
    target = str(target or default_database())
    if "://" not in target:
        return Path(target).expanduser()
    try:
        url = make_url(target)
    except ArgumentError:
        return None  # database_url reports it when the store opens
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def database_url(target: str | Path | None = None) -> sa.URL:
    """A SQLAlchemy URL for a file path, a ``sqlite:///`` URL or a ``postgresql://`` URL."""
    target = str(target or default_database())
    if "://" not in target:
        path = Path(target).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return sa.URL.create("sqlite", database=str(path))
    try:
        url = make_url(target)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {_redacted(target)}") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {url.get_backend_name()!r}: use a file path, sqlite:/// or postgresql://"
        )
    return url


def create_engine(target: str | Path | None = None) -> Engine:
    """An engine with the right settings per backend, and the schema migrated to the latest version."""
    url = database_url(target)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    try:
        migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"cannot open the database {url.render_as_string(hide_password=True)}: {_first_line(exc)}"
        ) from exc
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (a no-op when it is there already)."""
    _alembic(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision``; what later migrations added is dropped."""
    _alembic(engine, command.downgrade, revision)


def _alembic(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the dashboard) do not block an import
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _first_line(exc: Exception) -> str:
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _redacted(target: str) -> str:
    try:
        return make_url(target).render_as_string(hide_password=True)
    except ArgumentError:
        return target.split("@")[-1]
