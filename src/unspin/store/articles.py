"""The articles behind a number: listing, full-text search, and one stored analysis back."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel

from ..analysis import Analysis, LabelScore, ParagraphAnalysis, Span, TechniqueScore
from ..article import Article, Paragraph
from ..errors import InputError
from ..taxonomy import resolve_label
from . import tables as t
from .filters import EVERYTHING, CorpusFilter
from .ingest import model_key
from .queries import aggregate_table, uses_any_technique
from .store import Store

MAX_PAGE = 500
HIT_START, HIT_END = "\x02", "\x03"  # snippet markers; stripped from the text they mark


class ArticleRow(BaseModel):
    id: int
    doc_id: str | None
    title: str | None
    source: str
    date: dt.date | None
    language: str
    url: str | None
    genre: str
    words: int
    technique_paragraphs: int


class SearchHit(BaseModel):
    article: ArticleRow
    snippet: str
    highlights: list[tuple[int, int]]  # (start, end) of matched words in the snippet
    span_technique: str | None = None  # set when searching spans


class Overview(BaseModel):
    articles: int
    words: int
    sources: dict[str, int]
    languages: dict[str, int]
    first_date: dt.date | None
    last_date: dt.date | None
    undated: int
    models: list[str]
    model: str | None  # the one the numbers are for


def overview(store: Store, filters: CorpusFilter = EVERYTHING) -> Overview:
    """Size of the slice: articles, words, sources, languages and dates.

    Read from the aggregates, or from the articles table when a technique filter
    narrows the slice to the articles that use one of those techniques.
    """
    model_id = store.model_id(filters.model)
    with store.connect() as connection:
        counts = (_counts_with_techniques if filters.techniques else _counts_from_aggregates)(
            connection, filters, model_id
        )
    models = store.models()
    current = next((f"{m['name']}=={m['version']}" for m in models if m["id"] == model_id), None)
    return Overview(**counts, models=[f"{m['name']}=={m['version']}" for m in models], model=current)


def _counts_from_aggregates(connection: sa.Connection, filters: CorpusFilter, model_id: int) -> dict:
    g = aggregate_table(t.agg_articles, filters, model_id, None)  # mostly the monthly counts
    where = filters.where(g, model_id, date_column="day")
    d = t.agg_articles  # the first and last days, one index seek each (min and max together would scan)
    dated = [*filters.where(d, model_id, date_column="day"), d.c.day != t.UNDATED]

    def counted(column: sa.ColumnElement[Any]) -> dict[str, int]:
        query = sa.select(column, sa.func.sum(g.c.articles)).where(*where).group_by(column).order_by(column)
        return {key: int(n) for key, n in connection.execute(query)}

    articles, words = connection.execute(
        sa.select(sa.func.sum(g.c.articles), sa.func.sum(g.c.words)).where(*where)
    ).one()
    undated = connection.scalar(sa.select(sa.func.sum(g.c.articles)).where(*where, g.c.day == t.UNDATED))
    return {
        "articles": int(articles or 0),
        "words": int(words or 0),
        "sources": counted(g.c.source),
        "languages": counted(g.c.language),
        "undated": int(undated or 0),
        "first_date": _day(connection.scalar(sa.select(sa.func.min(d.c.day)).where(*dated))),
        "last_date": _day(connection.scalar(sa.select(sa.func.max(d.c.day)).where(*dated))),
    }


def _counts_with_techniques(connection: sa.Connection, filters: CorpusFilter, model_id: int) -> dict:
    a = t.articles
    where = article_conditions(filters, model_id)

    def counted(column: sa.ColumnElement[Any]) -> dict[str, int]:
        query = sa.select(column, sa.func.count()).where(*where).group_by(column).order_by(column)
        return {key: int(n) for key, n in connection.execute(query)}

    articles, words, undated, first, last = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(a.c.words),
            sa.func.count().filter(a.c.date.is_(None)),
            sa.func.min(a.c.date),
            sa.func.max(a.c.date),
        ).where(*where)
    ).one()
    return {
        "articles": int(articles or 0),
        "words": int(words or 0),
        "sources": counted(a.c.source),
        "languages": counted(a.c.language),
        "undated": int(undated or 0),
        "first_date": _day(first),
        "last_date": _day(last),
    }


def list_articles(
    store: Store,
    filters: CorpusFilter = EVERYTHING,
    *,
    frame: str | None = None,
    narrative: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ArticleRow]:
    """Articles in the slice, newest first; only those with ``frame``, or in ``narrative``, when given.

    ``frame`` and ``narrative`` are for the dashboard's charts of them, whose values list their articles.
    ``frame`` is a label or an English name in any case (an unknown one is an :class:`InputError`).
    """
    _check_page(limit, offset)
    model_id = store.model_id(filters.model)
    a, f, an = t.articles, t.frames, t.article_narratives
    conditions = article_conditions(filters, model_id)
    if frame is not None:
        frame = resolve_label(frame, "frame")  # a frame by label or name; a typo is an error, not an empty list
        conditions.append(sa.exists().where(f.c.article_id == a.c.id, f.c.frame == frame))
    if narrative is not None:
        conditions.append(sa.exists().where(an.c.article_id == a.c.id, an.c.narrative_id == narrative))
    query = (
        sa.select(*_article_columns())
        .where(*conditions)
        .order_by(a.c.date.desc().nulls_last(), a.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with store.connect() as connection:
        return [ArticleRow(**row._mapping) for row in connection.execute(query)]


def article_labels(store: Store, article_ids: list[int]) -> dict[int, dict[str, list]]:
    """The techniques (of any paragraph), frames and narrative ids of each article, without rebuilding its analysis.

    For listing many articles with their labels, as the offline dashboard's article index does.
    """
    labels: dict[int, dict[str, list]] = {i: {"techniques": [], "frames": [], "narratives": []} for i in article_ids}
    pt, f, an = t.paragraph_techniques, t.frames, t.article_narratives
    queries = {
        "techniques": sa.select(pt.c.article_id, pt.c.technique)
        .distinct()
        .where(pt.c.article_id.in_(article_ids))
        .order_by(pt.c.article_id, pt.c.technique),
        "frames": sa.select(f.c.article_id, f.c.frame)
        .where(f.c.article_id.in_(article_ids))
        .order_by(f.c.article_id, f.c.probability.desc()),
        "narratives": sa.select(an.c.article_id, an.c.narrative_id).where(an.c.article_id.in_(article_ids)),
    }
    with store.connect() as connection:
        for kind, query in queries.items():
            for article_id, label in connection.execute(query):
                labels[article_id][kind].append(label)
    return labels


def search(
    store: Store,
    text: str,
    filters: CorpusFilter = EVERYTHING,
    *,
    target: Literal["articles", "spans"] = "articles",
    limit: int = 20,
    offset: int = 0,
) -> list[SearchHit]:
    """Full-text search of article titles and texts, or of span texts, best matches first.

    Words are ANDed; "double quotes" make a phrase. Matching ignores case and, on
    SQLite, diacritics; there is no stemming, so search for the word forms you want.
    """
    _check_page(limit, offset)
    model_id = store.model_id(filters.model)
    if not _terms(text):
        return []
    search_spans = target == "spans"
    with store.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = _sqlite_search(text, search_spans)
        else:
            query = _postgres_search(text, search_spans)
        query = query.where(*article_conditions(filters, model_id, span_techniques=search_spans))
        rows = connection.execute(query.limit(limit).offset(offset)).all()
    hits = []
    for row in rows:
        values = dict(row._mapping)
        snippet, highlights = _marked(values.pop("snippet") or "")
        technique = values.pop("span_technique", None)
        hits.append(
            SearchHit(article=ArticleRow(**values), snippet=snippet, highlights=highlights, span_technique=technique)
        )
    return hits


def stored_id(store: Store, analysis: Analysis) -> int | None:
    """The id of ``analysis`` in the store (the same text analysed by the same model), or None."""
    name, version = model_key(analysis.model)
    a, m = t.articles.c, t.models.c
    query = (
        sa.select(a.id)
        .join(t.models, m.id == a.model_id)
        .where(m.name == name, m.version == version, a.content_hash == analysis.article.content_hash)
    )
    with store.connect() as connection:
        return connection.scalar(query)


def get_analysis(store: Store, article_id: int) -> Analysis | None:
    """A stored article's analysis rebuilt as an :class:`Analysis` (None if there is no such article)."""
    a = t.articles
    with store.connect() as connection:
        row = connection.execute(
            sa.select(a, t.models.c.name.label("model_name"), t.models.c.version.label("model_version"))
            .join(t.models, t.models.c.id == a.c.model_id)
            .where(a.c.id == article_id)
        ).first()
        if row is None:
            return None
        paragraphs = connection.execute(
            sa.select(t.paragraphs).where(t.paragraphs.c.article_id == article_id).order_by(t.paragraphs.c.number)
        ).all()
        techniques = connection.execute(
            sa.select(t.paragraph_techniques)
            .where(t.paragraph_techniques.c.article_id == article_id)
            .order_by(t.paragraph_techniques.c.confidence.desc())
        ).all()
        spans = connection.execute(
            sa.select(t.spans).where(t.spans.c.article_id == article_id).order_by(t.spans.c.start, t.spans.c.end)
        ).all()
        frames = connection.execute(
            sa.select(t.frames).where(t.frames.c.article_id == article_id).order_by(t.frames.c.probability.desc())
        ).all()
        vector = connection.scalar(sa.select(t.embeddings.c.vector).where(t.embeddings.c.article_id == article_id))
    text = row.text
    article = Article(
        text,
        tuple(Paragraph(p.number, p.start, p.end, text[p.start : p.end]) for p in paragraphs),
        row.doc_id,
        row.title,
        row.date,
        row.source or None,
        row.language or None,
        row.url,
        dict(row.meta or {}),
    )
    return Analysis(
        article=article,
        genre=row.genre,
        genre_probabilities=dict(row.genre_probabilities),
        frames=tuple(LabelScore(f.frame, f.probability) for f in frames),
        frame_probabilities=dict(row.frame_probabilities),
        paragraphs=tuple(
            ParagraphAnalysis(
                p.number,
                p.start,
                p.end,
                tuple(TechniqueScore(x.technique, x.confidence) for x in techniques if x.paragraph == p.number),
                tuple(
                    Span(s.start, s.end, s.technique, s.confidence, s.text) for s in spans if s.paragraph == p.number
                ),
            )
            for p in paragraphs
        ),
        model={"name": row.model_name, "version": row.model_version},
        embedding=np.frombuffer(vector, np.float16).astype(np.float32) if vector else None,
    )


def _article_columns() -> list[sa.ColumnElement]:
    a, pt = t.articles, t.paragraph_techniques
    flagged = (
        sa.select(sa.func.count())
        .where(pt.c.article_id == a.c.id)
        .correlate(a)
        .scalar_subquery()
        .label("technique_paragraphs")
    )
    return [a.c.id, a.c.doc_id, a.c.title, a.c.source, a.c.date, a.c.language, a.c.url, a.c.genre, a.c.words, flagged]


def article_conditions(filters: CorpusFilter, model_id: int, *, span_techniques: bool = False) -> list:
    """WHERE conditions on ``articles`` for the slice (techniques: any of them, by paragraph label or span)."""
    conditions = filters.where(t.articles, model_id)
    if filters.techniques:
        conditions.append(
            t.spans.c.technique.in_(filters.techniques)
            if span_techniques
            else uses_any_technique(t.articles.c.id, filters.techniques)
        )
    return conditions


_TERM = re.compile(r'"([^"]*)"|(\S+)')


def _terms(text: str) -> list[str]:
    """Words and "quoted phrases" of a search, with FTS syntax characters removed."""
    terms = []
    for phrase, word in _TERM.findall(text or ""):
        cleaned = " ".join(re.findall(r"\w+", phrase or word))
        if cleaned:
            terms.append(cleaned)
    return terms


def _sqlite_search(text: str, spans: bool) -> sa.Select:
    """An FTS5 MATCH; each term becomes a quoted string, so user input is never FTS syntax."""
    match = " ".join('"' + term.replace('"', '""') + '"' for term in _terms(text))
    fts = "spans_fts" if spans else "articles_fts"
    table = sa.table(fts, sa.column("rowid"), sa.column("rank"))
    snippet = sa.func.snippet(sa.literal_column(fts), -1, HIT_START, HIT_END, "…", 24).label("snippet")
    query = sa.select(*_article_columns(), snippet).select_from(table)
    if spans:
        query = (
            query.add_columns(t.spans.c.technique.label("span_technique"))
            .join(t.spans, t.spans.c.id == table.c.rowid)
            .join(t.articles, t.articles.c.id == t.spans.c.article_id)
        )
    else:
        query = query.join(t.articles, t.articles.c.id == table.c.rowid)
    return query.where(sa.literal_column(fts).op("MATCH")(sa.bindparam("match", match))).order_by(table.c.rank)


def _postgres_search(text: str, spans: bool) -> sa.Select:
    """``websearch_to_tsquery`` parses any input safely; 'simple' does no stemming."""
    tsquery = sa.func.websearch_to_tsquery(
        "simple", sa.bindparam("match", " ".join(f'"{term}"' if " " in term else term for term in _terms(text)))
    )
    a = t.articles
    document = (sa.func.coalesce(a.c.title, "") + " " + a.c.text) if not spans else t.spans.c.text
    vector = sa.func.to_tsvector("simple", document)
    options = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=8"
    snippet = sa.func.ts_headline("simple", t.spans.c.text if spans else a.c.text, tsquery, options).label("snippet")
    query = sa.select(*_article_columns(), snippet)
    if spans:
        query = query.add_columns(t.spans.c.technique.label("span_technique")).select_from(
            t.spans.join(a, a.c.id == t.spans.c.article_id)
        )
    return query.where(vector.op("@@")(tsquery)).order_by(sa.func.ts_rank(vector, tsquery).desc(), a.c.id)


def _marked(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """Strip the hit markers from a snippet and return it with the (start, end) of each hit."""
    plain, highlights, start = [], [], None
    length = 0
    for char in snippet:
        if char == HIT_START:
            start = length
        elif char == HIT_END and start is not None:
            highlights.append((start, length))
            start = None
        else:
            plain.append(char)
            length += 1
    return "".join(plain), highlights


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InputError(f"limit must be 1 to {MAX_PAGE} and offset 0 or more (got limit={limit}, offset={offset})")


def _day(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def iter_analyses(store: Store, filters: CorpusFilter = EVERYTHING, *, page: int = 500) -> Iterator[Analysis]:
    """Every stored analysis in the slice, oldest id first, paged by id (for exports of any size)."""
    model_id = store.model_id(filters.model)
    a = t.articles
    last = 0
    while True:
        query = (
            sa.select(a.c.id).where(*article_conditions(filters, model_id), a.c.id > last).order_by(a.c.id).limit(page)
        )
        with store.connect() as connection:
            ids = list(connection.scalars(query))
        for article_id in ids:
            analysis = get_analysis(store, article_id)
            if analysis is not None:
                yield analysis
        if len(ids) < page:
            return
        last = ids[-1]
