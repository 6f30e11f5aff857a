"""The questions asked of a corpus, one function each: the CLI, the REST API and the dashboard call these.

Counts come from the ``agg_*`` tables (per model, day, source and language), so most
questions read a few thousand rows whatever the size of the corpus. Every value reaches
SQL as a bound parameter. A technique is "used" by a paragraph the model labelled with it;
rates count such paragraphs per 1,000 words and per article.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel

from ..corpus.periods import Period, whole_months
from ..corpus.stats.changepoints import change_points
from ..taxonomy import TECHNIQUES, resolve_label
from . import tables as t
from .filters import EVERYTHING, CorpusFilter
from .store import Store

Level = Literal["technique", "category"]
GroupBy = Literal["source", "language", "none"]
TrendKind = Literal["technique", "category", "frame", "genre"]


class RateRow(BaseModel):
    group: str  # the source or language ("" when unknown; "all" with by="none")
    period: dt.date | None
    label: str
    articles: int  # articles in the group and period
    words: int
    count: int  # paragraphs with the label
    articles_with: int
    spans: int
    per_1000_words: float
    per_article: float
    share_of_articles: float


def rates(
    store: Store,
    filters: CorpusFilter = EVERYTHING,
    *,
    by: GroupBy = "source",
    period: Period | None = None,
    level: Level = "technique",
) -> list[RateRow]:
    """Technique (or category) use per source (or language) and period, with counts and rates."""
    return _rates(store, filters, by, period, level, _labels_of(filters, level))


def frame_shares(
    store: Store, filters: CorpusFilter = EVERYTHING, *, by: GroupBy = "source", period: Period | None = None
) -> list[RateRow]:
    """Frames per source (or language) and period: read ``articles_with`` and ``share_of_articles``.

    Frames belong to articles, not paragraphs, so the paragraph counts and rates are 0.
    """
    return _rates(store, filters, by, period, "frame", None)


def _rates(
    store: Store, filters: CorpusFilter, by: GroupBy, period: Period | None, kind: str, labels: list[str] | None
) -> list[RateRow]:
    model_id = store.model_id(filters.model)
    with store.connect() as connection:
        totals = _article_totals(connection, filters, model_id, by, period)
        counts = _label_counts(connection, filters, model_id, by, period, kind, labels)
    rows = []
    for (group, when, label), (with_label, paragraphs, spans) in sorted(counts.items(), key=_sort_key):
        articles, words = totals.get((group, when), (0, 0))
        rows.append(
            RateRow(
                group=group,
                period=when,
                label=label,
                articles=articles,
                words=words,
                count=paragraphs,
                articles_with=with_label,
                spans=spans,
                per_1000_words=_ratio(1000 * paragraphs, words),
                per_article=_ratio(paragraphs, articles),
                share_of_articles=_ratio(with_label, articles),
            )
        )
    return rows


def groups(
    store: Store, filters: CorpusFilter = EVERYTHING, *, by: GroupBy = "source", period: Period | None = None
) -> dict[tuple[str, dt.date | None], tuple[int, int]]:
    """Articles and words per group and period: the denominators of :func:`rates`."""
    model_id = store.model_id(filters.model)
    with store.connect() as connection:
        return _article_totals(connection, filters, model_id, by, period)


def _labels_of(filters: CorpusFilter, level: Level) -> list[str] | None:
    if not filters.techniques:
        return None
    if level == "technique":
        return list(filters.techniques)
    return sorted({TECHNIQUES[x].category for x in filters.techniques if x in TECHNIQUES})


def _group_columns(table: sa.FromClause, by: GroupBy, period: Period | None) -> list[sa.ColumnElement]:
    """The group and period columns to select; constants stand in for "no grouping"."""
    return [table.c[by] if by != "none" else sa.literal("all"), table.c[period] if period else sa.null()]


def _grouped(keys: list[sa.ColumnElement]) -> list[sa.ColumnElement]:
    """The keys worth a GROUP BY (PostgreSQL refuses constants there)."""
    return [k for k in keys if isinstance(k, sa.Column)]


def _aggregate_where(table: sa.FromClause, filters: CorpusFilter, model_id: int, period: Period | None) -> list:
    conditions = filters.where(table, model_id, date_column="day")
    if period:
        conditions.append(table.c.day != t.UNDATED)
    return conditions


def aggregate_table(
    daily: sa.Table, filters: CorpusFilter, model_id: int, period: Period | None
) -> sa.Table | sa.Subquery:
    """Where to read ``daily``'s counts for a question: the daily table, or mostly the monthly one.

    By day or week, the daily table. Otherwise (no period, or by month) the monthly table
    for the whole months in the date range, with ``month`` also as ``day``, plus the daily
    rows of the partial months at its ends: the same sums from about 30 times fewer rows.
    Either has the columns the daily-table conditions use (model_id, day, month, source,
    language).
    """
    if period in ("day", "week"):
        return daily
    monthly = t.MONTHLY[daily.name]
    first, last = filters.date_from, filters.date_to
    months = whole_months(first, last)
    if months is None:
        return daily  # no whole month in the range
    whole_from, whole_to = months
    m = monthly.c
    conditions = [
        m.model_id == model_id,
        *([m.source.in_(filters.sources)] if filters.sources else []),
        *([m.language.in_(filters.languages)] if filters.languages else []),
        *([m.month >= whole_from] if whole_from else []),
        *([m.month <= whole_to] if whole_to else []),
    ]
    rest = [c for c in monthly.c if c.name not in ("model_id", "month")]
    by_month = sa.select(m.model_id, m.month.label("day"), m.month, *rest).where(*conditions)
    edges = [
        *([daily.c.day < whole_from] if whole_from and whole_from != first else []),
        *([daily.c.day > whole_to] if whole_to and whole_to != last else []),
    ]
    if not edges:
        return by_month.subquery(monthly.name)
    days = sa.select(daily.c.model_id, daily.c.day, daily.c.month, *(daily.c[c.name] for c in rest)).where(
        *filters.where(daily, model_id, date_column="day"), sa.or_(*edges)
    )
    return sa.union_all(by_month, days).subquery(monthly.name)


def _article_totals(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, by: GroupBy, period: Period | None
) -> dict[tuple[str, dt.date | None], tuple[int, int]]:
    if filters.techniques:  # only articles that use one of the techniques count
        return _article_totals_with_techniques(connection, filters, model_id, by, period)
    table = aggregate_table(t.agg_articles, filters, model_id, period)
    keys = _group_columns(table, by, period)
    query = (
        sa.select(*keys, sa.func.sum(table.c.articles), sa.func.sum(table.c.words))
        .where(*_aggregate_where(table, filters, model_id, period))
        .group_by(*_grouped(keys))
    )
    # Without a GROUP BY an empty slice still gives one row, of NULL sums.
    return {(group, _date(when)): (int(n), int(w)) for group, when, n, w in _rows(connection, query) if n}


def _article_totals_with_techniques(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, by: GroupBy, period: Period | None
) -> dict[tuple[str, dt.date | None], tuple[int, int]]:
    """Totals over the articles that use a filtered technique (read from the article table, not the aggregates)."""
    a = t.articles
    period_of = _period_expression(a.c.date, period, connection.dialect.name) if period else sa.null()
    group = a.c[by] if by != "none" else sa.literal("all")
    query = (
        sa.select(group, period_of, sa.func.count(), sa.func.sum(a.c.words))
        .where(
            *filters.where(a, model_id),
            *([a.c.date.is_not(None)] if period else []),
            uses_any_technique(a.c.id, filters.techniques, whole_slice=True),
        )
        .group_by(*_grouped([group]), *([period_of] if period else []))
    )
    return {(g, _date(when)): (int(n), int(w or 0)) for g, when, n, w in _rows(connection, query) if n}


def _label_counts(
    connection: sa.Connection,
    filters: CorpusFilter,
    model_id: int,
    by: GroupBy,
    period: Period | None,
    kind: str,
    labels: list[str] | None,
) -> dict[tuple, tuple[int, int, int]]:
    if kind == "frame" and filters.techniques:
        return _frame_counts_with_techniques(connection, filters, model_id, by, period, labels)
    table = aggregate_table(t.agg_labels, filters, model_id, period)
    keys = [*_group_columns(table, by, period), table.c.label]
    conditions = [*_aggregate_where(table, filters, model_id, period), table.c.kind == kind]
    if labels is not None:
        conditions.append(table.c.label.in_(labels))
    query = (
        sa.select(*keys, sa.func.sum(table.c.articles), sa.func.sum(table.c.paragraphs), sa.func.sum(table.c.spans))
        .where(*conditions)
        .group_by(*_grouped(keys))
    )
    return {
        (group, _date(when), label): (int(a), int(p), int(s))
        for group, when, label, a, p, s in _rows(connection, query)
        if a is not None
    }


def _frame_counts_with_techniques(
    connection: sa.Connection,
    filters: CorpusFilter,
    model_id: int,
    by: GroupBy,
    period: Period | None,
    labels: list[str] | None,
) -> dict[tuple, tuple[int, int, int]]:
    """Articles per frame among those that use a filtered technique (the aggregates cannot tell them apart)."""
    a, f = t.articles, t.frames
    period_of = _period_expression(a.c.date, period, connection.dialect.name) if period else sa.null()
    group = a.c[by] if by != "none" else sa.literal("all")
    query = (
        sa.select(group, period_of, f.c.frame, sa.func.count())
        .select_from(f.join(a, a.c.id == f.c.article_id))
        .where(
            *filters.where(a, model_id),
            *([a.c.date.is_not(None)] if period else []),
            *([f.c.frame.in_(labels)] if labels is not None else []),
            uses_any_technique(a.c.id, filters.techniques, whole_slice=True),
        )
        .group_by(*_grouped([group]), *([period_of] if period else []), f.c.frame)
    )
    return {(g, _date(when), frame): (int(n), 0, 0) for g, when, frame, n in _rows(connection, query)}


def uses_any_technique(
    article_id: sa.ColumnElement, techniques: list[str], *, whole_slice: bool = False
) -> sa.ColumnElement:
    """EXISTS a paragraph of the article labelled with one of ``techniques``.

    ``whole_slice=True`` writes it as ``article_id IN (SELECT ...)`` instead, for queries
    that read every article of the slice: SQLite then reads the technique's index once
    into a list rather than probing the paragraphs of each article (half the time at
    scale); EXISTS stays best for a page of articles, where it stops early.
    """
    pt = t.paragraph_techniques
    if whole_slice:
        return article_id.in_(sa.select(pt.c.article_id).where(pt.c.technique.in_(techniques)))
    return sa.exists().where(pt.c.article_id == article_id, pt.c.technique.in_(techniques))


def _period_expression(column: sa.ColumnElement, period: Period, dialect: str) -> sa.ColumnElement:
    """The first day of the period containing a date, per SQL dialect."""
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc(period, column), sa.Date)
    if period == "day":
        return column
    if period == "month":
        return sa.func.date(column, "start of month")
    return sa.func.date(column, "-6 days", "weekday 1")  # back 6 days, then forward to a Monday


# -- trends ---------------------------------------------------------------------------------------


class TrendPoint(BaseModel):
    period: dt.date
    value: float
    count: int
    articles: int
    words: int


class TrendSeries(BaseModel):
    group: str
    points: list[TrendPoint]
    change_points: list[dt.date]


class Trend(BaseModel):
    kind: TrendKind
    label: str
    period: Period
    measure: str
    series: list[TrendSeries]


def trend(
    store: Store,
    label: str,
    filters: CorpusFilter = EVERYTHING,
    *,
    kind: TrendKind = "technique",
    period: Period = "week",
    by: GroupBy = "source",
) -> Trend:
    """A label's rate over time, per source (or language), with change points.

    Techniques and categories are measured in labelled paragraphs per 1,000 words; frames
    and genres as the share of articles with them. ``label`` is a label (a category's key)
    or an English name, in any case; the answer carries the label. An unknown one is an
    :class:`~unspin.errors.InputError` that lists the close matches, never an empty series.
    """
    label = resolve_label(label, kind)
    model_id = store.model_id(filters.model)
    with store.connect() as connection:
        totals = _article_totals(connection, filters, model_id, by, period)
        if kind == "genre":
            counts = _genre_counts(connection, filters, model_id, by, period, label)
        else:
            counts = {
                key[:2]: value
                for key, value in _label_counts(connection, filters, model_id, by, period, kind, [label]).items()
            }
    per_words = kind in ("technique", "category")
    by_group: dict[str, list[TrendPoint]] = defaultdict(list)
    for (group, when), (articles, words) in sorted(totals.items(), key=_sort_key):
        with_label, paragraphs, _ = counts.get((group, when), (0, 0, 0))
        count = paragraphs if per_words else with_label
        value = _ratio(1000 * count, words) if per_words else _ratio(count, articles)
        by_group[group].append(TrendPoint(period=when, value=value, count=count, articles=articles, words=words))
    series = [TrendSeries(group=g, points=p, change_points=_change_points(p)) for g, p in by_group.items()]
    return Trend(
        kind=kind,
        label=label,
        period=period,
        measure="per_1000_words" if per_words else "share_of_articles",
        series=series,
    )


def _genre_counts(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, by: GroupBy, period: Period, genre: str
) -> dict[tuple, tuple[int, int, int]]:
    table = aggregate_table(t.agg_articles, filters, model_id, period)
    keys = _group_columns(table, by, period)
    query = (
        sa.select(*keys, sa.func.sum(table.c.articles))
        .where(*_aggregate_where(table, filters, model_id, period), table.c.genre == genre)
        .group_by(*_grouped(keys))
    )
    return {(group, _date(when)): (int(n), 0, 0) for group, when, n in _rows(connection, query) if n}


def _change_points(points: list[TrendPoint]) -> list[dt.date]:
    """The periods where the series' mean shifts (see :func:`~unspin.corpus.stats.changepoints.change_points`)."""
    return [points[i].period for i in change_points([p.value for p in points])]


# -- helpers ---------------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 6) if denominator else 0.0


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _sort_key(item: tuple) -> tuple:
    """Order (group, period, ...) keys with undated periods first."""
    group, when, *rest = item[0]
    return (group, when or dt.date.min, *rest)


def _rows(connection: sa.Connection, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """A grouped query's rows as plain tuples (their width depends on the grouping, which typing cannot follow)."""
    return [tuple(row) for row in connection.execute(query)]
