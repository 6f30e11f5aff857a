"""Reviews in the corpus database: recording decisions, reading reviews back, and assignments.

A review is one reviewer's :class:`~unspin.review.model.Review` of one article *text*
(its content hash), stored in ``reviews`` beside, never inside, the model's analyses: a
newer model's analysis of the same text finds the review still there. Each call of
:func:`record` appends its decisions to ``review_decisions`` (with the reviewer, the time
and the model whose proposals were judged) and stores the folded layer, in one
transaction: a decision that does not fit the text leaves nothing written.

These functions are the public way to read reviews (exports, the API, the review page):

- :func:`review` and :func:`reviews_of`: one reviewer's, or every reviewer's, review of a text;
- :func:`iter_reviews`: every review, oldest first, optionally by reviewer and status;
- :func:`decisions_of`: the history behind a review.

>>> from unspin.review import Decision, SpanRef  # doctest: +SKIP
>>> from unspin.review.store import record  # doctest: +SKIP
>>> accept = Decision(kind="accept", span=SpanRef(start=4, end=11, technique="Loaded_Language"))  # doctest: +SKIP
>>> record(store, content_hash, "ana", [accept])  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field

from ..errors import InputError, StoreError
from ..store import tables as t
from ..store.filters import CorpusFilter
from ..store.queries import uses_any_technique
from ..store.store import Store
from .model import Decision, Review, ReviewStatus, apply_decision

__all__ = [
    "ArticleRef",
    "DecisionError",
    "StoredDecision",
    "UnknownArticle",
    "assign",
    "check_reviewer",
    "decisions_of",
    "iter_reviews",
    "record",
    "record_in_transaction",
    "resolve_article",
    "review",
    "reviews_of",
    "unassign",
]

MAX_DECISIONS = 1000  # one call; a review page sends a handful at a time
_ATTEMPTS = 10  # a write that meets a concurrent one starts again, this many times at most
_CHUNK = 500  # values in one IN list
_HASH = re.compile(r"^[0-9a-f]{64}$")


class UnknownArticle(InputError):
    """No article with that id or content hash in the store (the API answers 404)."""


class DecisionError(InputError):
    """A decision that does not fit the article (a span past its end, a paragraph it does not have)."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index  # 0-based place of the decision in the call


@dataclass(frozen=True)
class ArticleRef:
    """A stored article text: its content hash, one stored analysis of it, and what the checks need."""

    id: int  # the corpus article (one model's analysis of the text)
    content_hash: str
    model: str  # NAME==VERSION of that analysis
    text_length: int
    paragraphs: tuple[int, ...]  # the numbers of its paragraphs


class StoredDecision(BaseModel):
    """One decision as it was recorded."""

    id: int
    at: dt.datetime
    reviewer: str
    model: str | None = Field(description="NAME==VERSION of the model whose proposals were judged.")
    decision: Decision


def check_reviewer(name: str) -> str:
    """The name, if it can be a reviewer's: 1 to 200 printable characters; else InputError."""
    if not 1 <= len(name) <= 200 or not name.isprintable():
        raise InputError(f"a reviewer name is 1 to 200 printable characters (got {name[:40]!r})")
    return name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)  # stored naive, in UTC, as the rest of the store


def _aware(value: dt.datetime | str) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _model_name(name: str | None, version: str | None) -> str | None:
    return f"{name}=={version}" if name is not None else None


# -- articles -------------------------------------------------------------------------------------------


def resolve_article(store: Store, article: int | str, *, model: str | None = None) -> ArticleRef:
    """The stored article named by a corpus article id or a content hash (64 hex digits).

    For a content hash, the analysis by ``model`` (``NAME==VERSION``, ``VERSION`` or
    ``NAME``) when given, else the latest imported one. Raises :class:`UnknownArticle`.
    """
    with store.connect() as connection:
        return _resolve(connection, article, model)


def _resolve(connection: sa.Connection, article: int | str, model: str | None) -> ArticleRef:
    a, m = t.articles.c, t.models.c
    query = (
        sa.select(a.id, a.content_hash, a.text, m.name, m.version)
        .join(t.models, m.id == a.model_id)
        .order_by(m.first_imported.desc(), m.id.desc())
    )
    text = str(article).strip().lower()
    if isinstance(article, int) and not 0 < article < 2**62:
        raise UnknownArticle(f"no stored article {article}")
    if isinstance(article, int) or (text.isdigit() and len(text) < 19):
        rows = connection.execute(query.where(a.id == int(text))).all()
        if not rows:
            raise UnknownArticle(f"no stored article {text}")
        rows = connection.execute(query.where(a.content_hash == rows[0].content_hash)).all() if model else rows
    elif _HASH.match(text):
        rows = connection.execute(query.where(a.content_hash == text)).all()
        if not rows:
            raise UnknownArticle(f"no stored article with content hash {text}")
    else:
        raise InputError(f"{str(article)[:80]!r} is neither an article id nor a content hash (64 hex digits)")
    if model:
        matching = [r for r in rows if model in (f"{r.name}=={r.version}", r.version, r.name)]
        if not matching:
            analysed = ", ".join(f"{r.name}=={r.version}" for r in rows)
            raise UnknownArticle(f"no analysis of this article by model {model!r} in the store (by: {analysed})")
        rows = matching
    row = rows[0]
    paragraphs = connection.scalars(
        sa.select(t.paragraphs.c.number).where(t.paragraphs.c.article_id == row.id).order_by(t.paragraphs.c.number)
    )
    return ArticleRef(row.id, row.content_hash, f"{row.name}=={row.version}", len(row.text), tuple(paragraphs))


# -- writing --------------------------------------------------------------------------------------------


class _Conflict(Exception):
    """Another write changed the review between our read and our write."""


def record(
    store: Store,
    content_hash: str,
    reviewer: str,
    decisions: Sequence[Decision],
    *,
    model: str | None = None,
) -> Review:
    """Apply ``decisions`` in order to the reviewer's review of the text, store them and the new review.

    Parameters
    ----------
    store : Store
        The corpus holding the article.
    content_hash : str
        The article text's SHA-256 (``Article.content_hash``).
    reviewer : str
        Whose review: a reviewer edits only their own.
    decisions : sequence of Decision
        Applied in order; all are stored, or none.
    model : str, optional
        ``NAME==VERSION`` (or ``VERSION``) of the analysis whose proposals were judged;
        by default the latest imported analysis of the text.

    Returns
    -------
    Review
        The reviewer's review after the decisions.

    Raises
    ------
    UnknownArticle
        No stored article has this content hash (or none by ``model``).
    DecisionError
        A decision does not fit the article text; nothing was written.
    """
    check_reviewer(reviewer)
    if len(decisions) > MAX_DECISIONS:
        raise InputError(f"at most {MAX_DECISIONS} decisions at a time (got {len(decisions)})")
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, 0.02 * attempt))  # apart from the writes we met
        try:
            with store.engine.begin() as connection:
                return record_in_transaction(connection, content_hash, reviewer, decisions, model=model)
        except (_Conflict, sa.exc.IntegrityError):
            continue  # a concurrent write of the same review won: read it again and apply ours on top
        except sa.exc.OperationalError as exc:
            if _is_lock(exc) and attempt < _ATTEMPTS - 1:
                continue
            raise StoreError(f"cannot write the review: {_first_line(exc)}") from exc
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot write the review: {_first_line(exc)}") from exc
    raise StoreError("the review kept changing while this write was being made; send the decisions again")


def record_in_transaction(
    connection: sa.Connection,
    content_hash: str,
    reviewer: str,
    decisions: Sequence[Decision],
    *,
    model: str | None = None,
) -> Review:
    """:func:`record`'s work inside the caller's transaction, so that several reviews are written all or none.

    The caller opens the transaction (``store.engine.begin()``) and owns it: nothing here
    checks the reviewer name or the number of decisions, or starts again after a concurrent
    write; :func:`record` does all that, and is the call for one review. Parameters, the
    return value, :class:`UnknownArticle` and :class:`DecisionError` are :func:`record`'s;
    a concurrent change of the same review raises an exception (an IntegrityError, or a
    private one) that should end the transaction.
    """
    article = _resolve(connection, content_hash, model)
    r = t.reviews.c
    row = connection.execute(
        sa.select(r.id, r.layer, r.revision).where(r.content_hash == article.content_hash, r.reviewer == reviewer)
    ).first()
    if row is not None:
        current = Review.model_validate(row.layer)
    else:
        current = Review(content_hash=article.content_hash, reviewer=reviewer, status="in_progress")
    for index, decision in enumerate(decisions):
        where = f"decision {index + 1} ({decision.kind})"
        if decision.paragraph is not None and decision.paragraph not in article.paragraphs:
            numbers = f"{article.paragraphs[0]} to {article.paragraphs[-1]}" if article.paragraphs else "none"
            raise DecisionError(
                f"{where}: the article has no paragraph {decision.paragraph} (its paragraphs: {numbers})", index
            )
        try:
            current = apply_decision(current, decision, article.text_length)
        except ValueError as exc:
            raise DecisionError(f"{where}: {exc}", index) from exc
    now = _now()
    current = current.model_copy(update={"model": article.model, "updated_at": _aware(now)})
    name, version = article.model.split("==", 1)
    values = {
        "status": current.status,
        "model_name": name,
        "model_version": version,
        "layer": current.model_dump(mode="json", exclude={"updated_at"}),
        "updated_at": now,
    }
    if row is None:
        review_id = connection.execute(
            t.reviews.insert().values(
                content_hash=article.content_hash, reviewer=reviewer, revision=1, created_at=now, **values
            )
        ).inserted_primary_key[0]  # type: ignore[index]  # an INSERT always has one
    else:
        review_id = row.id
        updated = connection.execute(
            t.reviews.update()
            .where(r.id == row.id, r.revision == row.revision)
            .values(revision=row.revision + 1, **values)
        )
        if updated.rowcount != 1:
            raise _Conflict
    if decisions:
        connection.execute(
            t.review_decisions.insert(),
            [
                {
                    "review_id": review_id,
                    "at": now,
                    "reviewer": reviewer,
                    "model_name": name,
                    "model_version": version,
                    "decision": d.model_dump(mode="json", exclude_none=True),
                }
                for d in decisions
            ],
        )
    return current


def _is_lock(exc: sa.exc.OperationalError) -> bool:
    message = str(exc.orig or exc).lower()
    return "locked" in message or "busy" in message or "deadlock" in message or "serializ" in message


def _first_line(exc: Exception) -> str:
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


# -- reading --------------------------------------------------------------------------------------------


def _review_of(row: Any) -> Review:
    return Review.model_validate({**row.layer, "updated_at": _aware(row.updated_at)})


def review(store: Store, content_hash: str, reviewer: str) -> Review | None:
    """The reviewer's review of the text, or None where they have not started one."""
    r = t.reviews.c
    with store.connect() as connection:
        row = connection.execute(
            sa.select(r.layer, r.updated_at).where(r.content_hash == content_hash, r.reviewer == reviewer)
        ).first()
    return _review_of(row) if row is not None else None


def reviews_of(store: Store, content_hash: str) -> list[Review]:
    """Every reviewer's review of the text, by reviewer name."""
    r = t.reviews.c
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(r.layer, r.updated_at).where(r.content_hash == content_hash).order_by(r.reviewer)
        ).all()
    return [_review_of(row) for row in rows]


def iter_reviews(
    store: Store,
    *,
    reviewer: str | None = None,
    statuses: Iterable[ReviewStatus] | None = None,
    page: int = 500,
) -> Iterator[Review]:
    """Every review (of ``reviewer``, with one of ``statuses``, when given), oldest first, read a page at a time."""
    r = t.reviews.c
    conditions = []
    if reviewer is not None:
        conditions.append(r.reviewer == reviewer)
    if statuses is not None:
        conditions.append(r.status.in_(list(statuses)))
    last = 0
    while True:
        query = sa.select(r.id, r.layer, r.updated_at).where(*conditions, r.id > last).order_by(r.id).limit(page)
        with store.connect() as connection:
            rows = connection.execute(query).all()
        yield from (_review_of(row) for row in rows)
        if len(rows) < page:
            return
        last = rows[-1].id


def decisions_of(store: Store, content_hash: str, reviewer: str) -> list[StoredDecision]:
    """The decisions behind the reviewer's review of the text, in the order they were recorded."""
    r, d = t.reviews.c, t.review_decisions.c
    query = (
        sa.select(d.id, d.at, d.reviewer, d.model_name, d.model_version, d.decision)
        .join(t.reviews, r.id == d.review_id)
        .where(r.content_hash == content_hash, r.reviewer == reviewer)
        .order_by(d.id)
    )
    with store.connect() as connection:
        rows = connection.execute(query).all()
    return [
        StoredDecision(
            id=row.id,
            at=_aware(row.at),
            reviewer=row.reviewer,
            model=_model_name(row.model_name, row.model_version),
            decision=Decision.model_validate(row.decision),
        )
        for row in rows
    ]


# -- assignments ----------------------------------------------------------------------------------------


def _hashes(store: Store, articles: Sequence[int | str] | CorpusFilter) -> list[str]:
    """The content hashes of articles named by id or hash, or of every article in a slice."""
    if isinstance(articles, CorpusFilter):
        a = t.articles.c
        conditions = articles.where(t.articles, store.model_id(articles.model))
        if articles.techniques:
            conditions.append(uses_any_technique(a.id, articles.techniques, whole_slice=True))
        with store.connect() as connection:
            return list(connection.scalars(sa.select(a.content_hash).where(*conditions).distinct()))
    with store.connect() as connection:
        return list(dict.fromkeys(_resolve(connection, article, None).content_hash for article in articles))


def assign(store: Store, articles: Sequence[int | str] | CorpusFilter, reviewer: str, *, by: str | None = None) -> int:
    """Assign articles (by corpus id or content hash, or every article of a slice) to a reviewer.

    Returns how many were newly assigned (those assigned already are left as they were).
    Raises :class:`UnknownArticle` for an id or hash not in the store, before assigning any.
    """
    return _change_assignments(
        store, articles, reviewer, "assign", lambda connection, chunk: _assign_chunk(connection, chunk, reviewer, by)
    )


def unassign(store: Store, articles: Sequence[int | str] | CorpusFilter, reviewer: str) -> int:
    """Take articles off a reviewer's assignments; returns how many were assigned to them."""
    return _change_assignments(
        store, articles, reviewer, "unassign", lambda connection, chunk: _unassign_chunk(connection, chunk, reviewer)
    )


def _change_assignments(
    store: Store,
    articles: Sequence[int | str] | CorpusFilter,
    reviewer: str,
    verb: str,
    change: Callable[[sa.Connection, list[str]], int],
) -> int:
    """Run ``change`` on the articles' content hashes, :data:`_CHUNK` at a time in one transaction; its counts summed."""
    check_reviewer(reviewer)
    hashes = _hashes(store, articles)
    changed = 0
    try:
        with store.engine.begin() as connection:
            for start in range(0, len(hashes), _CHUNK):
                changed += change(connection, hashes[start : start + _CHUNK])
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot {verb} the articles: {_first_line(exc)}") from exc
    return changed


def _assign_chunk(connection: sa.Connection, chunk: list[str], reviewer: str, by: str | None) -> int:
    """Assign the texts of ``chunk`` not assigned to the reviewer yet; how many that was."""
    x = t.review_assignments.c
    held = set(connection.scalars(sa.select(x.content_hash).where(x.reviewer == reviewer, x.content_hash.in_(chunk))))
    new = [{"content_hash": h, "reviewer": reviewer, "assigned_at": _now(), "assigned_by": by} for h in chunk]
    new = [row for row in new if row["content_hash"] not in held]
    if new:
        connection.execute(_insert_ignoring_duplicates(connection), new)
    return len(new)


def _unassign_chunk(connection: sa.Connection, chunk: list[str], reviewer: str) -> int:
    """Take the texts of ``chunk`` off the reviewer's assignments; how many were assigned to them."""
    x = t.review_assignments.c
    deleted = connection.execute(t.review_assignments.delete().where(x.reviewer == reviewer, x.content_hash.in_(chunk)))
    return deleted.rowcount


def _insert_ignoring_duplicates(connection: sa.Connection) -> sa.Insert:
    """An INSERT that skips rows assigned already (by a concurrent call)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(t.review_assignments).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(t.review_assignments).on_conflict_do_nothing()
