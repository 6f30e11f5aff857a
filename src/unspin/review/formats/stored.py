"""The exchange formats and the corpus store: reviewed articles out of it, imported reviews into it.

An imported review is stored as the decisions that make it (:func:`decisions_for`), so
its history says what the import did. All reviews of one import are written in one
transaction, after every one has been checked: a file with one bad item imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import sqlalchemy as sa

from ...analysis import Analysis
from ...article import Article
from ...errors import InputError, StoreError
from ...store import tables as t
from ...store.articles import article_conditions, get_analysis
from ...store.filters import EVERYTHING, CorpusFilter
from ...store.store import Store
from ..model import Decision, Review, ReviewStatus, SpanRef, apply_decision
from ..queue import least_certain_first
from ..store import ArticleRef, UnknownArticle, iter_reviews, record_in_transaction, resolve_article
from ._common import DEFAULT_TASKS, MAX_TASKS, Lookup, Reviewed

__all__ = ["decisions_for", "reviewed_in_store", "save_reviews", "store_lookup", "unreviewed_in_store"]


def store_lookup(store: Store) -> Lookup:
    """The stored article and its latest analysis by content hash (None for a text not in the store)."""
    found: dict[str, tuple[Article, Analysis | None] | None] = {}

    def lookup(content_hash: str) -> tuple[Article, Analysis | None] | None:
        if content_hash not in found:
            try:
                analysis = get_analysis(store, resolve_article(store, content_hash).id)
            except UnknownArticle:
                analysis = None
            found[content_hash] = (analysis.article, analysis) if analysis is not None else None
        return found[content_hash]

    return lookup


def reviewed_in_store(
    store: Store, *, reviewer: str | None = None, statuses: Sequence[ReviewStatus] | None = None
) -> Iterator[Reviewed]:
    """Every stored review (by ``reviewer``, with one of ``statuses``) with its article and the analysis it judged.

    The analysis is the one by the review's model where the store still has it, else the latest.
    """
    for review in iter_reviews(store, reviewer=reviewer, statuses=statuses):
        analysis = get_analysis(store, _judged_article(store, review).id)
        if analysis is not None:
            yield analysis.article, analysis, review


def _judged_article(store: Store, review: Review) -> ArticleRef:
    """The stored analysis the review judged (by its model) where the store still has it, else the latest one.

    Raises :class:`UnknownArticle` where the store has no analysis of the text at all.
    """
    try:
        return resolve_article(store, review.content_hash, model=review.model)
    except UnknownArticle:
        return resolve_article(store, review.content_hash)


def unreviewed_in_store(
    store: Store, *, reviewer: str | None = None, filters: CorpusFilter = EVERYTHING, limit: int = DEFAULT_TASKS
) -> tuple[list[tuple[Article, Analysis, None]], int]:
    """Articles of the slice that ``reviewer`` (anyone, when None) has not reviewed, as tasks to annotate.

    At most ``limit`` (1 to :data:`MAX_TASKS`), the least certain first as in the review
    queue, from one model's analyses (``filters.model``, default the latest); with how many
    unreviewed articles the slice has in all.
    """
    if not 1 <= limit <= MAX_TASKS:
        raise InputError(f"the number of tasks must be 1 to {MAX_TASKS:,} (got {limit})")
    a, r = t.articles, t.reviews.c
    reviewed = sa.exists().where(r.content_hash == a.c.content_hash)
    if reviewer is not None:
        reviewed = reviewed.where(r.reviewer == reviewer)
    conditions = [*article_conditions(filters, store.model_id(filters.model)), ~reviewed]
    with store.connect() as connection:
        total = connection.scalar(sa.select(sa.func.count()).select_from(a).where(*conditions)) or 0
        query = sa.select(a.c.id).where(*conditions).order_by(*least_certain_first()).limit(limit)
        ids = list(connection.scalars(query))
    analyses = (get_analysis(store, article_id) for article_id in ids)
    return [(analysis.article, analysis, None) for analysis in analyses if analysis is not None], int(total)


def decisions_for(review: Review) -> list[Decision]:
    """Decisions that turn an empty review into ``review`` (its spans, rejections, labels and status)."""
    decisions = [Decision(kind="reject", span=SpanRef(**r.model_dump())) for r in review.rejected]
    relabelled = [s for s in review.spans if s.origin == "model" and s.model_technique is not None]
    for span in relabelled:  # first: a relabel takes the span of the first technique away
        first = SpanRef(start=span.start, end=span.end, technique=span.model_technique)
        decisions.append(Decision(kind="accept", span=first, model_confidence=span.model_confidence))
        decisions.append(Decision(kind="relabel", span=first, technique=span.technique))
    for span in review.spans:
        if span in relabelled:
            continue
        ref = SpanRef(start=span.start, end=span.end, technique=span.technique)
        kind = "accept" if span.origin == "model" else "add"
        decisions.append(Decision(kind=kind, span=ref, model_confidence=span.model_confidence))
    for number, techniques in sorted(review.paragraphs.items()):
        decisions.append(Decision(kind="paragraph", paragraph=number, techniques=techniques))
    if review.frames is not None:
        decisions.append(Decision(kind="frames", frames=review.frames))
    if review.genre is not None:
        decisions.append(Decision(kind="genre", genre=review.genre))
    decisions.append(Decision(kind="status", status=review.status))
    return decisions


def save_reviews(store: Store, items: Iterable[Reviewed], source: str) -> int:
    """Store imported reviews, all or none; returns how many.

    Raises
    ------
    InputError
        Naming ``source`` and the article: a text not in the store, a reviewer who has a
        review of it already (nothing is overwritten), a review that does not fit the
        stored article (a paragraph it does not have).
    StoreError
        The database failed, or a review of one of the texts was written meanwhile.
    """
    items = list(items)
    plans = []
    for article, _, review in items:
        name = f"{source}: article {article.id or review.content_hash[:12]}"
        try:
            ref = _judged_article(store, review)
        except UnknownArticle:
            raise InputError(
                f"{name}: this text is not in the store; analyse it and `unspin corpus import` the results first"
            ) from None
        decisions = decisions_for(review)
        _check_fold(review, decisions, ref.text_length, name)
        plans.append((name, review, decisions, ref.model))
    try:
        with store.engine.begin() as connection:
            _refuse_existing(connection, plans)
            for name, review, decisions, model in plans:
                try:
                    record_in_transaction(connection, review.content_hash, review.reviewer, decisions, model=model)
                except InputError as exc:
                    raise InputError(f"{name}: {exc}") from exc
    except sa.exc.IntegrityError as exc:
        raise StoreError("a review of one of these texts was written meanwhile; nothing imported, try again") from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot import the reviews: {str(exc).splitlines()[0]}") from exc
    return len(plans)


def _check_fold(review: Review, decisions: list[Decision], text_length: int, name: str) -> None:
    folded = Review(content_hash=review.content_hash, reviewer=review.reviewer)
    try:
        for decision in decisions:
            folded = apply_decision(folded, decision, text_length)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from exc
    keep = {"model", "updated_at"}
    if folded.model_dump(exclude=keep) != review.model_dump(exclude=keep):
        raise InputError(f"{name}: the review cannot be stored as decisions (two spans contradict each other)")


def _refuse_existing(connection: sa.Connection, plans: list[tuple[str, Review, list[Decision], str]]) -> None:
    r = t.reviews.c
    for name, review, _, _ in plans:
        found = connection.scalar(
            sa.select(r.id).where(r.content_hash == review.content_hash, r.reviewer == review.reviewer)
        )
        if found is not None:
            raise InputError(
                f"{name}: {review.reviewer} has a review of this text already; nothing imported "
                "(import under another reviewer name)"
            )
