"""The :class:`Store`: a corpus database opened once, written to and asked questions of."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Self

import sqlalchemy as sa

from ..analysis import Analysis
from ..errors import InputError, StoreError, UnspinError, where
from ..formats.records import parse_json_line
from . import tables as t
from .db import create_engine
from .ingest import DEFAULT_BATCH_SIZE, ImportStats, add_analyses


class Store:
    """A corpus of analyses in SQLite (a file path) or PostgreSQL (a ``postgresql://`` URL).

    The schema is created or migrated on open. Use as a context manager, or call
    :meth:`close`.
    """

    def __init__(self, target: str | Path | None = None) -> None:
        self.engine = create_engine(target)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def add(self, analyses: Iterable[Analysis], *, batch_size: int = DEFAULT_BATCH_SIZE) -> ImportStats:
        """Store analyses, one transaction per batch; ones already stored for the same model are skipped."""
        return add_analyses(self.engine, analyses, batch_size=batch_size)

    def import_jsonl(
        self,
        path: str | Path,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_error: Callable[[str, str], None] | None = None,
    ) -> ImportStats:
        """Load ``unspin analyze`` JSON Lines output; a bad line is reported to ``on_error`` and skipped."""
        stats = ImportStats()
        add_analyses(self.engine, _read_analyses(Path(path), on_error), batch_size=batch_size, stats=stats)
        return stats

    def models(self) -> list[dict]:
        """The models with analyses here, latest first, with their article counts."""
        counts = t.agg_articles_monthly  # counted on import: no scan of the articles
        articles = (
            sa.select(sa.func.coalesce(sa.func.sum(counts.c.articles), 0))
            .where(counts.c.model_id == t.models.c.id)
            .scalar_subquery()
        )
        query = sa.select(
            t.models.c.id, t.models.c.name, t.models.c.version, t.models.c.first_imported, articles.label("articles")
        ).order_by(t.models.c.first_imported.desc(), t.models.c.id.desc())
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def model_id(self, model: str | None = None) -> int:
        """The id of ``NAME==VERSION`` or ``VERSION``; the latest imported model when None; -1 for an empty store."""
        m = t.models.c  # every query asks this: read the small models table only, no article counts
        query = sa.select(m.id, m.name, m.version).order_by(m.first_imported.desc(), m.id.desc())
        with self.engine.connect() as connection:
            models = [dict(row._mapping) for row in connection.execute(query)]
        if model is None:
            return models[0]["id"] if models else -1
        for found in models:
            if model in (f"{found['name']}=={found['version']}", found["version"], found["name"]):
                return int(found["id"])
        names = ", ".join(f"{found['name']}=={found['version']}" for found in models) or "none yet"
        raise InputError(f"no analyses by model {model!r} in the store (models: {names})")

    def connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot reach the database {self.url}: {exc}") from exc


class StoreWriter:
    """A result writer (see :class:`unspin.formats.outputs.ResultWriter`) that adds analyses to a store in batches.

    A batch is committed when full and on :meth:`close`, so a killed run loses at most
    ``batch_size`` analyses here; ``unspin analyze`` resuming a JSONL output adds those
    from the JSONL.
    """

    def __init__(self, store: Store, batch_size: int = 64) -> None:
        self.store = store
        self.batch_size = batch_size
        self.stats = ImportStats()
        self._pending: list[Analysis] = []

    def write(self, analysis: Analysis) -> None:
        self._pending.append(analysis)
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            add_analyses(self.store.engine, self._pending, batch_size=self.batch_size, stats=self.stats)
            self._pending = []

    def close(self) -> None:
        self.flush()


def _read_analyses(path: Path, on_error: Callable[[str, str], None] | None) -> Iterator[Analysis]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{where(path)}{exc.strerror or exc}") from exc
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                yield Analysis.from_dict(parse_json_line(raw))
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError, UnspinError) as exc:
                reason = f"not an unspin analysis: {type(exc).__name__}: {exc}"[:300]
                if on_error is None:
                    raise InputError(f"{where(path, number)}{reason}") from exc
                on_error(f"{path}:{number}", reason)
