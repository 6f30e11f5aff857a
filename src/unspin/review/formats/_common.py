"""What the review exchange formats share: the item type, SemEval lines, paragraph labels, offsets.

Paragraph labels of a review are the reviewer's explicit labels of a paragraph where set,
else the techniques of the review's spans in it. An unspin paragraph (``Article.paragraphs``)
may hold several lines of the text (blank-line paragraphs from plain text), while a SemEval
paragraph is one line of ``text.split("\\n")`` that is not blank; both are ranges of the same
text, so labels move between them by overlap: a line takes the labels of the paragraphs it
overlaps, and the techniques of the spans that touch it where a paragraph has no explicit
labels (as SemEval labels every line a span crosses).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ...analysis import Analysis
from ...article import Article, Paragraph
from ...taxonomy import TECHNIQUE_LABELS
from ..model import Review, SpanRef

__all__ = [
    "DEFAULT_TASKS",
    "MAX_TASKS",
    "Line",
    "Lookup",
    "Reviewed",
    "line_labels",
    "lines_of",
    "model_label",
    "paragraph_labels_from_lines",
    "technique_order",
]

DEFAULT_TASKS = 100  # unreviewed articles exported as tasks to annotate, unless told otherwise
MAX_TASKS = 5_000  # an export is built in memory

#: One article with the model's analysis (where there is one) and one reviewer's layer.
Reviewed = tuple[Article, Analysis | None, Review]
#: The stored article and analysis with a content hash, or None where the store has no such text.
Lookup = Callable[[str], "tuple[Article, Analysis | None] | None"]


@dataclass(frozen=True, slots=True)
class Line:
    """A SemEval paragraph: line ``number`` (1-based) of the text split on ``\\n``, any ``\\r`` kept."""

    number: int
    start: int
    end: int


def lines_of(text: str) -> list[Line]:
    """The lines of ``text`` that are not blank after ``strip()``: the rows of a SemEval label file."""
    found, offset = [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            found.append(Line(number, offset, offset + len(line)))
        offset += len(line) + 1
    return found


def technique_order(techniques: Iterable[str]) -> tuple[str, ...]:
    """Techniques in taxonomy order, each once."""
    given = set(techniques)
    return tuple(t for t in TECHNIQUE_LABELS if t in given)


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> tuple[int, int] | None:
    start, end = max(a_start, b_start), min(a_end, b_end)
    return (start, end) if start < end else None


def _touching(spans: Sequence[SpanRef], start: int, end: int) -> set[str]:
    return {s.technique for s in spans if s.start < end and s.end > start}


def line_labels(
    paragraphs: Sequence[Paragraph],
    explicit: Mapping[int, Sequence[str]],
    spans: Sequence[SpanRef],
    lines: Sequence[Line],
) -> dict[int, tuple[str, ...]]:
    """``{line number: techniques}`` for every line: explicit paragraph labels, else the spans touching it."""
    labels: dict[int, tuple[str, ...]] = {}
    for line in lines:
        found: set[str] = set()
        covered = False
        for paragraph in paragraphs:
            shared = _overlap(line.start, line.end, paragraph.start, paragraph.end)
            if shared is None:
                continue
            covered = True
            if paragraph.number in explicit:
                found.update(explicit[paragraph.number])
            else:
                found |= _touching(spans, *shared)
        if not covered:  # text outside every paragraph (a date header): only spans can label it
            found = _touching(spans, line.start, line.end)
        labels[line.number] = technique_order(found)
    return labels


def paragraph_labels_from_lines(
    paragraphs: Sequence[Paragraph],
    spans: Sequence[SpanRef],
    lines: Sequence[Line],
    given: Mapping[int, Sequence[str]],
) -> dict[int, list[str]]:
    """The explicit paragraph labels that :func:`line_labels` turns into the ``given`` line labels.

    A paragraph is explicit only where one of its lines has labels other than the spans give
    it (a line without a row in ``given`` has the spans' labels); its labels are then those of
    all its lines together, so explicit labels of a paragraph survive a trip through lines.
    """
    derived = line_labels(paragraphs, {}, spans, lines)
    explicit: dict[int, list[str]] = {}
    for paragraph in paragraphs:
        mine = [line for line in lines if _overlap(line.start, line.end, paragraph.start, paragraph.end)]
        wanted = {line.number: technique_order(given.get(line.number, derived[line.number])) for line in mine}
        if any(wanted[line.number] != derived[line.number] for line in mine):
            explicit[paragraph.number] = sorted(
                {t for labels in wanted.values() for t in labels}
            )  # as a decision stores them
    return explicit


def model_label(analysis: Analysis | None) -> str | None:
    """``NAME==VERSION`` of the model that made ``analysis``, as the store names models."""
    if analysis is None or not analysis.model:
        return None
    return f"{analysis.model.get('name') or 'unknown'}=={analysis.model.get('version') or 'unknown'}"
