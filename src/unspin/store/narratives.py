"""Narratives: groups of articles about the same story, found once by clustering, then read fast.

:func:`build_narratives` is the explicit, slow step: it clusters the article embeddings
(the encoder's topic vectors, see :func:`unspin.model.heads.article_embedding`), labels
each cluster with its top terms, and stores clusters, memberships and per-day counts.
:func:`narratives` only reads those counts, so the narratives view stays fast on a large
corpus. Articles imported after a build belong to no narrative until the next build.
:func:`embed_missing` gives an embedding to articles imported without one (it runs the
model).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel

from ..corpus.periods import Period, period_range, period_start
from ..corpus.stats.clustering import DIMENSIONS, Clusters, cluster, cluster_terms
from ..errors import InputError
from . import tables as t
from .articles import article_conditions
from .filters import EVERYTHING, CorpusFilter
from .queries import _period_expression, aggregate_table
from .store import Store

if TYPE_CHECKING:
    from ..analyzer import Analyzer

LABEL_ARTICLES = 1000  # per narrative, the most central first
CHUNK = 5000  # ids per query


class NarrativeBuild(BaseModel):
    model: str | None  # NAME==VERSION
    articles: int  # articles in the slice with an embedding
    sampled: int  # of them, clustered by HDBSCAN
    clustered: int  # sampled articles HDBSCAN put in a narrative
    assigned: int  # other articles put in the nearest narrative
    unassigned: int  # articles in no narrative (HDBSCAN's noise, or too far from every centre)
    narratives: int
    min_cluster_size: int
    dimensions: int
    seconds: float
    replaced: bool  # False when the slice was too small to cluster and nothing was stored


class SourceCount(BaseModel):
    source: str
    articles: int


class FirstAppearance(BaseModel):
    article_id: int
    date: dt.date
    source: str
    title: str | None


class TimelinePoint(BaseModel):
    period: dt.date  # first day of the period
    articles: int


class Narrative(BaseModel):
    id: int
    label: str  # the top three terms
    terms: list[str]  # the top terms, best first
    size: int  # articles in the slice
    sources: list[SourceCount]  # most articles first
    first: FirstAppearance | None  # the earliest dated article in the slice
    timeline: list[TimelinePoint]  # every period from the slice's first to its last, zeros included


# -- building ----------------------------------------------------------------------------------------


def build_narratives(
    store: Store,
    filters: CorpusFilter = EVERYTHING,
    *,
    min_cluster_size: int | None = None,
    max_articles: int = 50_000,
    seed: int = 0,
    dimensions: int = DIMENSIONS,
) -> NarrativeBuild:
    """Cluster the slice's articles into narratives, replacing the model's earlier narratives.

    Method: up to ``max_articles`` embedded articles of the slice are sampled (reproducibly,
    by ``seed``), centred per source (see :class:`~unspin.corpus.stats.clustering.Centring`), reduced by PCA to ``dimensions`` dimensions and clustered by HDBSCAN
    (scikit-learn) with ``min_samples=10``. Its minimum spanning tree costs O(n²·d), hence
    the sample and the reduction: on two cores 5,000 articles take a few seconds and
    50,000 about half a minute. ``min_cluster_size`` defaults to 0.5% of the sample (at
    least 10). The other articles join the nearest cluster centre when no farther from it
    than 95% of that cluster's own members are (so do sampled articles HDBSCAN left as noise); their ``probability`` is the share of
    members farther away (sampled articles keep HDBSCAN's). Each narrative is labelled by
    class-based TF-IDF (the BERTopic weighting ``tf(t, c) * log(1 + A / f(t))``, with A the
    mean number of words per cluster) over the titles and texts of up to 1,000 of its most
    central articles, words of three or more letters, lower-cased, without stop words.

    Everything of the model's earlier build is replaced in one transaction, even when the
    slice is narrower than before. A slice with fewer than ``2 * min_cluster_size``
    embedded articles replaces nothing (``replaced=False``).
    """
    started = time.perf_counter()
    if max_articles < 2 or (min_cluster_size is not None and min_cluster_size < 2) or dimensions < 1:
        raise InputError(
            f"max_articles and min_cluster_size must be 2 or more and dimensions 1 or more (got "
            f"max_articles={max_articles}, min_cluster_size={min_cluster_size}, dimensions={dimensions})"
        )
    model_id = store.model_id(filters.model)
    with store.connect() as connection:
        ids = _embedded_ids(connection, filters, model_id)
        sample = _sample(ids, max_articles, seed)
        size = min_cluster_size or max(10, len(sample) // 200)
        if len(sample) < 2 * size:
            return NarrativeBuild(
                model=_model_name(store, model_id),
                articles=len(ids),
                sampled=len(sample),
                clustered=0,
                assigned=0,
                unassigned=len(ids),
                narratives=0,
                min_cluster_size=size,
                dimensions=0,
                seconds=round(time.perf_counter() - started, 3),
                replaced=False,
            )
        chunks = list(_vectors(connection, sample))
    vectors, sources = np.concatenate([c[1] for c in chunks]), np.concatenate([c[2] for c in chunks])
    clusters = cluster(vectors, sources, size, dimensions, seed)  # no transaction stays open meanwhile
    with store.connect() as connection:
        # The rest includes HDBSCAN's noise: it joins a narrative when close enough to a centre.
        rest = _assign_rest(connection, np.setdiff1d(ids, sample[clusters.labels >= 0], assume_unique=True), clusters)
        terms = _cluster_terms(connection, sample, clusters)
    members = _members(sample, clusters, rest)
    with store.connect() as connection, connection.begin():
        _replace(connection, model_id, terms, members)
    with store.connect() as connection, connection.begin():
        # Fresh statistics: without them the planner reads the narrative tables badly
        # (narratives() took 1.5 s instead of 17 ms at 1M articles on SQLite).
        for table in (t.narratives, t.article_narratives, t.agg_narratives, t.agg_narratives_monthly):
            connection.exec_driver_sql(f"ANALYZE {table.name}")
    clustered = int((clusters.labels >= 0).sum())
    return NarrativeBuild(
        model=_model_name(store, model_id),
        articles=len(ids),
        sampled=len(sample),
        clustered=clustered,
        assigned=len(members[0]) - clustered,
        unassigned=len(ids) - len(members[0]),
        narratives=len(terms),
        min_cluster_size=size,
        dimensions=int(clusters.pca.n_components_),
        seconds=round(time.perf_counter() - started, 3),
        replaced=True,
    )


def _model_name(store: Store, model_id: int) -> str | None:
    return next((f"{m['name']}=={m['version']}" for m in store.models() if m["id"] == model_id), None)


def _embedded_ids(connection: sa.Connection, filters: CorpusFilter, model_id: int) -> np.ndarray:
    a, e = t.articles, t.embeddings
    query = (
        sa.select(a.c.id)
        .select_from(a.join(e, e.c.article_id == a.c.id))
        .where(*article_conditions(filters, model_id))
        .order_by(a.c.id)
    )
    return np.fromiter(connection.scalars(query), np.int64)


def _sample(ids: np.ndarray, size: int, seed: int) -> np.ndarray:
    if len(ids) <= size:
        return ids
    return np.sort(np.random.default_rng(seed).choice(ids, size, replace=False))


def _vectors(connection: sa.Connection, ids: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ids, float32 vectors, sources) in chunks, in the order of the sorted ``ids``."""
    e, a = t.embeddings, t.articles
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        query = (
            sa.select(e.c.article_id, e.c.vector, a.c.source)
            .join(a, a.c.id == e.c.article_id)
            .where(e.c.article_id.in_(chunk.tolist()))
        )
        rows = {article_id: (vector, source) for article_id, vector, source in connection.execute(query)}
        vectors = np.stack([np.frombuffer(rows[int(i)][0], np.float16) for i in chunk]).astype(np.float32)
        yield chunk, vectors, np.array([rows[int(i)][1] for i in chunk], dtype=object)


def _assign_rest(
    connection: sa.Connection, ids: np.ndarray, clusters: Clusters
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(article ids, clusters, probabilities) of the non-sampled articles close enough to a centre."""
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(clusters.centroids):
        for chunk, vectors, sources in _vectors(connection, ids):
            rows, labels, probabilities = clusters.assign(vectors, sources)
            found.append((chunk[rows], labels, probabilities))
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=False))  # type: ignore[return-value]


def _members(
    sample: np.ndarray, clusters: Clusters, rest: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    clustered = clusters.labels >= 0
    return (
        np.concatenate([sample[clustered], rest[0]]),
        np.concatenate([clusters.labels[clustered], rest[1]]),
        np.concatenate([clusters.probabilities[clustered], rest[2]]),
    )


def _cluster_terms(connection: sa.Connection, sample: np.ndarray, clusters: Clusters) -> list[list[str]]:
    """Each cluster's top terms, from the titles and texts of its most central articles."""
    chosen = clusters.central(sample, LABEL_ARTICLES)
    texts = _texts(connection, np.sort(np.concatenate(chosen))) if chosen else {}
    return cluster_terms([[texts.get(int(i), "") for i in ids] for ids in chosen])


def _texts(connection: sa.Connection, ids: np.ndarray) -> dict[int, str]:
    a = t.articles
    texts: dict[int, str] = {}
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK].tolist()
        query = sa.select(a.c.id, a.c.title, a.c.text).where(a.c.id.in_(chunk))
        texts.update((article_id, f"{title or ''}\n{text}") for article_id, title, text in connection.execute(query))
    return texts


def _replace(
    connection: sa.Connection, model_id: int, terms: list[list[str]], members: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """Swap the model's narratives for the new ones: narratives, memberships, then the counts."""
    n = t.narratives
    old = sa.select(n.c.id).where(n.c.model_id == model_id).scalar_subquery()
    for table in (t.agg_narratives_monthly, t.agg_narratives, t.article_narratives):
        connection.execute(sa.delete(table).where(table.c.narrative_id.in_(old)))
    connection.execute(sa.delete(n).where(n.c.model_id == model_id))
    article_ids, clusters, probabilities = members
    sizes = np.bincount(clusters, minlength=len(terms))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ids: dict[int, int] = {}
    for c in sorted(range(len(terms)), key=lambda c: -sizes[c]):  # ids in order of size
        ids[c] = connection.execute(
            n.insert().values(
                model_id=model_id, label=", ".join(terms[c][:3]), terms=terms[c], size=int(sizes[c]), built_at=now
            )
        ).inserted_primary_key[0]  # type: ignore[index]  # an INSERT always has one
    for first in range(0, len(article_ids), CHUNK):
        part = slice(first, first + CHUNK)
        connection.execute(
            t.article_narratives.insert(),
            [
                {"article_id": int(a), "narrative_id": ids[int(c)], "probability": round(float(p), 4)}
                for a, c, p in zip(article_ids[part], clusters[part], probabilities[part], strict=False)
            ],
        )
    _write_counts(connection, model_id)


def _write_counts(connection: sa.Connection, model_id: int) -> None:
    """Fill agg_narratives(_monthly) from the new memberships, in SQL."""
    a, an, n, daily = t.articles, t.article_narratives, t.narratives, t.agg_narratives
    dialect = connection.dialect.name
    undated = sa.literal(t.UNDATED, sa.Date)
    periods = [
        sa.func.coalesce(a.c.date, undated),
        *(sa.func.coalesce(_period_expression(a.c.date, p, dialect), undated) for p in ("week", "month")),
    ]
    per_day = (
        sa.select(an.c.narrative_id, n.c.model_id, *periods, a.c.source, a.c.language, sa.func.count())
        .select_from(an.join(a, a.c.id == an.c.article_id).join(n, n.c.id == an.c.narrative_id))
        .where(n.c.model_id == model_id)
        .group_by(an.c.narrative_id, n.c.model_id, a.c.date, a.c.source, a.c.language)
    )
    columns = ["narrative_id", "model_id", "day", "week", "month", "source", "language", "articles"]
    connection.execute(daily.insert().from_select(columns, per_day))
    d = daily.c
    per_month = (
        sa.select(d.narrative_id, d.model_id, d.month, d.source, d.language, sa.func.sum(d.articles))
        .where(d.model_id == model_id)
        .group_by(d.narrative_id, d.model_id, d.month, d.source, d.language)
    )
    connection.execute(
        t.agg_narratives_monthly.insert().from_select(
            ["narrative_id", "model_id", "month", "source", "language", "articles"], per_month
        )
    )


# -- reading -----------------------------------------------------------------------------------------


def narratives(store: Store, filters: CorpusFilter = EVERYTHING, *, period: Period = "month") -> list[Narrative]:
    """The stored narratives with articles in the slice, largest first.

    Sizes, sources and timelines count the slice's articles in each narrative (undated
    ones count in the size and sources, not the timeline). They come from the counts
    written by :func:`build_narratives`, except with ``filters.techniques``, which the
    counts cannot tell apart: then they are read from the articles, which is slower.
    """
    model_id = store.model_id(filters.model)
    n = t.narratives
    with store.connect() as connection:
        stored = {
            row.id: (row.label, list(row.terms))
            for row in connection.execute(sa.select(n.c.id, n.c.label, n.c.terms).where(n.c.model_id == model_id))
        }
        if not stored:
            return []
        if filters.techniques:
            counts = _counts_from_articles(connection, filters, model_id, period)
        else:
            counts = _counts_from_aggregates(connection, filters, model_id, period)
        firsts = {narrative: _first_appearance(connection, filters, model_id, narrative) for narrative in counts}
    axis = period_range([when for by_period in counts.values() for _, when in by_period if when != t.UNDATED], period)
    result = [
        _narrative(narrative, *stored[narrative], by_key, firsts[narrative], axis)
        for narrative, by_key in counts.items()
    ]
    return sorted(result, key=lambda x: (-x.size, x.id))


def _counts_from_aggregates(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, period: Period
) -> dict[int, dict[tuple[str, dt.date], int]]:
    table = aggregate_table(t.agg_narratives, filters, model_id, period)
    c = table.c
    query = (
        sa.select(c.narrative_id, c.source, c[period], sa.func.sum(c.articles))
        .where(*filters.where(table, model_id, date_column="day"))
        .group_by(c.narrative_id, c.source, c[period])
    )
    counts: dict[int, dict[tuple[str, dt.date], int]] = defaultdict(dict)
    for narrative, source, when, articles in connection.execute(query):
        counts[narrative][(source, _as_date(when))] = int(articles)
    return counts


def _counts_from_articles(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, period: Period
) -> dict[int, dict[tuple[str, dt.date], int]]:
    a, an = t.articles, t.article_narratives
    query = (
        sa.select(an.c.narrative_id, a.c.source, a.c.date, sa.func.count())
        .select_from(an.join(a, a.c.id == an.c.article_id))
        .where(*article_conditions(filters, model_id))
        .group_by(an.c.narrative_id, a.c.source, a.c.date)
    )
    counts: dict[int, dict[tuple[str, dt.date], int]] = defaultdict(lambda: defaultdict(int))
    for narrative, source, day, articles in connection.execute(query):
        day = _as_date(day)
        counts[narrative][(source, period_start(day, period) if day else t.UNDATED)] += int(articles)
    return counts


def _first_appearance(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, narrative: int
) -> FirstAppearance | None:
    """The earliest dated article of the narrative in the slice (ties: the lowest id).

    Without a technique filter the first day comes from one seek in agg_narratives, and
    the article from that day's articles; otherwise from the narrative's articles.
    """
    a, an, g = t.articles, t.article_narratives, t.agg_narratives
    conditions = [an.c.narrative_id == narrative, *article_conditions(filters, model_id)]
    if not filters.techniques:
        day = connection.scalar(
            sa.select(g.c.day)
            .where(g.c.narrative_id == narrative, g.c.day != t.UNDATED, *filters.where(g, model_id, date_column="day"))
            .order_by(g.c.day)
            .limit(1)
        )
        if day is None:
            return None
        conditions.append(a.c.date == _as_date(day))
    row = connection.execute(
        sa.select(a.c.id, a.c.date, a.c.source, a.c.title)
        .select_from(a.join(an, an.c.article_id == a.c.id))
        .where(*conditions, a.c.date.is_not(None))
        .order_by(a.c.date, a.c.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return FirstAppearance(article_id=row.id, date=_as_date(row.date), source=row.source, title=row.title)


def _narrative(
    narrative: int,
    label: str,
    terms: list[str],
    counts: dict[tuple[str, dt.date], int],
    first: FirstAppearance | None,
    axis: list[dt.date],
) -> Narrative:
    sources: dict[str, int] = defaultdict(int)
    timeline: dict[dt.date, int] = defaultdict(int)
    for (source, when), articles in counts.items():
        sources[source] += articles
        if when != t.UNDATED:
            timeline[when] += articles
    return Narrative(
        id=narrative,
        label=label,
        terms=terms,
        size=sum(sources.values()),
        sources=[SourceCount(source=s, articles=k) for s, k in sorted(sources.items(), key=lambda x: (-x[1], x[0]))],
        first=first,
        timeline=[TimelinePoint(period=when, articles=timeline.get(when, 0)) for when in axis],
    )


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# -- embeddings --------------------------------------------------------------------------------------


def embed_missing(store: Store, analyzer: Analyzer, *, filters: CorpusFilter = EVERYTHING, batch_size: int = 32) -> int:
    """Give an embedding to each article of the slice stored without one; returns how many.

    This runs the model (its lower, frozen encoder layers only: about half the cost of an
    analysis; see :meth:`unspin.Analyzer.embed`), so it is slow on a CPU. Use an analyzer of the model
    that made the analyses, or of one with the same base encoder, or the new vectors will
    not be comparable with the stored ones. Each batch of ``batch_size`` articles is
    committed on its own, so an interrupted run keeps what it did.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be 1 or more (got {batch_size})")
    model_id = store.model_id(filters.model)
    a, e = t.articles, t.embeddings
    with store.connect() as connection:
        missing = list(
            connection.scalars(
                sa.select(a.c.id)
                .select_from(a.outerjoin(e, e.c.article_id == a.c.id))
                .where(*article_conditions(filters, model_id), e.c.article_id.is_(None))
                .order_by(a.c.id)
            )
        )
    for first in range(0, len(missing), batch_size):
        batch = missing[first : first + batch_size]
        with store.connect() as connection:
            paragraphs = _paragraph_texts(connection, batch)
        vectors = analyzer.embed([paragraphs[i] for i in batch])
        with store.connect() as connection, connection.begin():
            connection.execute(
                e.insert(),
                [
                    {"article_id": i, "vector": v.astype(np.float16).tobytes()}
                    for i, v in zip(batch, vectors, strict=False)
                ],
            )
    return len(missing)


def _paragraph_texts(connection: sa.Connection, ids: list[int]) -> dict[int, list[str]]:
    """Each article's paragraph texts, as the Analyzer saw them (the whole text if none are stored)."""
    a, p = t.articles, t.paragraphs
    texts: dict[int, list[str]] = {i: [] for i in ids}
    query = (
        sa.select(p.c.article_id, sa.func.substr(a.c.text, p.c.start + 1, p.c.end - p.c.start))
        .select_from(p.join(a, a.c.id == p.c.article_id))
        .where(p.c.article_id.in_(ids))
        .order_by(p.c.article_id, p.c.number)
    )
    for article_id, text in connection.execute(query):
        texts[article_id].append(text)
    for article_id in [i for i, paragraphs in texts.items() if not paragraphs]:
        texts[article_id] = [connection.scalar(sa.select(a.c.text).where(a.c.id == article_id)) or ""]
    return texts
