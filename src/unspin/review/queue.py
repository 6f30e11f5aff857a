"""The review queue: the corpus's articles with a reviewer's review status, least certain first.

**Article confidence** is the mean confidence of the technique labels the model put on the
article's paragraphs (each (paragraph, technique) pair it shows counts once). Labels near
the display threshold pull it down, so the articles whose proposals are most likely to be
wrong come first. An article with no label at all has no confidence (``None``): it comes
after all the others, since there is no proposal to judge there (a reviewer can still add
the spans the model missed). Ties go by article id, so pages are stable. It is computed on
import and kept on the article (``articles.confidence``), so a page costs the same at any corpus size.

The queue lists one model's analyses (the latest imported, or ``CorpusFilter.model``), each
article with the reviewer's status of its text (``unreviewed`` where they have no review
yet), the reviewers it is assigned to, and every reviewer's status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from pydantic import BaseModel, Field

from ..errors import InputError
from ..store import tables as t
from ..store.articles import MAX_PAGE, article_conditions
from ..store.filters import EVERYTHING, CorpusFilter
from ..store.store import Store
from .model import REVIEW_STATUSES, ReviewStatus
from .store import check_reviewer

__all__ = ["QueueArticle", "QueuePage", "least_certain_first", "review_queue"]

DIGITS = 6  # confidences are shown rounded to this many decimals
_HALF_DIGIT = 0.5 * 10**-DIGITS


class QueueArticle(BaseModel):
    """An article of the queue and where its review stands."""

    id: int = Field(description="The corpus article (this model's analysis of the text).")
    content_hash: str = Field(description="SHA-256 of the text: what reviews belong to.")
    title: str | None
    source: str
    language: str
    date: dt.date | None
    words: int
    genre: str
    confidence: float | None = Field(
        description="Mean confidence of the model's paragraph technique labels; null where it proposed none."
    )
    labels: int = Field(description="(paragraph, technique) labels the model proposed.")
    status: ReviewStatus = Field(description="The reviewer's review status of this text.")
    assigned_to: list[str] = Field(description="Reviewers the article is assigned to.")
    reviews: dict[str, ReviewStatus] = Field(description="Every reviewer with a review of the text, and its status.")


class QueuePage(BaseModel):
    """One page of the queue."""

    reviewer: str = Field(description="Whose statuses the page shows.")
    model: str | None = Field(description="NAME==VERSION of the analyses listed.")
    total: int = Field(description="Articles matching the filters, on all pages.")
    limit: int
    offset: int
    items: list[QueueArticle]


def least_certain_first() -> tuple[sa.ColumnElement, ...]:
    """The queue's order on ``articles`` (see the module's docstring)."""
    a = t.articles.c
    return sa.nulls_last(a.confidence.asc()), a.id


def review_queue(
    store: Store,
    reviewer: str,
    filters: CorpusFilter = EVERYTHING,
    *,
    statuses: Iterable[ReviewStatus] | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    assigned_to: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    """Articles of the slice with the reviewer's status, lowest article confidence first.

    Parameters
    ----------
    store : Store
        The corpus.
    reviewer : str
        Whose review status each article shows (and filters by ``statuses``).
    filters : CorpusFilter
        Sources, languages, techniques (articles with any of them), dates, model.
    statuses : iterable of str, optional
        Keep articles whose review by ``reviewer`` has one of these statuses.
    min_confidence, max_confidence : float, optional
        Keep articles whose confidence is in this range (inclusive); articles without
        one are left out whenever a bound is given.
    assigned_to : str, optional
        Keep articles assigned to this reviewer.
    limit, offset : int
        The page.
    """
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InputError(f"limit must be 1 to {MAX_PAGE} and offset 0 or more (got limit={limit}, offset={offset})")
    check_reviewer(reviewer)
    if assigned_to is not None:
        check_reviewer(assigned_to)
    wanted = list(dict.fromkeys(statuses or ()))
    unknown = [s for s in wanted if s not in REVIEW_STATUSES]
    if unknown:
        raise InputError(f"unknown review status {unknown[0]!r}; expected one of {', '.join(REVIEW_STATUSES)}")
    for name, bound in (("min_confidence", min_confidence), ("max_confidence", max_confidence)):
        if bound is not None and not 0.0 <= bound <= 1.0:
            raise InputError(f"{name} must be between 0 and 1 (got {bound})")
    model_id = store.model_id(filters.model)
    a, r, x = t.articles, t.reviews.c, t.review_assignments.c
    mine = t.reviews.alias("mine")
    status = sa.func.coalesce(mine.c.status, "unreviewed")
    source = a.outerjoin(mine, sa.and_(mine.c.content_hash == a.c.content_hash, mine.c.reviewer == reviewer))
    conditions = article_conditions(filters, model_id)
    if wanted:
        conditions.append(status.in_(wanted))
    # Bounds compare as the confidences are shown, to 6 decimals (a mean of 0.55 and 0.65 is 0.6000000000000001).
    if min_confidence is not None:
        conditions.append(a.c.confidence >= min_confidence - _HALF_DIGIT)
    if max_confidence is not None:
        conditions.append(a.c.confidence <= max_confidence + _HALF_DIGIT)
    if assigned_to is not None:
        conditions.append(sa.exists().where(x.content_hash == a.c.content_hash, x.reviewer == assigned_to))
    columns = [a.c.id, a.c.content_hash, a.c.title, a.c.source, a.c.language, a.c.date, a.c.words, a.c.genre]
    query = (
        sa.select(*columns, a.c.confidence, a.c.labels, status.label("status"))
        .select_from(source)
        .where(*conditions)
        .order_by(*least_certain_first())
        .limit(limit)
        .offset(offset)
    )
    with store.connect() as connection:
        total = connection.scalar(sa.select(sa.func.count()).select_from(source).where(*conditions)) or 0
        rows = connection.execute(query).all()
        hashes = [row.content_hash for row in rows]
        assigned: dict[str, list[str]] = {h: [] for h in hashes}
        others: dict[str, dict[str, str]] = {h: {} for h in hashes}
        if hashes:
            for content_hash, name in connection.execute(
                sa.select(x.content_hash, x.reviewer).where(x.content_hash.in_(hashes)).order_by(x.reviewer)
            ):
                assigned[content_hash].append(name)
            for content_hash, name, state in connection.execute(
                sa.select(r.content_hash, r.reviewer, r.status).where(r.content_hash.in_(hashes)).order_by(r.reviewer)
            ):
                others[content_hash][name] = state
    model = next((f"{m['name']}=={m['version']}" for m in store.models() if m["id"] == model_id), None)
    items = [
        QueueArticle(
            **{k: v for k, v in row._mapping.items() if k not in ("confidence", "labels")},
            confidence=None if row.confidence is None else round(float(row.confidence), DIGITS),
            labels=int(row.labels),
            assigned_to=assigned[row.content_hash],
            reviews=others[row.content_hash],
        )
        for row in rows
    ]
    return QueuePage(reviewer=reviewer, model=model, total=int(total), limit=limit, offset=offset, items=items)
