"""The corpus dashboard's view model, and :func:`build_dashboard`, which assembles it from the store's questions.

The web UI's ``/corpus`` page, ``GET /v1/corpus/dashboard`` and the offline file of
``unspin corpus report`` all draw the same :class:`Dashboard`, so they never disagree; the
renderers in :mod:`unspin.render.dashboard` only lay it out. Charts are matrix-shaped (rows
by columns of values, with the counts behind each value): that is what both a chart and
its table fallback need, with nothing left to compute but layout.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Literal

from pydantic import BaseModel

from ..store import EVERYTHING, CorpusFilter, Store
from ..store.articles import (
    ArticleRow,
    Overview,
    article_labels,
    list_articles,
    overview,
)
from ..store.narratives import Narrative, narratives
from ..store.queries import RateRow, frame_shares, groups, rates, trend
from .periods import Period, period_end

ARTICLE_PAGE = 500  # rows per list_articles call when building the article index


class Matrix(BaseModel):
    """A value per source (row) and label (column), with the counts behind each value."""

    measure: Literal["per_1000_words", "share_of_articles"]
    rows: list[str]
    columns: list[str]  # most used first
    values: list[list[float]]  # [row][column]
    counts: list[list[int]]  # labelled paragraphs (techniques) or articles (frames)
    articles: list[int]  # per row
    words: list[int]  # per row


class TrendLine(BaseModel):
    label: str
    values: list[float]  # per period: labelled paragraphs per 1,000 words
    counts: list[int]
    change_points: list[dt.date]


class Trends(BaseModel):
    period: Period
    periods: list[dt.date]  # first day of each period with dated articles
    ends: list[dt.date]  # last day of each period (to list a point's articles)
    articles: list[int]
    lines: list[TrendLine]


class Narratives(BaseModel):
    """The largest narratives of the slice, with their timelines on one axis."""

    periods: list[dt.date]  # first day of every period from the first narrative article to the last
    ends: list[dt.date]  # last day of each period
    items: list[Narrative]


class Options(BaseModel):
    """What the filters can choose from: the whole corpus, so a narrowed slice can be widened again."""

    sources: list[str]
    languages: list[str]
    source_languages: dict[str, list[str]]  # lets the offline file hide the sources of unchosen languages
    first_date: dt.date | None
    last_date: dt.date | None
    models: list[str]


class IndexedArticle(ArticleRow):
    techniques: list[str]
    frames: list[str]
    narratives: list[int]


class ArticleIndex(BaseModel):
    """The newest articles of the slice with their labels, for listing a chart's articles offline."""

    articles: list[IndexedArticle]
    capped: bool  # True when the slice has more articles than listed


class Dashboard(BaseModel):
    filters: CorpusFilter
    options: Options
    overview: Overview
    heatmap: Matrix
    trends: Trends
    frames: Matrix
    narratives: Narratives  # none until narratives are built (unspin corpus narratives --build)
    articles: ArticleIndex | None


def build_dashboard(
    store: Store,
    filters: CorpusFilter = EVERYTHING,
    *,
    period: Period = "month",
    top_techniques: int = 6,
    top_narratives: int = 8,
    articles_limit: int = 0,
) -> Dashboard:
    """Everything the corpus dashboard draws for one slice of the corpus.

    Parameters
    ----------
    store : Store
    filters : CorpusFilter
        The slice; the filter options always cover the whole corpus (of the same model).
    period : {"day", "week", "month"}
        The time step of the trends (and narratives).
    top_techniques : int
        How many of the slice's most used techniques get a trend line.
    top_narratives : int
        How many of the slice's largest narratives are shown (found beforehand by
        :func:`~unspin.store.narratives.build_narratives`).
    articles_limit : int
        Embed an index of up to this many of the newest articles, with their techniques and
        frames (the offline file lists a chart's articles from it); 0 for none (the web UI
        asks the API instead).

    Returns
    -------
    Dashboard
        ``.model_dump(mode="json")`` gives it as JSON-ready data, dates as ISO strings.
    """
    heatmap = _heatmap(store, filters)
    return Dashboard(
        filters=filters,
        options=_options(store, filters.model),
        overview=overview(store, filters),
        heatmap=heatmap,
        trends=_trends(store, filters, heatmap.columns[:top_techniques], period),
        frames=_matrix(frame_shares(store, filters, by="source"), _row_totals(store, filters), "share_of_articles"),
        narratives=_narratives(store, filters, period, top_narratives),
        articles=_article_index(store, filters, articles_limit) if articles_limit else None,
    )


def _options(store: Store, model: str | None) -> Options:
    whole = overview(store, CorpusFilter(model=model))
    source_languages: dict[str, list[str]] = {source: [] for source in whole.sources}
    for language in whole.languages:
        for source in overview(store, CorpusFilter(languages=[language], model=model)).sources:
            source_languages[source].append(language)
    return Options(
        sources=list(whole.sources),
        languages=list(whole.languages),
        source_languages=source_languages,
        first_date=whole.first_date,
        last_date=whole.last_date,
        models=whole.models,
    )


def _heatmap(store: Store, filters: CorpusFilter) -> Matrix:
    return _matrix(rates(store, filters, by="source"), _row_totals(store, filters), "per_1000_words")


def _row_totals(store: Store, filters: CorpusFilter) -> dict[str, tuple[int, int]]:
    """Articles and words per source, sources without any label included."""
    return {source: totals for (source, _), totals in sorted(groups(store, filters, by="source").items())}


def _matrix(
    rows: list[RateRow], totals: dict[str, tuple[int, int]], measure: Literal["per_1000_words", "share_of_articles"]
) -> Matrix:
    """Rate rows as a source-by-label matrix; techniques count paragraphs, frames articles."""
    count_of = (lambda r: r.count) if measure == "per_1000_words" else (lambda r: r.articles_with)
    cells = {(r.group, r.label): r for r in rows}
    used = Counter[str]()
    for row in rows:
        used[row.label] += count_of(row)
    columns = sorted(used, key=lambda label: (-used[label], label))
    sources = list(totals)
    return Matrix(
        measure=measure,
        rows=sources,
        columns=columns,
        values=[[getattr(cells[s, c], measure) if (s, c) in cells else 0.0 for c in columns] for s in sources],
        counts=[[count_of(cells[s, c]) if (s, c) in cells else 0 for c in columns] for s in sources],
        articles=[totals[s][0] for s in sources],
        words=[totals[s][1] for s in sources],
    )


def _trends(store: Store, filters: CorpusFilter, labels: list[str], period: Period) -> Trends:
    """One line per technique over the whole slice (all sources together), with its change points."""
    totals = sorted(
        (when, articles)
        for (_, when), (articles, _) in groups(store, filters, by="none", period=period).items()
        if when is not None
    )
    lines = []
    for label in labels:
        series = trend(store, label, filters, kind="technique", period=period, by="none").series
        points = {p.period: p for p in (series[0].points if series else [])}
        lines.append(
            TrendLine(
                label=label,
                values=[points[when].value if when in points else 0.0 for when, _ in totals],
                counts=[points[when].count if when in points else 0 for when, _ in totals],
                change_points=series[0].change_points if series else [],
            )
        )
    periods = [when for when, _ in totals]
    return Trends(
        period=period,
        periods=periods,
        ends=[period_end(when, period) for when in periods],
        articles=[n for _, n in totals],
        lines=lines,
    )


def _narratives(store: Store, filters: CorpusFilter, period: Period, top: int) -> Narratives:
    items = narratives(store, filters, period=period)[:top]
    periods = [point.period for point in items[0].timeline] if items else []
    return Narratives(periods=periods, ends=[period_end(when, period) for when in periods], items=items)


def _article_index(store: Store, filters: CorpusFilter, limit: int) -> ArticleIndex:
    """The newest ``limit`` articles with their labels, read a page at a time (one more, to tell if capped)."""
    rows: list[ArticleRow] = []
    while len(rows) <= limit:
        wanted = min(ARTICLE_PAGE, limit + 1 - len(rows))
        page = list_articles(store, filters, limit=wanted, offset=len(rows))
        rows.extend(page)
        if len(page) < wanted:
            break
    capped = len(rows) > limit
    rows = rows[:limit]
    labels = article_labels(store, [row.id for row in rows])
    return ArticleIndex(
        articles=[IndexedArticle.model_validate({**row.model_dump(), **labels[row.id]}) for row in rows], capped=capped
    )
