"""``/v1/reviews``, ``/v1/review-queue`` and ``/v1/agreement``: the human review layer over HTTP.

Reviews are kept in the corpus database by :mod:`unspin.review.store`, apart from the
model's analyses. Everyone with access may read every review; a caller writes only their
own, under their reviewer name: the name after their key in the server's key file (a key
without one is ``key-`` and 6 hex digits), or, on a server without keys, ``UNSPIN_REVIEWER``
or the OS user's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ...review.agreement import Agreement, agreement_between
from ...review.model import REVIEW_STATUSES, Decision, Review, ReviewStatus
from ...review.queue import QueuePage, review_queue
from ...review.store import ArticleRef, UnknownArticle, assign, record, resolve_article, reviews_of, unassign
from ...store import CorpusFilter, Store
from ..deps import CallerDep, RuntimeDep, get_caller
from ..problems import problem_responses
from .corpus import FilterDep, Limit, Offset

router = APIRouter(
    tags=["reviews"], dependencies=[Depends(get_caller)], responses=problem_responses(401, 422, 429, 503)
)

ArticleId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="A corpus article id (`/v1/corpus/articles`), or the article text's content hash (64 hex)."),
]
ArticleQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=64,
        description="A corpus article id (`/v1/corpus/articles`), or the article text's content hash (64 hex).",
    ),
]
StoredId = Annotated[int, Field(ge=1, le=2**62)]
ReviewerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def get_store(runtime: RuntimeDep) -> Store:
    return runtime.corpus


StoreDep = Annotated[Store, Depends(get_store)]


@contextmanager
def _unknown_article_is_404() -> Iterator[None]:
    """Answer an :class:`UnknownArticle` raised inside the block with a 404 problem."""
    try:
        yield
    except UnknownArticle as exc:
        raise HTTPException(404, detail=str(exc)) from exc


def _article(store: Store, article: str | int, model: str | None = None) -> ArticleRef:
    with _unknown_article_is_404():
        return resolve_article(store, article, model=model)


# -- reviews --------------------------------------------------------------------------------------------


class ArticleReviews(BaseModel):
    """Every review of an article's text."""

    content_hash: str
    you: str = Field(description="Your reviewer name: the reviews you write are stored under it.")
    reviews: list[Review] = Field(description="One per reviewer, by name.")


class ReviewRequest(BaseModel):
    """Decisions on an article, applied in order to your review of it."""

    model_config = ConfigDict(extra="forbid")

    article: ArticleId | StoredId
    model: Annotated[str | None, StringConstraints(max_length=300)] = Field(
        None,
        description="NAME==VERSION of the analysis whose proposals you judged; default: the analysis `article` "
        "names by id, or the latest one of the text.",
    )
    decisions: list[Decision] = Field(min_length=1, max_length=1000)


@router.get(
    "/v1/reviews",
    response_model=ArticleReviews,
    summary="The reviews of an article",
    responses=problem_responses(404),
)
def get_reviews(store: StoreDep, caller: CallerDep, article: ArticleQuery) -> ArticleReviews:
    """Every reviewer's review of the article's text (reviews belong to the text, whichever model analysed it)."""
    ref = _article(store, article)
    return ArticleReviews(
        content_hash=ref.content_hash, you=caller.reviewer, reviews=reviews_of(store, ref.content_hash)
    )


@router.post(
    "/v1/reviews",
    response_model=Review,
    summary="Record review decisions",
    responses=problem_responses(404),
)
def post_review(store: StoreDep, caller: CallerDep, body: ReviewRequest) -> Review:
    """Apply decisions to **your** review of the article and store each of them, with your reviewer name, the time
    and the model version whose proposals were judged; the model's analysis is never changed.

    Decisions: `accept`, `reject`, `relabel` (+ `technique`), `adjust` (+ `start`, `end`), `add`, `remove` (each with
    a `span`: start, end, technique), `paragraph` (+ `paragraph`, `techniques`), `frames`, `genre`, `status`
    (`unreviewed`, `in_progress`, `done`). All are stored or none: a decision that does not fit the text (a span
    past its end, a paragraph it does not have) is a 422 problem and changes nothing.
    """
    ref = _article(store, body.article, body.model)
    with _unknown_article_is_404():  # removed from the store meanwhile
        return record(store, ref.content_hash, caller.reviewer, body.decisions, model=ref.model)


# -- the queue ------------------------------------------------------------------------------------------

Confidence = Annotated[float | None, Query(ge=0.0, le=1.0)]


@router.get("/v1/review-queue", response_model=QueuePage, summary="The review queue")
def get_review_queue(
    store: StoreDep,
    caller: CallerDep,
    filters: FilterDep,
    status: Annotated[list[ReviewStatus], Query(max_length=3, description="Your review's status; repeat.")] = [],  # noqa: B006
    min_confidence: Confidence = None,
    max_confidence: Confidence = None,
    mine: Annotated[bool, Query(description="Only articles assigned to you.")] = False,
    assigned_to: Annotated[
        str | None, Query(max_length=200, description="Only articles assigned to this reviewer.")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> QueuePage:
    """Articles of the corpus (one model's analyses: `model`, default the latest) with your review status, the
    reviewers each is assigned to and every reviewer's status, least certain first.

    An article's confidence is the mean confidence of the model's paragraph technique labels; articles with no
    label come last. Filters: `source`, `language`, `technique` (repeat), `date_from`, `date_to`, `status`,
    `min_confidence`/`max_confidence` (inclusive; they leave out articles without labels), `mine=true` or
    `assigned_to`.
    """
    if mine and assigned_to not in (None, caller.reviewer):
        raise HTTPException(422, detail="give mine=true or assigned_to, not both")
    return review_queue(
        store,
        caller.reviewer,
        filters,
        statuses=status,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
        assigned_to=caller.reviewer if mine else assigned_to,
        limit=limit,
        offset=offset,
    )


class AssignRequest(BaseModel):
    """Articles to assign to (or take off) a reviewer: a list, or a slice of the corpus."""

    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleId | StoredId] | None = Field(
        None, max_length=10_000, description="Article ids or content hashes."
    )
    filter: CorpusFilter | None = Field(None, description="Every article of this slice (all of one model's analyses).")
    reviewer: ReviewerName | None = Field(None, description="Default: you.")
    unassign: bool = Field(False, description="Take the articles off the reviewer's assignments instead.")

    @model_validator(mode="after")
    def _one_target(self) -> AssignRequest:
        if (self.articles is None) == (self.filter is None):
            raise ValueError("give either articles or filter")
        return self


class Assignment(BaseModel):
    reviewer: str
    assigned: int = Field(description="Articles newly assigned (0 when unassigning).")
    unassigned: int = Field(description="Articles taken off (0 when assigning).")


@router.post(
    "/v1/review-queue/assign",
    response_model=Assignment,
    summary="Assign articles to a reviewer",
    responses=problem_responses(404),
)
def post_assign(store: StoreDep, caller: CallerDep, body: AssignRequest) -> Assignment:
    """Assign articles (by id or content hash, or every article of a slice) to a reviewer, by default you, or take
    them off with `unassign: true`. Assignments belong to the text, like reviews; any caller may assign to anyone
    (a team lead shares out the work). An unknown article is a 404 problem, and nothing is assigned."""
    targets: list[int | str] | CorpusFilter = body.filter if body.filter is not None else list(body.articles or [])
    reviewer = body.reviewer or caller.reviewer
    with _unknown_article_is_404():
        if body.unassign:
            return Assignment(reviewer=reviewer, assigned=0, unassigned=unassign(store, targets, reviewer))
        return Assignment(
            reviewer=reviewer, assigned=assign(store, targets, reviewer, by=caller.reviewer), unassigned=0
        )


# -- agreement ------------------------------------------------------------------------------------------

_STATUSES: dict[str, tuple[Any, ...]] = {"done": ("done",), "any": REVIEW_STATUSES}


@router.get(
    "/v1/agreement",
    response_model=Agreement,
    summary="Agreement between two reviewers",
    responses=problem_responses(404),
)
def get_agreement(
    store: StoreDep,
    a: Annotated[str, Query(min_length=1, max_length=200, description="Reviewer A, the reference.")],
    b: Annotated[str, Query(min_length=1, max_length=200, description="Reviewer B.")],
    article: Annotated[str | None, Query(min_length=1, max_length=64, description="Only this article.")] = None,
    status: Annotated[
        Literal["done", "any"], Query(description="done: only reviews both marked done; any: every review.")
    ] = "done",
) -> Agreement:
    """Span and paragraph agreement of two reviewers over every article both reviewed (or one article).

    Spans: technique-aware precision, recall and F1 with partial-overlap credit (the SemEval span measure), A as
    the reference; null where neither marked a span. Paragraphs: per technique, Cohen's kappa over every paragraph,
    a reviewer's labels being the techniques they set for it or else those of their spans in it; null where chance
    explains all agreement.
    """
    content_hash = _article(store, article).content_hash if article is not None else None
    return agreement_between(store, a, b, statuses=_STATUSES[status], content_hash=content_hash)
