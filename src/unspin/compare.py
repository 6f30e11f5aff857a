"""Two analyses side by side: technique rates, frames, genre and paragraphs (``unspin compare``).

Rates are counted as the corpus counts them (``unspin corpus rates``), so an article
comparison and a corpus comparison agree:

- a technique's count is the number of paragraphs labelled with it, a category's the number
  of paragraphs labelled with any of its techniques;
- the rate is that count per 1,000 words, words counted over the paragraphs as the corpus
  store counts them; the difference is B − A;
- an article *uses* a technique when a paragraph is labelled with it or a span shows it, and
  ``only_in_a``/``only_in_b`` list what one uses and the other does not.

Paragraphs are paired by position: the first of A with the first of B, and so on; the longer
article goes on alone. :meth:`Comparison.to_dict` is the published JSON form, versioned by
its ``schema`` key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from itertools import zip_longest
from typing import Any

from .analysis import Analysis, ParagraphAnalysis
from .corpus.stats.phrases import count_words
from .taxonomy import CATEGORIES, FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS, category_of

__all__ = ["COMPARISON_SCHEMA", "Comparison", "ParagraphPair", "Probability", "Rate", "Side", "compare"]

COMPARISON_SCHEMA = "unspin.comparison.v1"
_DECIMALS = 4


@dataclass(frozen=True, slots=True)
class Side:
    """What one of the two articles is: its ids, title, size, genre and predicted frames."""

    analysis_id: str | None  # the stored analysis compared, when it came from a store
    article_id: str | None
    title: str | None
    source: str | None
    date: str | None
    language: str | None
    words: int
    paragraphs: int
    genre: str
    genre_uncertain: bool
    frames: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rate:
    """A technique's (or category's) labelled paragraphs and spans in A and B, per 1,000 words and the difference."""

    label: str
    paragraphs_a: int
    paragraphs_b: int
    spans_a: int
    spans_b: int
    per_1000_words_a: float
    per_1000_words_b: float
    difference: float  # B − A, per 1,000 words


@dataclass(frozen=True, slots=True)
class Probability:
    """A genre's or frame's probability in A and B, and the difference B − A."""

    label: str
    a: float
    b: float
    difference: float


@dataclass(frozen=True, slots=True)
class ParagraphPair:
    """Paragraph ``index`` of both articles (its numbers, None past an article's end) and their techniques."""

    index: int
    a: int | None
    b: int | None
    techniques_a: tuple[str, ...]
    techniques_b: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """Two analyses compared; see the module's docstring for how each number is counted."""

    schema: str = COMPARISON_SCHEMA
    a: Side
    b: Side
    techniques: tuple[Rate, ...]  # used by either article, the largest difference first
    categories: tuple[Rate, ...]  # every category, in the taxonomy's order
    genres: tuple[Probability, ...]  # most probable (in either article) first
    frames: tuple[Probability, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]
    paragraphs: tuple[ParagraphPair, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: these fields, nested objects as dicts and tuples as lists once serialised."""
        return asdict(self)


def compare(a: Analysis, b: Analysis, *, analysis_ids: tuple[str | None, str | None] = (None, None)) -> Comparison:
    """Compare analysis ``b`` against analysis ``a``.

    Parameters
    ----------
    a, b : Analysis
        The two analyses; differences are B − A.
    analysis_ids : (str or None, str or None)
        The stored analyses' ids, where they came from a store, for the JSON form.

    Examples
    --------
    >>> from unspin.analysis import Analysis, ParagraphAnalysis, TechniqueScore
    >>> from unspin.article import Article
    >>> def labelled(text, *labels):
    ...     article = Article.from_text(text)
    ...     paragraph = ParagraphAnalysis(1, 0, len(text), tuple(TechniqueScore(t, 0.9) for t in labels), ())
    ...     return Analysis(article, "opinion", {"opinion": 1.0}, (), {}, (paragraph,))
    >>> result = compare(labelled("They lie.", "Doubt"), labelled("Our land, our rules!", "Slogans"))
    >>> result.only_in_a, result.only_in_b
    (('Doubt',), ('Slogans',))
    >>> [(r.label, r.per_1000_words_a, r.per_1000_words_b) for r in result.techniques]
    [('Doubt', 500.0, 0.0), ('Slogans', 0.0, 250.0)]
    """
    words = (_words(a), _words(b))
    spans = (Counter(s.technique for s in a.spans), Counter(s.technique for s in b.spans))
    techniques = _rates(TECHNIQUE_LABELS, (_labelled(a, _techniques_of), _labelled(b, _techniques_of)), spans, words)
    used = [r for r in techniques if r.paragraphs_a or r.paragraphs_b or r.spans_a or r.spans_b]
    span_categories = (Counter(s.category for s in a.spans), Counter(s.category for s in b.spans))
    categories = _rates(
        CATEGORIES, (_labelled(a, _categories_of), _labelled(b, _categories_of)), span_categories, words
    )
    return Comparison(
        a=_side(a, words[0], analysis_ids[0]),
        b=_side(b, words[1], analysis_ids[1]),
        techniques=tuple(sorted(used, key=lambda r: -abs(r.difference))),
        categories=tuple(categories),
        genres=_probabilities(a.genre_probabilities, b.genre_probabilities, GENRE_LABELS),
        frames=_probabilities(a.frame_probabilities, b.frame_probabilities, FRAME_LABELS),
        only_in_a=tuple(r.label for r in used if not (r.paragraphs_b or r.spans_b)),
        only_in_b=tuple(r.label for r in used if not (r.paragraphs_a or r.spans_a)),
        paragraphs=tuple(_pair(i, p, q) for i, (p, q) in enumerate(zip_longest(a.paragraphs, b.paragraphs), start=1)),
    )


def _words(analysis: Analysis) -> int:
    return sum(count_words(p.text) for p in analysis.article.paragraphs)


def _side(analysis: Analysis, words: int, analysis_id: str | None) -> Side:
    article = analysis.article
    return Side(
        analysis_id=analysis_id,
        article_id=article.id,
        title=article.title,
        source=article.source,
        date=article.date.isoformat() if article.date else None,
        language=article.language,
        words=words,
        paragraphs=len(analysis.paragraphs),
        genre=analysis.genre,
        genre_uncertain=analysis.genre_uncertain,
        frames=tuple(f.label for f in analysis.frames),
    )


def _techniques_of(paragraph: ParagraphAnalysis) -> set[str]:
    return {t.technique for t in paragraph.techniques}


def _categories_of(paragraph: ParagraphAnalysis) -> set[str]:
    return {category_of(t.technique).key for t in paragraph.techniques}


def _labelled(analysis: Analysis, labels_of: Callable[[ParagraphAnalysis], set[str]]) -> Counter[str]:
    """Paragraphs labelled with each label (a paragraph counts once per label)."""
    return Counter(label for p in analysis.paragraphs for label in labels_of(p))


def _rates(
    labels: Iterable[str],
    paragraphs: tuple[Counter[str], Counter[str]],
    spans: tuple[Counter[str], Counter[str]],
    words: tuple[int, int],
) -> list[Rate]:
    """One row per label, in the order given."""
    rows = []
    for label in labels:
        rate_a, rate_b = _per_1000(paragraphs[0][label], words[0]), _per_1000(paragraphs[1][label], words[1])
        counts = (paragraphs[0][label], paragraphs[1][label], spans[0][label], spans[1][label])
        rows.append(Rate(label, *counts, _round(rate_a), _round(rate_b), _round(rate_b - rate_a)))
    return rows


def _per_1000(count: int, words: int) -> float:
    return 1000 * count / words if words else 0.0


def _probabilities(a: dict[str, float], b: dict[str, float], order: tuple[str, ...]) -> tuple[Probability, ...]:
    """Every label either analysis scored, the most probable in either first (ties in the taxonomy's order)."""
    labels = sorted(set(a) | set(b), key=lambda x: (-max(a.get(x, 0.0), b.get(x, 0.0)), _position(x, order)))
    return tuple(
        Probability(x, _round(a.get(x, 0.0)), _round(b.get(x, 0.0)), _round(b.get(x, 0.0) - a.get(x, 0.0)))
        for x in labels
    )


def _position(label: str, order: tuple[str, ...]) -> int:
    return order.index(label) if label in order else len(order)


def _pair(index: int, a: ParagraphAnalysis | None, b: ParagraphAnalysis | None) -> ParagraphPair:
    return ParagraphPair(
        index,
        a.number if a else None,
        b.number if b else None,
        tuple(t.technique for t in a.techniques) if a else (),
        tuple(t.technique for t in b.techniques) if b else (),
    )


def _round(value: float) -> float:
    return round(float(value), _DECIMALS)
