"""Agreement between two reviewers of the same articles.

Two measures, one for each level the model works at:

- **Spans**: technique-aware precision, recall and F1 with partial-overlap credit, by the
  project's span scorer (:func:`unspin.evaluate.score_spans`, the SemEval-2020 Task 11
  measure), reviewer A taken as the reference: precision is how much of B's span text A
  marked with the same technique, recall how much of A's B found. Swapping A and B swaps
  precision and recall; F1 is the same either way. Where neither reviewer marked a span,
  the three are ``None`` (nothing to compare).
- **Paragraphs**: per technique, Cohen's kappa over every paragraph of the articles, each
  paragraph labelled yes/no by each reviewer. A reviewer's labels of a paragraph are the
  techniques they set for it explicitly (a ``paragraph`` decision), or, where they set
  none, the techniques of their spans that overlap it. Kappa is ``(po - pe) / (1 - pe)``
  with ``po`` the share of paragraphs they agree on and ``pe`` the agreement expected from
  each reviewer's rate alone; it is ``None`` where ``pe`` is 1 (both gave every paragraph
  the same answer, so chance explains all agreement). Only techniques either reviewer used
  are listed; ``mean_kappa`` averages the defined ones.

The functions over :class:`~unspin.review.model.Review` objects are pure; :func:`agreement_between`
reads the reviews and paragraph boundaries from a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from pydantic import BaseModel, Field

from ..errors import InputError, ScoringError
from ..evaluate import score_spans
from ..formats.semeval import LabelledSpan
from ..store import tables as t
from ..store.store import Store
from .model import REVIEW_STATUSES, Review, ReviewStatus
from .store import check_reviewer, review

__all__ = [
    "Agreement",
    "SpanAgreement",
    "TechniqueKappa",
    "TechniqueSpans",
    "agreement",
    "agreement_between",
    "both_reviewed",
    "cohen_kappa",
    "paragraph_labels",
    "span_agreement",
]

#: A paragraph's number, start and end (article offsets, end exclusive).
ParagraphBounds = tuple[int, int, int]


class TechniqueSpans(BaseModel):
    technique: str
    precision: float
    recall: float
    f1: float
    spans_a: int = Field(description="Spans of this technique reviewer A marked.")
    spans_b: int


class SpanAgreement(BaseModel):
    """Span agreement, reviewer A as the reference (see the module's docstring)."""

    precision: float | None
    recall: float | None
    f1: float | None
    spans_a: int
    spans_b: int
    per_technique: list[TechniqueSpans]


class TechniqueKappa(BaseModel):
    technique: str
    kappa: float | None = Field(description="Cohen's kappa; null where chance agreement is total.")
    observed: float = Field(description="Share of paragraphs the two reviewers agree on.")
    paragraphs_a: int = Field(description="Paragraphs reviewer A labelled with the technique.")
    paragraphs_b: int
    both: int = Field(description="Paragraphs both labelled with it.")


class Agreement(BaseModel):
    """How far two reviewers agree over a set of articles."""

    a: str
    b: str
    articles: int = Field(description="Articles both reviewed, that the figures are over.")
    paragraphs: int
    spans: SpanAgreement
    kappa: list[TechniqueKappa] = Field(description="Per technique either reviewer used, at paragraph level.")
    mean_kappa: float | None = Field(description="Mean of the defined per-technique kappas.")


# -- pure functions -------------------------------------------------------------------------------------


def _labelled(review: Review) -> list[LabelledSpan]:
    return [LabelledSpan(review.content_hash, s.technique, s.start, s.end) for s in review.spans]


def span_agreement(pairs: Sequence[tuple[Review, Review]]) -> SpanAgreement:
    """Technique-aware span precision, recall and F1 of B against A over ``(a, b)`` reviews of the same texts."""
    gold = [span for a, _ in pairs for span in _labelled(a)]
    pred = [span for _, b in pairs for span in _labelled(b)]
    techniques = sorted({s.technique for s in gold} | {s.technique for s in pred})
    counted = {x: (sum(s.technique == x for s in gold), sum(s.technique == x for s in pred)) for x in techniques}
    if not gold and not pred:
        return SpanAgreement(precision=None, recall=None, f1=None, spans_a=0, spans_b=0, per_technique=[])
    try:
        report = score_spans(gold, pred, technique_aware=True)
    except ScoringError:  # A's and B's spans lie in different articles: no overlap at all
        scores = dict.fromkeys(techniques, (0.0, 0.0, 0.0))
        overall = (0.0, 0.0, 0.0)
    else:
        scores = {m.label: (m.precision, m.recall, m.f1) for m in report.per_label}
        overall = (report.precision, report.recall, report.f1)
    return SpanAgreement(
        precision=overall[0],
        recall=overall[1],
        f1=overall[2],
        spans_a=len(gold),
        spans_b=len(pred),
        per_technique=[
            TechniqueSpans(
                technique=x,
                precision=scores[x][0],
                recall=scores[x][1],
                f1=scores[x][2],
                spans_a=counted[x][0],
                spans_b=counted[x][1],
            )
            for x in techniques
        ],
    )


def paragraph_labels(review: Review, paragraphs: Sequence[ParagraphBounds]) -> dict[int, set[str]]:
    """Each paragraph's techniques for the reviewer: set explicitly, or else those of their spans overlapping it."""
    labels: dict[int, set[str]] = {}
    for number, start, end in paragraphs:
        if number in review.paragraphs:
            labels[number] = set(review.paragraphs[number])
        else:
            labels[number] = {s.technique for s in review.spans if s.start < end and s.end > start}
    return labels


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa of two yes/no labellings of the same items; None where chance agreement is total.

    Examples
    --------
    >>> cohen_kappa([True, True, False, False], [True, False, False, False])
    0.5
    """
    if len(a) != len(b):
        raise ValueError("the two labellings must cover the same items")
    n = len(a)
    if n == 0:
        return None
    # In whole numbers, scaled by n * n, so that no rounding creeps in: kappa = (po - pe) / (1 - pe)
    agreed = sum(x == y for x, y in zip(a, b, strict=True))
    yes_a, yes_b = sum(a), sum(b)
    expected = yes_a * yes_b + (n - yes_a) * (n - yes_b)
    if expected == n * n:
        return None
    return (agreed * n - expected) / (n * n - expected)


def agreement(pairs: Sequence[tuple[Review, Review]], paragraphs: Mapping[str, Sequence[ParagraphBounds]]) -> Agreement:
    """Span and paragraph agreement of ``(a, b)`` reviews of the same texts.

    ``paragraphs`` maps each text's content hash to its paragraphs' bounds.
    """
    names_a = {a.reviewer for a, _ in pairs}
    names_b = {b.reviewer for _, b in pairs}
    for a, b in pairs:
        if a.content_hash != b.content_hash:
            raise InputError("each pair must hold two reviews of the same text")
        if a.content_hash not in paragraphs:
            raise InputError(f"no paragraphs given for the text {a.content_hash}")
    if len(names_a) > 1 or len(names_b) > 1:
        raise InputError("each side of the pairs must be one reviewer")
    cells_a: list[set[str]] = []
    cells_b: list[set[str]] = []
    for a, b in pairs:
        bounds = paragraphs[a.content_hash]
        labels_a, labels_b = paragraph_labels(a, bounds), paragraph_labels(b, bounds)
        for number, _, _ in bounds:
            cells_a.append(labels_a[number])
            cells_b.append(labels_b[number])
    techniques = sorted(set().union(*cells_a, *cells_b))
    kappas = []
    for technique in techniques:
        marks_a = [technique in cell for cell in cells_a]
        marks_b = [technique in cell for cell in cells_b]
        kappas.append(
            TechniqueKappa(
                technique=technique,
                kappa=cohen_kappa(marks_a, marks_b),
                observed=sum(x == y for x, y in zip(marks_a, marks_b, strict=True)) / len(marks_a),
                paragraphs_a=sum(marks_a),
                paragraphs_b=sum(marks_b),
                both=sum(x and y for x, y in zip(marks_a, marks_b, strict=True)),
            )
        )
    defined = [k.kappa for k in kappas if k.kappa is not None]
    return Agreement(
        a=next(iter(names_a), ""),
        b=next(iter(names_b), ""),
        articles=len(pairs),
        paragraphs=len(cells_a),
        spans=span_agreement(pairs),
        kappa=kappas,
        mean_kappa=sum(defined) / len(defined) if defined else None,
    )


# -- the store ------------------------------------------------------------------------------------------


def both_reviewed(
    store: Store, a: str, b: str, *, statuses: Iterable[ReviewStatus] = ("done",), content_hash: str | None = None
) -> list[str]:
    """Content hashes of the texts both reviewers reviewed, each review with one of ``statuses``."""
    check_reviewer(a)
    check_reviewer(b)
    wanted = list(statuses)
    unknown = [s for s in wanted if s not in REVIEW_STATUSES]
    if unknown:
        raise InputError(f"unknown review status {unknown[0]!r}; expected one of {', '.join(REVIEW_STATUSES)}")
    ra, rb = t.reviews.alias("ra"), t.reviews.alias("rb")
    query = (
        sa.select(ra.c.content_hash)
        .join(rb, rb.c.content_hash == ra.c.content_hash)
        .where(ra.c.reviewer == a, rb.c.reviewer == b, ra.c.status.in_(wanted), rb.c.status.in_(wanted))
        .order_by(ra.c.content_hash)
    )
    if content_hash is not None:
        query = query.where(ra.c.content_hash == content_hash)
    with store.connect() as connection:
        return list(connection.scalars(query))


def agreement_between(
    store: Store, a: str, b: str, *, statuses: Iterable[ReviewStatus] = ("done",), content_hash: str | None = None
) -> Agreement:
    """Agreement of reviewers ``a`` (the reference) and ``b`` over every text both reviewed (or one text)."""
    hashes = both_reviewed(store, a, b, statuses=statuses, content_hash=content_hash)
    pairs = []
    for h in hashes:
        review_a, review_b = review(store, h, a), review(store, h, b)
        if review_a is not None and review_b is not None:
            pairs.append((review_a, review_b))
    result = agreement(pairs, _paragraph_bounds(store, [a.content_hash for a, _ in pairs]))
    return result.model_copy(update={"a": a, "b": b})


def _paragraph_bounds(store: Store, hashes: list[str]) -> dict[str, list[ParagraphBounds]]:
    """Each text's paragraphs, from one stored analysis of it (paragraphs depend on the text alone)."""
    a, p = t.articles.c, t.paragraphs.c
    bounds: dict[str, list[ParagraphBounds]] = {}
    with store.connect() as connection:
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            first = sa.select(sa.func.min(a.id)).where(a.content_hash.in_(chunk)).group_by(a.content_hash)
            rows = connection.execute(
                sa.select(a.content_hash, p.number, p.start, p.end)
                .join(t.paragraphs, p.article_id == a.id)
                .where(a.id.in_(first))
                .order_by(a.content_hash, p.number)
            )
            for content_hash, number, begin, end in rows:
                bounds.setdefault(content_hash, []).append((number, begin, end))
    return {h: bounds.get(h, []) for h in hashes}
