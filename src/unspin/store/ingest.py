"""Writing analyses into the store: idempotent, one transaction per batch.

An article is keyed by its content hash and the model that analysed it: importing it
again changes nothing, a new model version adds a second analysis beside the first.
Each batch commits as a whole (rows and aggregate counts together), so an import
stopped half-way leaves complete batches behind, and rerunning it adds only the rest.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations, islice

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..analysis import Analysis
from ..corpus.periods import period_start
from ..corpus.stats.phrases import count_words, normalise_phrase
from ..taxonomy import category_of
from . import tables as t

DEFAULT_BATCH_SIZE = 200


@dataclass
class ImportStats:
    added: int = 0
    skipped: int = 0  # already stored for the same model

    def __str__(self) -> str:
        return f"{self.added:,} added, {self.skipped:,} already stored"


def period_keys(day: dt.date | None) -> tuple[dt.date, dt.date, dt.date]:
    """The day, the Monday of its week and the first of its month (all UNDATED for no date)."""
    if day is None:
        return t.UNDATED, t.UNDATED, t.UNDATED
    return day, period_start(day, "week"), period_start(day, "month")


def add_analyses(
    connection_source,
    analyses: Iterable[Analysis],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    stats: ImportStats | None = None,
) -> ImportStats:
    """Store analyses; ``connection_source`` is an Engine. Returns how many were added and skipped."""
    stats = stats or ImportStats()
    for batch in _batches(analyses, batch_size):
        with connection_source.begin() as connection:
            added = _add_batch(connection, batch)
        stats.added += added
        stats.skipped += len(batch) - added
    return stats


def _batches(items: Iterable[Analysis], size: int) -> Iterator[list[Analysis]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _add_batch(connection: Connection, batch: list[Analysis]) -> int:
    by_model: dict[int, dict[str, Analysis]] = {}
    model_ids: dict[tuple, int] = {}  # one look-up per model and batch, not per analysis
    for analysis in batch:
        key = tuple(sorted(analysis.model.items()))
        if key not in model_ids:
            model_ids[key] = model_id_for(connection, analysis.model)
        by_model.setdefault(model_ids[key], {}).setdefault(analysis.article.content_hash, analysis)
    added = 0
    for model_id, by_hash in by_model.items():
        stored = set(
            connection.scalars(
                sa.select(t.articles.c.content_hash).where(
                    t.articles.c.model_id == model_id, t.articles.c.content_hash.in_(list(by_hash))
                )
            )
        )
        new = [a for h, a in by_hash.items() if h not in stored]
        if new:
            _insert(connection, model_id, new)
        added += len(new)
    return added


def model_key(model: dict[str, str]) -> tuple[str, str]:
    """The name and version an analysis's model is stored under."""
    return model.get("name") or "unknown", model.get("version") or "unknown"


def model_id_for(connection: Connection, model: dict[str, str]) -> int:
    name, version = model_key(model)
    query = sa.select(t.models.c.id).where(t.models.c.name == name, t.models.c.version == version)
    model_id = connection.scalar(query)
    if model_id is None:
        model_id = connection.execute(
            t.models.insert().values(
                name=name, version=version, first_imported=dt.datetime.now(dt.UTC).replace(tzinfo=None)
            )
        ).inserted_primary_key[0]  # type: ignore[index]  # an INSERT always has one
    return int(model_id)


def _insert(connection: Connection, model_id: int, analyses: list[Analysis]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [_article_row(model_id, a, now) for a in analyses]
    # One executemany, then the new ids read back by hash: INSERT ... RETURNING with ordered
    # results falls back to one statement per row on SQLite.
    connection.execute(t.articles.insert(), rows)
    a = t.articles.c
    by_hash = dict(
        connection.execute(
            sa.select(a.content_hash, a.id).where(
                a.model_id == model_id, a.content_hash.in_([row["content_hash"] for row in rows])
            )
        ).all()
    )
    ids = [by_hash[row["content_hash"]] for row in rows]
    children: dict[sa.Table, list[dict]] = {
        table: [] for table in (t.paragraphs, t.paragraph_techniques, t.spans, t.frames, t.embeddings)
    }
    aggregates = _Aggregates(model_id)
    for article_id, analysis, row in zip(ids, analyses, rows, strict=False):
        _child_rows(children, article_id, analysis)
        aggregates.add(analysis, row)
    for table, table_rows in children.items():
        if table_rows:
            execute_many(connection, table.insert(), table_rows)
    aggregates.write(connection)


def _article_row(model_id: int, analysis: Analysis, now: dt.datetime) -> dict:
    a = analysis.article
    confidences = [s.confidence for p in analysis.paragraphs for s in p.techniques]
    return {
        "model_id": model_id,
        "content_hash": a.content_hash,
        "doc_id": a.id,
        "source": a.source or "",
        "url": a.url,
        "date": a.date,
        "language": a.language or "",
        "title": a.title,
        "text": a.text,
        "words": sum(count_words(p.text) for p in a.paragraphs),
        "genre": analysis.genre,
        "genre_probabilities": _rounded(analysis.genre_probabilities),
        "frame_probabilities": _rounded(analysis.frame_probabilities),
        "meta": dict(a.meta) or None,
        "imported_at": now,
        "confidence": math.fsum(confidences) / len(confidences) if confidences else None,
        "labels": len(confidences),
    }


def _child_rows(children: dict[sa.Table, list[dict]], article_id: int, analysis: Analysis) -> None:
    text = analysis.article.text
    for p in analysis.paragraphs:
        children[t.paragraphs].append(
            {
                "article_id": article_id,
                "number": p.number,
                "start": p.start,
                "end": p.end,
                "words": count_words(text[p.start : p.end]),
            }
        )
        children[t.paragraph_techniques].extend(
            {"article_id": article_id, "paragraph": p.number, "technique": s.technique, "confidence": s.confidence}
            for s in p.techniques
        )
        children[t.spans].extend(
            {
                "article_id": article_id,
                "paragraph": p.number,
                "start": s.start,
                "end": s.end,
                "technique": s.technique,
                "category": s.category,
                "confidence": s.confidence,
                "text": s.text,
                "phrase": normalise_phrase(s.text),
            }
            for s in p.spans
        )
    children[t.frames].extend(
        {"article_id": article_id, "frame": f.label, "probability": f.probability} for f in analysis.frames
    )
    if analysis.embedding is not None:
        vector = np.asarray(analysis.embedding, np.float16)
        children[t.embeddings].append({"article_id": article_id, "vector": vector.tobytes()})


class _Aggregates:
    """Per-batch deltas of the agg_* tables, written with one upsert per table."""

    def __init__(self, model_id: int) -> None:
        self.model_id = model_id
        self.articles: Counter[tuple] = Counter()
        self.labels: Counter[tuple] = Counter()
        self.pairs: Counter[tuple] = Counter()  # technique pairs in one paragraph, for co-occurrence

    def add(self, analysis: Analysis, row: dict) -> None:
        key = (*period_keys(row["date"]), row["source"], row["language"])
        for name, value in (("articles", 1), ("words", row["words"]), ("paragraphs", len(analysis.paragraphs))):
            self.articles[(*key, row["genre"], name)] += value
        counts: Counter[tuple[str, str, str]] = Counter()  # (kind, label, measure)
        present = {("frame", f.label) for f in analysis.frames}
        for p in analysis.paragraphs:
            techniques = {s.technique for s in p.techniques}
            for a, b in combinations(sorted(techniques), 2):
                self.pairs[(*key, a, b, "paragraphs")] += 1
            for kind, labels in (("technique", techniques), ("category", {category_of(x).key for x in techniques})):
                for label in labels:
                    counts[(kind, label, "paragraphs")] += 1
                    present.add((kind, label))
            for s in p.spans:
                for kind, label in (("technique", s.technique), ("category", s.category)):
                    counts[(kind, label, "spans")] += 1
                    present.add((kind, label))
        for kind, label in present:
            counts[(kind, label, "articles")] += 1
        for (kind, label, measure), value in counts.items():
            self.labels[(*key, kind, label, measure)] += value

    def write(self, connection: Connection) -> None:
        for daily, counts, measures in (
            (t.agg_articles, self.articles, ("articles", "words", "paragraphs")),
            (t.agg_labels, self.labels, ("articles", "paragraphs", "spans")),
            (t.agg_pairs, self.pairs, ("paragraphs",)),
        ):
            _upsert(connection, daily, self._rows(counts, daily, measures))
            monthly: Counter[tuple] = Counter()
            for key, value in counts.items():  # (day, week, month, ...) -> (month, ...)
                monthly[key[2:]] += value
            _upsert(connection, t.MONTHLY[daily.name], self._rows(monthly, t.MONTHLY[daily.name], measures))

    def _rows(self, counts: Counter[tuple], table: sa.Table, measures: tuple[str, ...]) -> list[dict]:
        """Count rows of ``table``, from keys of its key columns in order, then the measure's name."""
        rows: dict[tuple, dict] = {}
        columns = [c.name for c in table.columns][1:]  # after model_id
        for key, value in counts.items():
            row = rows.get(key[:-1])
            if row is None:
                row = rows[key[:-1]] = {
                    "model_id": self.model_id,
                    **dict(zip(columns, key[:-1], strict=False)),
                    **dict.fromkeys(measures, 0),
                }
            row[key[-1]] += value
        return list(rows.values())


def _upsert(connection: Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert count rows, adding to the counts of rows already there."""
    if not rows:
        return
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)
    keys = t.AGG_KEYS[table.name]
    measures = [c.name for c in table.columns if c.name not in keys and c.name not in ("week", "month")]
    statement = insert.on_conflict_do_update(
        index_elements=list(keys), set_={m: table.c[m] + insert.excluded[m] for m in measures}
    )
    execute_many(connection, statement, rows)


def execute_many(connection: Connection, statement: sa.Insert, rows: list[dict]) -> None:
    """``connection.execute(statement, rows)``, with the rows handed to the driver as they are.

    SQLAlchemy's per-row parameter processing costs as much as SQLite's own work on these
    small rows (numbers, strings, bytes and dates), so the statement is compiled once and
    the rows go straight to the driver's ``executemany``: psycopg takes the dicts; SQLite
    gets tuples, dates as ISO strings (the SQLite dialect's storage format for Date). Not
    for DateTime or JSON columns.
    """
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    if connection.dialect.name == "postgresql":  # psycopg takes the dicts, and adapts dates and bytes itself
        connection.exec_driver_sql(compiled.string, rows)
        return
    if connection.dialect.name != "sqlite":
        connection.execute(statement, rows)
        return
    names = compiled.positiontup or []
    values = operator.itemgetter(*names)
    dates = [i for i, name in enumerate(names) if isinstance(statement.table.c[name].type, sa.Date)]
    if len(names) == 1:
        params = [(values(row),) for row in rows]
    elif not dates:
        params = [values(row) for row in rows]
    else:
        params = []
        for row in rows:
            row_values = list(values(row))
            for i in dates:
                if row_values[i] is not None:
                    row_values[i] = row_values[i].isoformat()
            params.append(tuple(row_values))
    connection.exec_driver_sql(compiled.string, params)


def _rounded(probabilities: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in probabilities.items()}
