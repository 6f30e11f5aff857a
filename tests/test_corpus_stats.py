"""The corpus statistics and period arithmetic as pure functions: no database, hand-checked values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from unspin.corpus.periods import (
    next_period,
    period_end,
    period_range,
    period_start,
    whole_months,
)
from unspin.corpus.stats.changepoints import MIN_SEGMENT, change_points, pelt_l2
from unspin.corpus.stats.clustering import cluster, cluster_terms
from unspin.corpus.stats.phrases import (
    count_words,
    entities_in,
    normalise_phrase,
    top_entities,
)
from unspin.corpus.stats.significance import benjamini_hochberg, compare_rates

D = dt.date


# -- periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "period", "start", "end"),
    [
        (D(2024, 2, 29), "day", D(2024, 2, 29), D(2024, 2, 29)),
        (D(2024, 2, 29), "week", D(2024, 2, 26), D(2024, 3, 3)),  # a Thursday; ISO weeks start on Monday
        (D(2024, 2, 26), "week", D(2024, 2, 26), D(2024, 3, 3)),
        (D(2024, 2, 29), "month", D(2024, 2, 1), D(2024, 2, 29)),  # leap year
        (D(2023, 2, 14), "month", D(2023, 2, 1), D(2023, 2, 28)),
        (D(2024, 12, 31), "month", D(2024, 12, 1), D(2024, 12, 31)),
        (D(2025, 1, 1), "week", D(2024, 12, 30), D(2025, 1, 5)),  # a week across the new year
    ],
)
def test_period_start_and_end(day: dt.date, period: str, start: dt.date, end: dt.date) -> None:
    assert period_start(day, period) == start  # type: ignore[arg-type]
    assert period_end(start, period) == end  # type: ignore[arg-type]
    assert next_period(start, period) == end + dt.timedelta(days=1)  # type: ignore[arg-type]


def test_period_range_fills_the_gaps_whatever_the_order() -> None:
    assert period_range([D(2024, 12, 1), D(2024, 10, 1)], "month") == [D(2024, 10, 1), D(2024, 11, 1), D(2024, 12, 1)]
    assert period_range([D(2024, 1, 15), D(2024, 1, 1)], "week") == [D(2024, 1, 1), D(2024, 1, 8), D(2024, 1, 15)]
    assert period_range([D(2024, 2, 28)] * 2, "day") == [D(2024, 2, 28)]
    assert period_range([], "month") == []


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (None, None, (None, None)),
        (D(2024, 1, 1), D(2024, 12, 31), (D(2024, 1, 1), D(2024, 12, 31))),
        (D(2024, 1, 2), D(2024, 3, 30), (D(2024, 2, 1), D(2024, 2, 29))),
        (D(2024, 1, 2), None, (D(2024, 2, 1), None)),
        (None, D(2024, 3, 30), (None, D(2024, 2, 29))),
        (D(2024, 1, 2), D(2024, 2, 28), None),  # February 2024 has 29 days
        (D(2024, 1, 2), D(2024, 1, 30), None),
    ],
)
def test_whole_months(first: dt.date | None, last: dt.date | None, expected: tuple | None) -> None:
    assert whole_months(first, last) == expected


# -- significance ----------------------------------------------------------------------------------


def test_benjamini_hochberg_by_hand() -> None:
    # Sorted p-values times n/rank: 0.025, 0.025, 0.05, 0.05, 0.2; already non-decreasing.
    assert benjamini_hochberg([0.2, 0.005, 0.04, 0.01, 0.03]) == pytest.approx([0.2, 0.025, 0.05, 0.025, 0.05])
    # 0.03 * 2/1 = 0.06 is above the larger p-value's 0.04 * 2/2: the running minimum from the top caps it.
    assert benjamini_hochberg([0.04, 0.03]) == pytest.approx([0.04, 0.04])
    assert benjamini_hochberg([0.9, 0.9, 0.9]) == pytest.approx([0.9, 0.9, 0.9])
    assert benjamini_hochberg([]) == []


def test_poisson_rate_comparison_by_hand() -> None:
    # 3 against 0 with equal exposures: the count in A given 3 in all is Binomial(3, 1/2), so the
    # two-sided p-value is 2 * (1/2)**3; the zero count becomes 0.5 in the ratio and its interval.
    result = compare_rates(3, 1000, 0, 1000)
    assert result.p_value == pytest.approx(0.25)
    assert result.rate_ratio == pytest.approx(6.0)
    half_width = 1.959964 * math.sqrt(1 / 3 + 1 / 0.5)
    assert (result.ci_low, result.ci_high) == pytest.approx((6 * math.exp(-half_width), 6 * math.exp(half_width)))


def test_poisson_rate_comparison_uses_the_exposures() -> None:
    same_rate = compare_rates(20, 2000, 10, 1000)  # twice the count in twice the words
    assert same_rate.rate_ratio == pytest.approx(1.0) and same_rate.p_value == pytest.approx(1.0)
    assert same_rate.ci_low < 1 < same_rate.ci_high
    nothing = compare_rates(0, 500, 0, 800)
    assert nothing.p_value == 1.0 and nothing.rate_ratio == pytest.approx(1.6)
    assert compare_rates(60, 1000, 20, 1000).p_value < 1e-5


# -- change points ---------------------------------------------------------------------------------


def test_change_points_find_the_steps_of_a_step_series() -> None:
    values = np.repeat([1.0, 3.0, 1.5], 12) + np.tile([0.1, -0.1, 0.05], 12)
    assert change_points(values) == [12, 24]
    assert change_points(list(values)) == [12, 24]


def test_change_points_need_a_long_enough_series_with_a_shift() -> None:
    assert change_points([1.0] * 4 + [9.0] * 4) == []  # shorter than 3 * MIN_SEGMENT
    assert change_points([2.0] * 30) == []
    assert change_points(np.random.default_rng(1).normal(0, 1, 60)) == []  # noise only
    assert change_points([0.0] * MIN_SEGMENT * 2 + [5.0] * MIN_SEGMENT) == [2 * MIN_SEGMENT]


def test_pelt_matches_ruptures_on_a_step_series() -> None:
    ruptures = pytest.importorskip("ruptures")
    values = np.concatenate([np.full(10, 0.0), np.full(7, 4.0), np.full(15, 1.0)]) + np.tile([0.1, -0.1], 16)
    expected = ruptures.Pelt(model="l2", min_size=3, jump=1).fit(values).predict(pen=2.0)
    assert pelt_l2(values, 2.0, 3) == expected == [10, 17, 32]


# -- clustering ------------------------------------------------------------------------------------

OFFSETS = {"A": np.random.default_rng(99).normal(0, 1, 16), "B": np.random.default_rng(98).normal(0, 1, 16)}


def _blobs(
    rng: np.random.Generator, per_blob: int = 150, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three stories in 16 dimensions, told by two sources that each add their own strong offset."""
    centres = np.eye(16)[:3] * 3
    offsets = OFFSETS
    story = np.repeat(np.arange(3), per_blob)
    sources = np.array(["A", "B"] * (len(story) // 2), dtype=object)
    vectors = centres[story] + rng.normal(0, noise, (len(story), 16)) + np.stack([offsets[s] for s in sources])
    return vectors.astype(np.float32), sources, story


def test_clustering_finds_the_stories_not_the_sources() -> None:
    from sklearn.metrics import adjusted_rand_score

    vectors, sources, story = _blobs(np.random.default_rng(0))
    clusters = cluster(vectors, sources, min_cluster_size=10, dimensions=5)
    assert len(clusters.centroids) == 3 and clusters.pca.n_components_ == 5
    clustered = clusters.labels >= 0
    assert clustered.mean() > 0.9
    assert adjusted_rand_score(story[clustered], clusters.labels[clustered]) == 1.0
    assert [len(d) for d in clusters.member_distances] == list(np.bincount(clusters.labels[clustered]))
    again = cluster(vectors, sources, min_cluster_size=10, dimensions=5)
    assert np.array_equal(again.labels, clusters.labels)  # deterministic


def test_new_vectors_join_the_nearest_story_when_close_enough() -> None:
    rng = np.random.default_rng(1)
    vectors, sources, story = _blobs(rng)
    clusters = cluster(vectors, sources, min_cluster_size=10, dimensions=5)
    label_of_story = {s: np.bincount(clusters.labels[(story == s) & (clusters.labels >= 0)]).argmax() for s in range(3)}
    fresh, fresh_sources, fresh_story = _blobs(rng, per_blob=4, noise=0.02)
    far = np.full((1, 16), 40.0, np.float32)
    rows, labels, probabilities = clusters.assign(np.concatenate([fresh, far]), np.append(fresh_sources, "A"))
    assert list(rows) == list(range(len(fresh)))  # every close vector, and not the far one
    assert [int(x) for x in labels] == [label_of_story[s] for s in fresh_story]
    assert np.all((probabilities > 0) & (probabilities <= 1))


def test_central_members_come_by_probability_then_id() -> None:
    vectors, sources, _ = _blobs(np.random.default_rng(2))
    clusters = cluster(vectors, sources, min_cluster_size=10, dimensions=5)
    ids = np.arange(1000, 1000 + len(vectors))
    chosen = clusters.central(ids, 5)
    assert len(chosen) == len(clusters.centroids) and all(len(c) == 5 for c in chosen)
    for c, members in enumerate(chosen):
        rows = members - 1000
        assert np.all(clusters.labels[rows] == c)
        keys = list(zip(-clusters.probabilities[rows], members, strict=False))
        assert keys == sorted(keys)
        assert clusters.probabilities[rows].min() >= np.sort(clusters.probabilities[clusters.labels == c])[-5]


def test_cluster_terms_name_each_cluster_by_its_own_words() -> None:
    energy = [
        "Energy prices soar as gas supplies shrink",
        "Gas prices and energy bills rise again",
        "The energy crisis: gas, prices, winter",
    ]
    vote = [
        "The election result is contested",
        "Voters question the election count",
        "An election recount is demanded by voters",
    ]
    # Most frequent in the cluster first, ties alphabetically; no stop words ("the", "again") or short words.
    assert cluster_terms([energy, vote], n=3) == [["energy", "gas", "prices"], ["election", "voters", "contested"]]
    assert not {"the", "and", "again", "is", "as", "an"} & {t for ts in cluster_terms([energy, vote]) for t in ts}
    assert cluster_terms([["the and of", "12 34"], ["a"]]) == [[], []]
    assert cluster_terms([]) == []


# -- phrases ---------------------------------------------------------------------------------------


def test_phrases_are_normalised_and_words_counted() -> None:
    assert normalise_phrase('  The WEST\'s   "betrayal"!') == "west's betrayal"
    assert normalise_phrase("self-proclaimed  ÉLITES") == "self-proclaimed élites"
    assert normalise_phrase("...!") == ""
    assert count_words("Don't panic: the well-known 3 rules.") == 6


@pytest.mark.parametrize(
    ("span", "phrase"),
    [
        (
            "the so-called experts keep pouring their toxic lies into every",
            "so-called experts keep pouring their toxic lies",
        ),
        ("and the", ""),  # stop words only
        ("A", ""),  # a single character
        ("x и", ""),  # a single character once trimmed
        ("now", ""),  # a lone stop word, even one kept at an end
        ("Das ist der Verrat der Eliten und", "verrat der eliten"),
        ("c'est la trahison des élites", "c'est la trahison des élites"),
        ("это предательство элит и", "предательство элит"),
        ("we will NEVER surrender", "never surrender"),  # negations stay
        ("Wake up now!", "wake up now"),  # particles and words of time too
        ("never again", "never again"),
        ("Kein Vergeben, kein Vergessen und", "kein vergeben kein vergessen"),
    ],
)
def test_phrases_lose_the_stop_words_at_their_ends(span: str, phrase: str) -> None:
    assert normalise_phrase(span) == phrase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The European Union met Mr Smith of the Bank of England.", ["European Union", "Smith", "Bank of England"]),
        ("Selon l'Élysée, la Banque de France a tort.", ["Élysée", "Banque de France"]),
        ("Russia's army moved. Energy prices rose; energy is scarce.", ["Russia"]),
        ("Как заявил Владимир Путин, НАТО виновато.", ["Владимир Путин", "НАТО"]),
        ("THE GREAT BIG UNITED NATIONS SUMMIT OPENS", []),  # a shouted headline is no name
        ("no names here at all.", []),
    ],
)
def test_names_by_the_capitalised_run_heuristic(text: str, expected: list[str]) -> None:
    assert entities_in(text) == expected


def test_the_span_itself_is_never_a_name() -> None:
    text = "Brussels bureaucrats blame Moscow."
    assert entities_in(text) == ["Brussels", "Moscow"]
    assert entities_in(text, skip=(0, 8)) == ["Moscow"]


def test_top_entities_count_paragraphs_once_and_skip_the_phrase() -> None:
    contexts = [
        ("NATO, said Brussels, betrays Kyiv.", 28, 33),
        ("NATO and Kyiv again.", 0, 4),
        ("NATO and Kyiv again.", 0, 4),
        ("Kyiv is not NATO.", 0, 4),
    ]
    assert top_entities(contexts, "kyiv", 5) == [("NATO", 2), ("Brussels", 1)]
    assert top_entities(contexts, "kyiv", 1) == [("NATO", 2)]
    assert top_entities(contexts, "kyiv", 0) == []
