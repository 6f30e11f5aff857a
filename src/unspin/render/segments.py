"""Cut a text into segments at every span boundary, for renderers that cannot nest overlaps."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..analysis import Span


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    spans: tuple[Span, ...]  # the spans covering this piece, most confident first


def segments(
    text: str, spans: Sequence[Span], start: int = 0, end: int | None = None, *, cuts: Iterable[int] = ()
) -> list[Segment]:
    """Split ``text[start:end]`` into consecutive segments; joined, they restore it exactly.

    Segments end at every span boundary, and at each of ``cuts`` (such as the ends of a
    sentence to wrap in an element of its own).

    Examples
    --------
    >>> s = [Span(0, 5, "Doubt", 0.9, "Never"), Span(3, 9, "Slogans", 0.6, "er give")]
    >>> [(g.start, g.end, len(g.spans)) for g in segments("Never give up", s)]
    [(0, 3, 1), (3, 5, 2), (5, 9, 1), (9, 13, 0)]
    """
    end = len(text) if end is None else end
    inside = [s for s in spans if s.start < end and s.end > start]
    inner = {*(max(s.start, start) for s in inside), *(min(s.end, end) for s in inside), *cuts}
    bounds = sorted({start, end, *(c for c in inner if start < c < end)})
    pieces = []
    for a, b in itertools.pairwise(bounds):
        covering = tuple(sorted((s for s in inside if s.start < b and s.end > a), key=lambda s: -s.confidence))
        pieces.append(Segment(a, b, covering))
    return pieces
