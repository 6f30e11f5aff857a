"""What the techniques say: their most frequent phrases, the names around them, and which go together.

:func:`top_phrases` counts the normalised span texts (``spans.phrase``: case-folded words,
so "The WEST's" and "the west's" are one phrase) per technique, and lists the names that
appear in the same paragraphs. :func:`cooccurrence` counts technique pairs labelled in the
same paragraph, against what independence would give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from ..corpus.stats.phrases import top_entities
from ..errors import InputError
from ..taxonomy import resolve_label
from . import tables as t
from .filters import EVERYTHING, CorpusFilter
from .queries import aggregate_table
from .store import Store

MAX_LIMIT = 500
MAX_ENTITIES = 50
CONTEXT_PARAGRAPHS = 100  # paragraphs read per phrase to count its entities...
CONTEXT_BUDGET = 10_000  # ...and per call, shared among the phrases


class EntityCount(BaseModel):
    entity: str
    paragraphs: int  # of the paragraphs read for the phrase, how many name it


class PhraseRow(BaseModel):
    technique: str
    phrase: str  # normalised: case-folded words joined by single spaces
    count: int  # spans
    articles: int  # articles with at least one such span
    example: str  # one span's original text
    entities: list[EntityCount]


class CooccurrenceRow(BaseModel):
    technique_a: str  # technique_a < technique_b
    technique_b: str
    paragraphs: int  # paragraphs labelled with both
    paragraphs_a: int  # paragraphs labelled with technique_a
    paragraphs_b: int
    expected: float  # paragraphs_a * paragraphs_b / all paragraphs: the count under independence
    lift: float  # paragraphs / expected
    pmi: float  # log2(lift)


def top_phrases(
    store: Store,
    filters: CorpusFilter = EVERYTHING,
    *,
    technique: str | None = None,
    limit: int = 20,
    entities: int = 5,
) -> list[PhraseRow]:
    """The ``limit`` most frequent phrases of each technique (or of ``technique``), most frequent first.

    ``technique`` is a label or an English name in any case; an unknown one is an
    :class:`InputError` listing the close matches.

    Phrases are ranked per technique in SQL with ``ROW_NUMBER() OVER (PARTITION BY
    technique ...)``, ties broken by phrase. ``filters.techniques``, like ``technique``,
    selects whose spans are counted. Entities are counted, with the heuristic of
    :func:`~unspin.corpus.stats.phrases.entities_in`, in the paragraphs of the phrase's first spans (by article id):
    at most :data:`CONTEXT_PARAGRAPHS` per phrase and :data:`CONTEXT_BUDGET` per call, so
    asking for every technique reads fewer per phrase; ``entities=0`` skips them.

    Cost: counting reads every span of the slice with the selected techniques; one
    technique is a range of the (technique, phrase, article_id) index, all techniques
    the whole slice, so dashboards should ask per technique.

    Examples
    --------
    >>> top_phrases(store, CorpusFilter(sources=["Daily Beacon"]), technique="Loaded_Language")  # doctest: +SKIP
    """
    if not 1 <= limit <= MAX_LIMIT or not 0 <= entities <= MAX_ENTITIES:
        raise InputError(
            f"limit must be 1 to {MAX_LIMIT} and entities 0 to {MAX_ENTITIES} (got limit={limit}, entities={entities})"
        )
    techniques = _techniques(filters, technique)
    if techniques == []:
        return []
    model_id = store.model_id(filters.model)
    with store.connect() as connection:
        counted = connection.execute(_ranked_phrases(filters, model_id, techniques, limit)).all()
        if not counted:
            return []
        per_phrase = min(CONTEXT_PARAGRAPHS, max(1, CONTEXT_BUDGET // len(counted))) if entities else 1
        contexts = _contexts(connection, filters, model_id, [(r.technique, r.phrase) for r in counted], per_phrase)
    return [
        PhraseRow(
            technique=r.technique,
            phrase=r.phrase,
            count=r.spans,
            articles=r.articles,
            example=contexts[(r.technique, r.phrase)][0].span_text,
            entities=_top_entities(contexts[(r.technique, r.phrase)], r.phrase, entities),
        )
        for r in counted
    ]


def _techniques(filters: CorpusFilter, technique: str | None) -> list[str] | None:
    """The techniques whose spans count (None: all); an empty list when none can."""
    if technique is None:
        return list(filters.techniques) or None
    technique = resolve_label(technique, "technique")
    return [technique] if not filters.techniques or technique in filters.techniques else []


def _ranked_phrases(filters: CorpusFilter, model_id: int, techniques: list[str] | None, limit: int) -> sa.Select[Any]:
    s, a = t.spans, t.articles
    spans = sa.func.count()
    rank = sa.func.row_number().over(partition_by=s.c.technique, order_by=(spans.desc(), s.c.phrase))
    conditions = [
        *filters.where(a, model_id),
        s.c.phrase != "",
        *([s.c.technique.in_(techniques)] if techniques is not None else []),
    ]
    ranked = (
        sa.select(
            s.c.technique,
            s.c.phrase,
            spans.label("spans"),
            sa.func.count(sa.distinct(s.c.article_id)).label("articles"),
            rank.label("rank"),
        )
        .select_from(s.join(a, a.c.id == s.c.article_id))
        .where(*conditions)
        .group_by(s.c.technique, s.c.phrase)
        .subquery()
    )
    return (
        sa.select(ranked.c.technique, ranked.c.phrase, ranked.c.spans, ranked.c.articles)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.technique, ranked.c.rank)
    )


@dataclass(frozen=True, slots=True)
class _Context:
    span_text: str
    paragraph: str
    start: int  # of the span in the paragraph
    end: int


def _contexts(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, keys: list[tuple[str, str]], per_phrase: int
) -> dict[tuple[str, str], list[_Context]]:
    """The first ``per_phrase`` spans of each (technique, phrase), with the paragraph around each.

    One small query per phrase: ordered by article, the (technique, phrase, article_id)
    index hands over the first rows without reading the phrase's other spans.
    """
    s, a, p = t.spans, t.articles, t.paragraphs
    paragraph = sa.func.substr(a.c.text, p.c.start + 1, p.c.end - p.c.start)
    query = (
        sa.select(
            s.c.text,
            (s.c.start - p.c.start).label("start"),
            (s.c.end - p.c.start).label("end"),
            paragraph.label("paragraph"),
        )
        .select_from(
            s.join(a, a.c.id == s.c.article_id).join(
                p, (p.c.article_id == s.c.article_id) & (p.c.number == s.c.paragraph)
            )
        )
        .where(
            *filters.where(a, model_id),
            s.c.technique == sa.bindparam("technique"),
            s.c.phrase == sa.bindparam("phrase"),
        )
        .order_by(s.c.article_id, s.c.id)
        .limit(per_phrase)
    )
    return {
        (technique, phrase): [
            _Context(row.text, row.paragraph or "", row.start, row.end)
            for row in connection.execute(query, {"technique": technique, "phrase": phrase})
        ]
        for technique, phrase in keys
    }


def _top_entities(contexts: list[_Context], phrase: str, n: int) -> list[EntityCount]:
    """Entities by the number of the phrase's paragraphs naming them; the phrase itself is not one."""
    counted = top_entities([(c.paragraph, c.start, c.end) for c in contexts], phrase, n)
    return [EntityCount(entity=entity, paragraphs=count) for entity, count in counted]


# -- co-occurrence -------------------------------------------------------------------------------


def cooccurrence(store: Store, filters: CorpusFilter = EVERYTHING, *, min_count: int = 1) -> list[CooccurrenceRow]:
    """Technique pairs labelled in the same paragraph, most frequent first, with lift and PMI.

    ``lift`` compares the pair's paragraphs with what independent techniques would give:
    ``n_ab * N / (n_a * n_b)``, where N counts every paragraph of the slice; above 1 they
    go together more often than chance. ``pmi`` is ``log2(lift)``. Counts come from the
    ``agg_pairs`` aggregates. ``filters.techniques`` keeps the pairs with at least one of
    those techniques, but N and the single counts stay those of the whole slice, so a
    pair's lift does not change with that filter. Pairs in fewer than ``min_count``
    paragraphs are left out.
    """
    if min_count < 1:
        raise InputError(f"min_count must be 1 or more (got {min_count})")
    model_id = store.model_id(filters.model)
    with store.connect() as connection:
        pairs = _pair_counts(connection, filters, model_id, min_count)
        if not pairs:
            return []
        singles = _technique_paragraphs(connection, filters, model_id)
        total = _all_paragraphs(connection, filters, model_id)
    rows = [_cooccurrence_row(a, b, n, singles.get(a, 0), singles.get(b, 0), total) for (a, b), n in pairs.items()]
    return sorted(rows, key=lambda r: (-r.paragraphs, -r.lift, r.technique_a, r.technique_b))


def _sliced(
    daily: sa.Table, filters: CorpusFilter, model_id: int
) -> tuple[sa.Table | sa.Subquery, list[sa.ColumnElement[bool]]]:
    table = aggregate_table(daily, filters, model_id, None)
    return table, filters.where(table, model_id, date_column="day")


def _pair_counts(
    connection: sa.Connection, filters: CorpusFilter, model_id: int, min_count: int
) -> dict[tuple[str, str], int]:
    table, conditions = _sliced(t.agg_pairs, filters, model_id)
    c = table.c
    if filters.techniques:
        conditions.append(sa.or_(c.technique_a.in_(filters.techniques), c.technique_b.in_(filters.techniques)))
    paragraphs = sa.func.sum(c.paragraphs)
    query = (
        sa.select(c.technique_a, c.technique_b, paragraphs)
        .where(*conditions)
        .group_by(c.technique_a, c.technique_b)
        .having(paragraphs >= min_count)
    )
    return {(a, b): int(n) for a, b, n in connection.execute(query)}


def _technique_paragraphs(connection: sa.Connection, filters: CorpusFilter, model_id: int) -> dict[str, int]:
    table, conditions = _sliced(t.agg_labels, filters, model_id)
    query = (
        sa.select(table.c.label, sa.func.sum(table.c.paragraphs))
        .where(*conditions, table.c.kind == "technique")
        .group_by(table.c.label)
    )
    return {label: int(n) for label, n in connection.execute(query)}


def _all_paragraphs(connection: sa.Connection, filters: CorpusFilter, model_id: int) -> int:
    table, conditions = _sliced(t.agg_articles, filters, model_id)
    return int(connection.scalar(sa.select(sa.func.sum(table.c.paragraphs)).where(*conditions)) or 0)


def _cooccurrence_row(a: str, b: str, n: int, n_a: int, n_b: int, total: int) -> CooccurrenceRow:
    expected = n_a * n_b / total if total else 0.0
    lift = n / expected if expected else 0.0
    return CooccurrenceRow(
        technique_a=a,
        technique_b=b,
        paragraphs=n,
        paragraphs_a=n_a,
        paragraphs_b=n_b,
        expected=round(expected, 6),
        lift=round(lift, 6),
        pmi=round(math.log2(lift), 6) if lift else 0.0,
    )
