"""Comparing two Poisson rates (the exact conditional test, the rate ratio and its interval) and
correcting many p-values for the false discovery rate (Benjamini-Hochberg).

Examples
--------
>>> result = compare_rates(30, 10_000, 10, 10_000)
>>> round(result.rate_ratio, 2), round(result.p_value, 4)
(3.0, 0.0022)
>>> benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
[0.04, 0.05333333333333334, 0.05333333333333334, 0.5]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import binomtest

Z_95 = 1.959964


@dataclass(frozen=True, slots=True)
class RateComparison:
    rate_ratio: float  # the rate in A over that in B
    ci_low: float  # the 95% interval of the rate ratio
    ci_high: float
    p_value: float  # two-sided, of equal rates


def compare_rates(count_a: int, exposure_a: int, count_b: int, exposure_b: int) -> RateComparison:
    """Compare the Poisson rates ``count_a / exposure_a`` and ``count_b / exposure_b`` (exposures > 0).

    Under the null hypothesis of equal rates, the count in A given the total is binomial
    with p = exposure_A / (exposure_A + exposure_B): the exact conditional test for two
    Poisson rates. The rate ratio has a 95% Wald interval on its logarithm, with 0.5 in
    place of a zero count. No counts at all give a p-value of 1.
    """
    a, b = (count_a or 0.5), (count_b or 0.5)
    log_ratio = math.log((a / exposure_a) / (b / exposure_b))
    half_width = Z_95 * math.sqrt(1 / a + 1 / b)
    total = count_a + count_b
    p_value = binomtest(count_a, total, exposure_a / (exposure_a + exposure_b)).pvalue if total else 1.0
    return RateComparison(
        rate_ratio=math.exp(log_ratio),
        ci_low=math.exp(log_ratio - half_width),
        ci_high=math.exp(log_ratio + half_width),
        p_value=float(p_value),
    )


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """q-values controlling the false discovery rate, in the order of ``p_values``."""
    n = len(p_values)
    order = sorted(range(n), key=p_values.__getitem__)
    q = [0.0] * n
    running = 1.0
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * n / rank)
        q[i] = running
    return q
