"""The human layer: what a reviewer said about one article, kept apart from what the model said.

A reviewer works through :class:`Decision` objects (accept or reject a model span, relabel
it, move its edges, add a span the model missed, set a paragraph's techniques, the frames,
the genre, the review's status). Each decision is stored as it comes, with the reviewer, the
time and the model version that proposed what was judged, and folded into the article's
:class:`Review`, the reviewer's current annotation of the article. Nothing the model said is
overwritten: the model's analysis and the review are separate layers over the same text
(identified by its content hash), and renderers and exports can show either or both.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS

__all__ = [
    "REVIEW_STATUSES",
    "Decision",
    "Review",
    "ReviewSpan",
    "ReviewStatus",
    "SpanRef",
    "apply_decision",
]

ReviewStatus = Literal["unreviewed", "in_progress", "done"]
REVIEW_STATUSES: tuple[str, ...] = ("unreviewed", "in_progress", "done")
Technique = Annotated[str, Field(json_schema_extra={"enum": list(TECHNIQUE_LABELS)})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpanRef(_Strict):
    """A span by its place and technique (a model span, or one already in the review)."""

    start: int = Field(ge=0)
    end: int = Field(ge=1)
    technique: Technique

    @model_validator(mode="after")
    def _ordered(self) -> SpanRef:
        if self.end <= self.start:
            raise ValueError("a span's end must come after its start")
        if self.technique not in TECHNIQUE_LABELS:
            raise ValueError(f"unknown technique {self.technique!r}")
        return self


class ReviewSpan(SpanRef):
    """A span the reviewer stands behind: a model span accepted (perhaps relabelled or moved), or one added."""

    origin: Literal["model", "reviewer"]
    model_technique: str | None = Field(None, description="The model's technique, where the reviewer changed it.")
    model_confidence: float | None = Field(None, ge=0.0, le=1.0)


_Kind = Literal[
    "accept",  # span: a model span is right
    "reject",  # span: a model span is wrong (kept in `rejected`, so the queue knows it was seen)
    "relabel",  # span + technique: right place, other technique
    "adjust",  # span + start/end: right technique, other edges
    "add",  # span: a span the model missed
    "remove",  # span: take back an accepted or added span
    "paragraph",  # paragraph + techniques: the paragraph's techniques as the reviewer sees them
    "frames",  # frames
    "genre",  # genre
    "status",  # status
]


class Decision(_Strict):
    """One reviewer action; only the fields its ``kind`` needs are set."""

    kind: _Kind
    span: SpanRef | None = None
    technique: Technique | None = None
    start: int | None = Field(None, ge=0)
    end: int | None = Field(None, ge=1)
    model_confidence: float | None = Field(None, ge=0.0, le=1.0)
    paragraph: int | None = Field(None, ge=1)
    techniques: list[Technique] | None = None
    frames: list[str] | None = None
    genre: str | None = None
    status: ReviewStatus | None = None

    @model_validator(mode="after")
    def _complete(self) -> Decision:
        needs = {
            "accept": ("span",),
            "reject": ("span",),
            "relabel": ("span", "technique"),
            "adjust": ("span", "start", "end"),
            "add": ("span",),
            "remove": ("span",),
            "paragraph": ("paragraph", "techniques"),
            "frames": ("frames",),
            "genre": ("genre",),
            "status": ("status",),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind!r} decision needs {', '.join(missing)}")
        unknown = [t for t in [*(self.techniques or ()), self.technique] if t and t not in TECHNIQUE_LABELS]
        unknown += [f for f in self.frames or () if f not in FRAME_LABELS]
        if self.genre is not None and self.genre not in GENRE_LABELS:
            unknown.append(self.genre)
        if unknown:
            raise ValueError(f"unknown labels: {', '.join(unknown)}")
        if self.kind == "adjust" and self.end is not None and self.start is not None and self.end <= self.start:
            raise ValueError("a span's end must come after its start")
        return self


class Review(BaseModel):
    """One reviewer's annotation of one article (by content hash): the human layer."""

    model_config = ConfigDict(extra="forbid")

    content_hash: str = Field(min_length=64, max_length=64)
    reviewer: str = Field(min_length=1, max_length=200)
    status: ReviewStatus = "in_progress"
    model: str | None = Field(None, description="name and version of the model whose proposals were judged")
    spans: list[ReviewSpan] = Field(default_factory=list)
    rejected: list[SpanRef] = Field(default_factory=list, description="Model spans the reviewer rejected.")
    paragraphs: dict[int, list[str]] = Field(
        default_factory=dict, description="Paragraph number to its techniques, where the reviewer set them."
    )
    frames: list[str] | None = None
    genre: str | None = None
    updated_at: dt.datetime | None = None


def apply_decision(review: Review, decision: Decision, text_length: int) -> Review:
    """The review after ``decision``; raises ValueError for a decision that does not fit the text."""
    for ref in (decision.span,):
        if ref is not None and ref.end > text_length:
            raise ValueError(f"span {ref.start}-{ref.end} runs past the end of the text ({text_length} characters)")
    if decision.end is not None and decision.end > text_length:
        raise ValueError(f"end {decision.end} runs past the end of the text ({text_length} characters)")
    spans = [s for s in review.spans if not _same(s, decision.span)] if decision.span else list(review.spans)
    rejected = [r for r in review.rejected if not _same(r, decision.span)] if decision.span else list(review.rejected)
    update: dict[str, object] = {}
    span = decision.span
    if decision.kind in ("accept", "add") and span is not None:
        origin: Literal["model", "reviewer"] = "model" if decision.kind == "accept" else "reviewer"
        spans.append(ReviewSpan(**span.model_dump(), origin=origin, model_confidence=decision.model_confidence))
    elif decision.kind == "reject" and span is not None:
        rejected.append(span)
    elif decision.kind == "relabel" and span is not None and decision.technique is not None:
        before = _found(review.spans, span)
        spans.append(
            ReviewSpan(
                start=span.start,
                end=span.end,
                technique=decision.technique,
                origin=before.origin if before else "model",
                model_technique=(before.model_technique or before.technique) if before else span.technique,
                model_confidence=before.model_confidence if before else decision.model_confidence,
            )
        )
    elif decision.kind == "adjust" and span is not None and decision.start is not None and decision.end is not None:
        before = _found(review.spans, span)
        kept = before.model_dump() if before else {**span.model_dump(), "origin": "model"}
        spans.append(ReviewSpan(**{**kept, "start": decision.start, "end": decision.end}))
    elif decision.kind == "paragraph" and decision.paragraph is not None:
        update["paragraphs"] = {**review.paragraphs, decision.paragraph: sorted(set(decision.techniques or ()))}
    elif decision.kind == "frames":
        update["frames"] = sorted(set(decision.frames or ()), key=FRAME_LABELS.index)
    elif decision.kind == "genre":
        update["genre"] = decision.genre
    elif decision.kind == "status":
        update["status"] = decision.status
    spans.sort(key=lambda s: (s.start, s.end, s.technique))
    return review.model_copy(update={"spans": spans, "rejected": rejected, **update})


def _same(a: SpanRef, b: SpanRef | None) -> bool:
    return b is not None and (a.start, a.end, a.technique) == (b.start, b.end, b.technique)


def _found(spans: list[ReviewSpan], ref: SpanRef) -> ReviewSpan | None:
    return next((s for s in spans if _same(s, ref)), None)
