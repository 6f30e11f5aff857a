"""``/v1/corpus/*``: the corpus store's questions over HTTP, answered by :mod:`unspin.store`.

Every route takes the same filters as query parameters (``source``, ``language`` and
``technique`` repeat; ``date_from``/``date_to`` are inclusive; ``model`` picks a model's
analyses). Values that match nothing give empty results.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BeforeValidator, StringConstraints

from ...corpus.periods import Period
from ...corpus.views import Dashboard, build_dashboard
from ...schema import AnalysisDocument
from ...store import CorpusFilter, Store
from ...store.articles import (
    ArticleRow,
    Overview,
    SearchHit,
    get_analysis,
    list_articles,
    overview,
    search,
)
from ...store.compare import ComparisonRow, compare
from ...store.narratives import Narrative, narratives
from ...store.phrases import CooccurrenceRow, PhraseRow, cooccurrence, top_phrases
from ...store.queries import (
    GroupBy,
    Level,
    RateRow,
    Trend,
    TrendKind,
    rates,
    trend,
)
from ..deps import RuntimeDep, get_caller
from ..problems import problem_responses

router = APIRouter(
    prefix="/v1/corpus",
    tags=["corpus"],
    dependencies=[Depends(get_caller)],
    responses=problem_responses(401, 422, 429, 503),
)

Value = Annotated[str, StringConstraints(max_length=200)]
Values = Annotated[list[Value], Query(max_length=50)]
# An empty date means no date: the dashboard's GET form sends its empty date fields too.
Day = Annotated[dt.date | None, BeforeValidator(lambda value: value or None)]


def get_store(runtime: RuntimeDep) -> Store:
    """The server's corpus store; 503 (StoreError) when the database cannot be opened."""
    return runtime.corpus


StoreDep = Annotated[Store, Depends(get_store)]


def corpus_filter(
    source: Values = [],  # noqa: B006 (FastAPI copies defaults)
    language: Values = [],  # noqa: B006
    technique: Values = [],  # noqa: B006
    date_from: Day = None,
    date_to: Day = None,
    model: Annotated[str | None, Query(max_length=300)] = None,
) -> CorpusFilter:
    """The slice of the corpus a request is about."""
    return CorpusFilter.build(
        sources=source, languages=language, techniques=technique, date_from=date_from, date_to=date_to, model=model
    )


FilterDep = Annotated[CorpusFilter, Depends(corpus_filter)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/overview", response_model=Overview, summary="Size of the slice")
def get_overview(store: StoreDep, filters: FilterDep) -> Overview:
    """Articles, words, sources, languages, date range and models."""
    return overview(store, filters)


@router.get("/rates", response_model=list[RateRow], summary="Technique rates per source and period")
def get_rates(
    store: StoreDep,
    filters: FilterDep,
    by: GroupBy = "source",
    period: Period | None = None,
    level: Level = "technique",
) -> list[RateRow]:
    """Labelled paragraphs per 1,000 words and per article, and the share of articles, with counts."""
    return rates(store, filters, by=by, period=period, level=level)


@router.get("/trend", response_model=Trend, summary="A label over time, with change points")
def get_trend(
    store: StoreDep,
    filters: FilterDep,
    label: Annotated[str, Query(max_length=100)],
    kind: TrendKind = "technique",
    period: Period = "week",
    by: GroupBy = "source",
) -> Trend:
    """Per 1,000 words for techniques and categories, share of articles for frames and genres."""
    return trend(store, label, filters, kind=kind, period=period, by=by)


@router.get("/compare", response_model=list[ComparisonRow], summary="Compare two slices")
def get_compare(
    store: StoreDep,
    a_source: Values = [],  # noqa: B006 (FastAPI copies defaults)
    a_language: Values = [],  # noqa: B006
    a_date_from: dt.date | None = None,
    a_date_to: dt.date | None = None,
    b_source: Values = [],  # noqa: B006
    b_language: Values = [],  # noqa: B006
    b_date_from: dt.date | None = None,
    b_date_to: dt.date | None = None,
    model: Annotated[str | None, Query(max_length=300)] = None,
    level: Level = "technique",
) -> list[ComparisonRow]:
    """Rate ratios of slice A over slice B with 95% intervals and Benjamini-Hochberg q-values."""
    a = CorpusFilter.build(
        sources=a_source, languages=a_language, date_from=a_date_from, date_to=a_date_to, model=model
    )
    b = CorpusFilter.build(
        sources=b_source, languages=b_language, date_from=b_date_from, date_to=b_date_to, model=model
    )
    return compare(store, a, b, level=level)


@router.get("/articles", response_model=list[ArticleRow], summary="Articles in the slice")
def get_articles(
    store: StoreDep,
    filters: FilterDep,
    frame: Annotated[str | None, Query(max_length=100)] = None,
    narrative: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ArticleRow]:
    """Newest first; ``technique`` keeps articles with any of those techniques, ``frame`` those with that frame,
    ``narrative`` those in that narrative (an id from `/v1/corpus/dashboard`)."""
    return list_articles(store, filters, frame=frame, narrative=narrative, limit=limit, offset=offset)


@router.get("/dashboard", response_model=Dashboard, summary="Everything the corpus dashboard draws")
def get_dashboard(store: StoreDep, filters: FilterDep, period: Period = "month") -> Dashboard:
    """Techniques by source, trends of the most used techniques with change points, frames by source, the
    slice's overview and the filter options (from the whole corpus)."""
    return build_dashboard(store, filters, period=period)


@router.get(
    "/articles/{article_id}",
    response_model=AnalysisDocument,
    summary="A stored analysis",
    responses=problem_responses(404),
)
def get_article(store: StoreDep, article_id: Annotated[int, Path(ge=1, le=2**62)]) -> dict:
    analysis = get_analysis(store, article_id)
    if analysis is None:
        raise HTTPException(404, detail=f"no stored article {article_id}")
    return analysis.to_dict()


@router.get("/search", response_model=list[SearchHit], summary="Full-text search")
def get_search(
    store: StoreDep,
    filters: FilterDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    target: Literal["articles", "spans"] = "articles",
    limit: Limit = 20,
    offset: Offset = 0,
) -> list[SearchHit]:
    """Words are ANDed, "double quotes" make a phrase; no stemming."""
    return search(store, q, filters, target=target, limit=limit, offset=offset)


@router.get("/phrases", response_model=list[PhraseRow], summary="Top phrases per technique")
def get_phrases(
    store: StoreDep,
    filters: FilterDep,
    of: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    entities: Annotated[int, Query(ge=0, le=50)] = 5,
) -> list[PhraseRow]:
    """Span texts, normalised and counted, per technique (``of`` for one), with the names found near them."""
    return top_phrases(store, filters, technique=of, limit=limit, entities=entities)


@router.get("/cooccurrence", response_model=list[CooccurrenceRow], summary="Techniques found together")
def get_cooccurrence(
    store: StoreDep, filters: FilterDep, min_count: Annotated[int, Query(ge=1, le=1_000_000)] = 1
) -> list[CooccurrenceRow]:
    """Technique pairs labelled in the same paragraph, with lift and PMI against independence."""
    return cooccurrence(store, filters, min_count=min_count)


@router.get("/narratives", response_model=list[Narrative], summary="Recurring narratives")
def get_narratives(store: StoreDep, filters: FilterDep, period: Period = "month") -> list[Narrative]:
    """Clusters of articles by embedding (built with `unspin corpus narratives --build`), largest first."""
    return narratives(store, filters, period=period)
