"""Which techniques one slice of the corpus uses more than another, with effect sizes and tests."""

from __future__ import annotations

import math

from pydantic import BaseModel

from ..corpus.stats.significance import benjamini_hochberg, compare_rates
from .filters import CorpusFilter
from .queries import Level, groups, rates
from .store import Store

MIN_COUNT = 5  # labelled paragraphs each slice needs before a rate ratio means anything


class ComparisonRow(BaseModel):
    label: str
    count_a: int
    words_a: int
    per_1000_words_a: float
    count_b: int
    words_b: int
    per_1000_words_b: float
    rate_ratio: float  # per-word rate in A over that in B
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float  # Benjamini-Hochberg across the labels compared
    over_represented_in: str | None  # "a", "b", or None when q >= alpha
    enough_data: bool  # both counts at least MIN_COUNT; else the ratio and its interval say little


def compare(
    store: Store, a: CorpusFilter, b: CorpusFilter, *, level: Level = "technique", alpha: float = 0.05
) -> list[ComparisonRow]:
    """Compare technique rates of slice ``a`` against slice ``b``, most over-represented in A first.

    Counts are labelled paragraphs; the exposure is the number of words, so longer
    articles are expected to hold more. Under the null hypothesis that both slices use a
    technique at the same rate per word, the count in A given the total is binomial with
    p = words_A / (words_A + words_B) (the exact conditional test for two Poisson rates).
    The effect size is the rate ratio with a 95% Wald interval on its logarithm (0.5 added
    to zero counts). p-values are corrected across labels by Benjamini-Hochberg. The test
    assumes paragraphs are independent; techniques cluster within articles, so treat
    borderline q-values with care.

    Where either slice has fewer than :data:`MIN_COUNT` labelled paragraphs, ``enough_data``
    is false: the ratio then rests on a handful of paragraphs (with 0 in B, on the 0.5 put in
    its place), so it can read 700 where the interval spans a factor of 200. Such rows come
    after the others, by q-value; the exact test, and so ``q_value`` and
    ``over_represented_in``, stays valid for small counts.
    """
    counts_a, words_a = _counts(store, a, level)
    counts_b, words_b = _counts(store, b, level)
    if not words_a or not words_b:
        return []
    rows = [
        _row(label, counts_a.get(label, 0), words_a, counts_b.get(label, 0), words_b)
        for label in sorted(set(counts_a) | set(counts_b))
    ]
    for row, q in zip(rows, benjamini_hochberg([r.p_value for r in rows]), strict=False):
        row.q_value = q
        if q < alpha:
            row.over_represented_in = "a" if row.rate_ratio > 1 else "b"
    return sorted(
        rows, key=lambda r: (0, -math.log(r.rate_ratio), r.label) if r.enough_data else (1, r.q_value, r.label)
    )


def _counts(store: Store, filters: CorpusFilter, level: Level) -> tuple[dict[str, int], int]:
    rows = rates(store, filters, by="none", level=level)
    totals = {r.label: r.count for r in rows}
    words = rows[0].words if rows else _words(store, filters)
    return totals, words


def _words(store: Store, filters: CorpusFilter) -> int:
    return sum(words for _, words in groups(store, filters, by="none").values())


def _row(label: str, count_a: int, words_a: int, count_b: int, words_b: int) -> ComparisonRow:
    rate_a, rate_b = 1000 * count_a / words_a, 1000 * count_b / words_b
    result = compare_rates(count_a, words_a, count_b, words_b)
    return ComparisonRow(
        label=label,
        count_a=count_a,
        words_a=words_a,
        per_1000_words_a=round(rate_a, 6),
        count_b=count_b,
        words_b=words_b,
        per_1000_words_b=round(rate_b, 6),
        rate_ratio=round(result.rate_ratio, 6),
        ci_low=round(result.ci_low, 6),
        ci_high=round(result.ci_high, 6),
        p_value=result.p_value,
        q_value=1.0,
        over_represented_in=None,
        enough_data=min(count_a, count_b) >= MIN_COUNT,
    )
