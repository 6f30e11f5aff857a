"""Agreement between reviewers, checked against figures worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from _review_data import analysis
from unspin.errors import InputError
from unspin.review import Decision, Review, ReviewSpan, SpanRef
from unspin.review.agreement import (
    agreement,
    agreement_between,
    both_reviewed,
    cohen_kappa,
    paragraph_labels,
    span_agreement,
)
from unspin.review.store import record
from unspin.store import Store
from unspin.store import tables as t

TEXT = "x" * 64
OTHER = "y" * 64
# three paragraphs: 0-15, 16-40, 41-60
PARAGRAPHS = {TEXT: [(1, 0, 15), (2, 16, 40), (3, 41, 60)], OTHER: [(1, 0, 30)]}


def reviewed(
    reviewer: str,
    spans: list[tuple[int, int, str]],
    content_hash: str = TEXT,
    paragraphs: dict[int, list[str]] | None = None,
) -> Review:
    return Review(
        content_hash=content_hash,
        reviewer=reviewer,
        spans=[ReviewSpan(start=s, end=e, technique=x, origin="reviewer") for s, e, x in spans],
        paragraphs=paragraphs or {},
    )


def kappas(result: object) -> dict[str, float | None]:
    return {k.technique: k.kappa for k in result.kappa}  # type: ignore[attr-defined]


def test_identical_reviews_agree_fully() -> None:
    spans = [(0, 10, "Loaded_Language"), (20, 30, "Doubt")]
    result = agreement([(reviewed("ana", spans), reviewed("ben", spans))], PARAGRAPHS)
    assert (result.spans.precision, result.spans.recall, result.spans.f1) == (1.0, 1.0, 1.0)
    assert kappas(result) == {"Doubt": 1.0, "Loaded_Language": 1.0}
    assert result.mean_kappa == 1.0 and (result.articles, result.paragraphs) == (1, 3)
    assert (result.a, result.b) == ("ana", "ben")


def test_disjoint_reviews_agree_not_at_all() -> None:
    a = reviewed("ana", [(0, 10, "Loaded_Language")])
    b = reviewed("ben", [(20, 30, "Doubt")])
    result = agreement([(a, b)], PARAGRAPHS)
    assert (result.spans.precision, result.spans.recall, result.spans.f1) == (0.0, 0.0, 0.0)
    # Loaded_Language: A yes in paragraph 1 only, B never: po = 2/3, pe = 0*1/3 + 1*2/3 = 2/3, kappa 0
    assert kappas(result) == {"Doubt": 0.0, "Loaded_Language": 0.0}
    # the same technique in the same place, but on different texts: no credit either
    across = agreement(
        [
            (reviewed("ana", [(0, 10, "Doubt")]), reviewed("ben", [])),
            (reviewed("ana", [], OTHER), reviewed("ben", [(0, 10, "Doubt")], OTHER)),
        ],
        PARAGRAPHS,
    )
    assert across.spans.f1 == 0.0 and across.spans.per_technique[0].spans_a == 1


def test_a_partial_overlap_gets_partial_credit() -> None:
    a = reviewed("ana", [(0, 10, "Loaded_Language")])
    b = reviewed("ben", [(5, 25, "Loaded_Language")])  # 5 characters shared; crosses into paragraph 2
    result = agreement([(a, b)], PARAGRAPHS)
    # P = 5/20 of B's span is A's, R = 5/10 of A's span is B's, F1 = 2PR/(P+R) = 1/3
    assert result.spans.precision == pytest.approx(0.25)
    assert result.spans.recall == pytest.approx(0.5)
    assert result.spans.f1 == pytest.approx(1 / 3)
    # paragraphs: A [yes, no, no], B [yes, yes, no]: po = 2/3, pe = 1/3*2/3 + 2/3*1/3 = 4/9, kappa = (2/9)/(5/9) = 0.4
    (only,) = result.kappa
    assert (only.technique, only.paragraphs_a, only.paragraphs_b, only.both) == ("Loaded_Language", 1, 2, 1)
    assert only.kappa == pytest.approx(0.4) and only.observed == pytest.approx(2 / 3)
    swapped = agreement([(b, a)], PARAGRAPHS)
    assert (swapped.spans.precision, swapped.spans.recall) == pytest.approx((0.5, 0.25))
    assert swapped.kappa[0].kappa == pytest.approx(0.4)


def test_explicit_paragraph_labels_replace_those_of_the_spans() -> None:
    review = reviewed("ana", [(0, 10, "Doubt"), (20, 30, "Slogans")], paragraphs={2: [], 3: ["Flag_Waving"]})
    assert paragraph_labels(review, PARAGRAPHS[TEXT]) == {1: {"Doubt"}, 2: set(), 3: {"Flag_Waving"}}


def test_no_spans_and_constant_labels_give_no_figure() -> None:
    empty = agreement([(reviewed("ana", []), reviewed("ben", []))], PARAGRAPHS)
    assert (empty.spans.precision, empty.spans.f1, empty.kappa, empty.mean_kappa) == (None, None, [], None)
    # both label every paragraph: chance explains all agreement, kappa is undefined
    everywhere = {n: ["Doubt"] for n in (1, 2, 3)}
    same = agreement(
        [(reviewed("ana", [], paragraphs=everywhere), reviewed("ben", [], paragraphs=everywhere))], PARAGRAPHS
    )
    assert kappas(same) == {"Doubt": None} and same.mean_kappa is None
    assert agreement([], PARAGRAPHS).articles == 0


def test_cohen_kappa_by_hand() -> None:
    # po = 3/4, pa = 1/2, pb = 1/4, pe = 1/8 + 3/8 = 1/2: kappa = (3/4 - 1/2) / (1/2) = 1/2
    assert cohen_kappa([True, True, False, False], [True, False, False, False]) == 0.5
    assert cohen_kappa([True, False], [False, True]) == -1.0
    assert cohen_kappa([], []) is None
    with pytest.raises(ValueError):
        cohen_kappa([True], [])


def test_pairs_must_be_of_one_text_and_one_reviewer_a_side() -> None:
    with pytest.raises(InputError, match="same text"):
        agreement([(reviewed("ana", []), reviewed("ben", [], OTHER))], PARAGRAPHS)
    with pytest.raises(InputError, match="one reviewer"):
        agreement(
            [(reviewed("ana", []), reviewed("ben", [])), (reviewed("cleo", [], OTHER), reviewed("ben", [], OTHER))],
            PARAGRAPHS,
        )
    assert span_agreement([]).f1 is None


# -- from the store -----------------------------------------------------------------------------------

PARAGRAPH_TEXTS = [
    ("The corrupt regime lies again today.", [("Loaded_Language", 0.9)], [("Loaded_Language", "corrupt", 0.9)]),
    ("Officials said the plan works.", [], []),
    ("Nobody believes them any more.", [], []),
]


def test_agreement_over_the_texts_both_reviewed(store: Store) -> None:
    first, second = (
        analysis(PARAGRAPH_TEXTS, source="Beacon"),
        analysis(list(reversed(PARAGRAPH_TEXTS)), source="Herald"),
    )
    store.add([first, second])
    done = Decision(kind="status", status="done")
    corrupt = SpanRef(start=4, end=11, technique="Loaded_Language")
    for reviewer in ("ana", "ben"):
        record(store, first.article.content_hash, reviewer, [Decision(kind="accept", span=corrupt), done])
    record(store, second.article.content_hash, "ana", [done])
    record(store, second.article.content_hash, "ben", [Decision(kind="paragraph", paragraph=1, techniques=["Doubt"])])
    assert both_reviewed(store, "ana", "ben") == [first.article.content_hash]
    assert sorted(both_reviewed(store, "ana", "ben", statuses=["in_progress", "done"])) == sorted(
        [first.article.content_hash, second.article.content_hash]
    )
    result = agreement_between(store, "ana", "ben")
    assert (result.articles, result.paragraphs, result.spans.f1, kappas(result)) == (
        1,
        3,
        1.0,
        {"Loaded_Language": 1.0},
    )
    everything = agreement_between(store, "ana", "ben", statuses=["in_progress", "done"])
    # Doubt: ben alone, in one paragraph of six: po = 5/6, pa = 0, pb = 1/6, pe = 5/6: kappa 0
    assert (everything.articles, everything.paragraphs) == (2, 6)
    assert kappas(everything) == {"Doubt": 0.0, "Loaded_Language": 1.0}
    one = agreement_between(
        store, "ana", "ben", content_hash=second.article.content_hash, statuses=["in_progress", "done"]
    )
    assert one.articles == 1 and kappas(one) == {"Doubt": 0.0}
    assert agreement_between(store, "ana", "nobody").articles == 0
    with pytest.raises(InputError, match="unknown review status"):
        both_reviewed(store, "ana", "ben", statuses=["finished"])  # type: ignore[list-item]
    with store.connect() as connection:  # the paragraphs came from the store, as they were analysed
        assert connection.scalar(sa.select(sa.func.count()).select_from(t.paragraphs)) == 6
