"""Narratives: clustering stored embeddings, reading the stored clusters, embedding articles stored without one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pytest
import sqlalchemy as sa

from unspin.corpus.periods import period_start
from unspin.errors import InputError
from unspin.store import CorpusFilter, Store
from unspin.store import tables as t
from unspin.store.narratives import (
    _counts_from_aggregates,
    _counts_from_articles,
    build_narratives,
    embed_missing,
    narratives,
)
from unspin.store.synthetic import NARRATIVE_WORDS, synthetic_analyses

if TYPE_CHECKING:
    from unspin.analyzer import Analyzer

HOSTILE = ["'; DROP TABLE narratives; --", "%", "_", 'O\'Brien "quoted"', "\\"]
TOPICS = [set(words) for words in NARRATIVE_WORDS]
WORD = re.compile(r"\w+")


@pytest.fixture
def built(store: Store) -> Store:
    store.add(synthetic_analyses(600))
    build_narratives(store)
    return store


def _topic(text: str) -> int:
    """The synthetic narrative whose words the text uses most."""
    words = Counter(WORD.findall(text.lower()))
    return max(range(len(TOPICS)), key=lambda i: sum(words[w] for w in TOPICS[i]))


def _members(store: Store) -> dict[int, list[str]]:
    """Narrative id -> the texts of its articles."""
    a, an = t.articles, t.article_narratives
    members: dict[int, list[str]] = {}
    with store.connect() as connection:
        query = sa.select(an.c.narrative_id, a.c.text).join(a, a.c.id == an.c.article_id)
        for narrative, text in connection.execute(query):
            members.setdefault(narrative, []).append(text)
    return members


def test_build_finds_the_synthetic_narratives(built: Store) -> None:
    found = narratives(built)
    assert len(found) == 4
    assert sorted(_topic(" ".join(n.terms[:3])) for n in found) == [0, 1, 2, 3]
    for n in found:
        assert set(n.terms[:3]) <= TOPICS[_topic(" ".join(n.terms[:3]))]
        assert n.label == ", ".join(n.terms[:3])
    assert sum(n.size for n in found) == 600


def test_members_share_their_narratives_topic(built: Store) -> None:
    labels = {n.id: _topic(" ".join(n.terms)) for n in narratives(built)}
    for narrative, texts in _members(built).items():
        assert sum(_topic(text) == labels[narrative] for text in texts) >= 0.9 * len(texts)


def test_sampled_build_assigns_the_rest(store: Store) -> None:
    store.add(synthetic_analyses(600))
    build = build_narratives(store, max_articles=300, seed=3)
    assert (build.articles, build.sampled, build.narratives) == (600, 300, 4)
    assert build.assigned > 250 and build.clustered + build.assigned + build.unassigned == 600
    labels = {n.id: _topic(" ".join(n.terms)) for n in narratives(store)}
    for narrative, texts in _members(store).items():
        assert sum(_topic(text) == labels[narrative] for text in texts) >= 0.9 * len(texts)
    assert build_narratives(store, max_articles=300, seed=3).assigned == build.assigned  # reproducible


def test_rebuild_replaces_the_narratives(built: Store) -> None:
    before = {n.id for n in narratives(built)}
    build = build_narratives(built, CorpusFilter(sources=["Outlet 1", "Outlet 2"]), min_cluster_size=15)
    after = narratives(built)
    assert build.replaced and before.isdisjoint(n.id for n in after)
    assert sum(n.size for n in after) == build.clustered + build.assigned
    assert {s.source for n in after for s in n.sources} == {"Outlet 1", "Outlet 2"}
    with built.connect() as connection:
        for table in (t.narratives, t.article_narratives, t.agg_narratives, t.agg_narratives_monthly):
            ids = {
                row[0]
                for row in connection.execute(sa.select(table.c.id if table is t.narratives else table.c.narrative_id))
            }
            assert ids == {n.id for n in after}, table.name
        total = connection.scalar(sa.select(sa.func.sum(t.agg_narratives.c.articles)))
        assert total == connection.scalar(sa.select(sa.func.count()).select_from(t.article_narratives))


def test_too_small_a_slice_replaces_nothing(built: Store) -> None:
    before = narratives(built)
    build = build_narratives(built, CorpusFilter(sources=["Nobody"]))
    assert not build.replaced and build.articles == 0
    assert build_narratives(built, CorpusFilter(sources=HOSTILE)).articles == 0
    assert narratives(built) == before


def test_narratives_view_counts(built: Store) -> None:
    for n in narratives(built, period="week"):
        assert sum(s.articles for s in n.sources) == n.size == sum(p.articles for p in n.timeline)  # all dated
        assert all(p.period.weekday() == 0 for p in n.timeline)
        assert [p.period for p in n.timeline] == sorted({p.period for p in n.timeline})
        assert n.first is not None and n.timeline[0].period <= n.first.date
    a, an = t.articles, t.article_narratives
    with built.connect() as connection:
        for n in narratives(built, CorpusFilter(sources=["Outlet 3"], date_from=dt.date(2024, 2, 10))):
            earliest = connection.execute(
                sa.select(a.c.id, a.c.date)
                .join(an, an.c.article_id == a.c.id)
                .where(an.c.narrative_id == n.id, a.c.source == "Outlet 3", a.c.date >= dt.date(2024, 2, 10))
                .order_by(a.c.date, a.c.id)
                .limit(1)
            ).one()
            assert (n.first.article_id, n.first.date) == (earliest.id, earliest.date)
            assert n.first.source == "Outlet 3" and n.first.date >= dt.date(2024, 2, 10)


@pytest.mark.parametrize("period", ["day", "week", "month"])
@pytest.mark.parametrize(
    "filters",
    [
        CorpusFilter(),
        CorpusFilter(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 5, 31)),
        CorpusFilter(date_from=dt.date(2024, 3, 10), date_to=dt.date(2024, 6, 20), languages=["en", "fr"]),
    ],
)
def test_aggregates_agree_with_the_articles(built: Store, filters: CorpusFilter, period: str) -> None:
    model_id = built.model_id()
    with built.connect() as connection:
        assert (
            _counts_from_aggregates(connection, filters, model_id, period)  # type: ignore[arg-type]
            == _counts_from_articles(connection, filters, model_id, period)
        )  # type: ignore[arg-type]


def test_technique_filter_reads_the_articles(built: Store) -> None:
    doubt = narratives(built, CorpusFilter(techniques=["Doubt"]))
    everything = {n.id: n.size for n in narratives(built)}
    assert doubt and all(0 < n.size <= everything[n.id] for n in doubt)
    assert all(n.first is not None for n in doubt)


@pytest.mark.parametrize(
    "filters",
    [
        CorpusFilter(sources=["Nobody"]),
        CorpusFilter(languages=["xx"]),
        CorpusFilter(date_from=dt.date(2030, 1, 1)),
        CorpusFilter(sources=HOSTILE),
    ],
)
def test_filters_matching_nothing_give_empty_lists(built: Store, filters: CorpusFilter) -> None:
    assert narratives(built, filters) == []
    with built.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(t.narratives)) == 4


def test_no_narratives_before_a_build(store: Store) -> None:
    store.add(synthetic_analyses(20))
    assert narratives(store) == []


def test_bad_parameters_are_input_errors(store: Store) -> None:
    with pytest.raises(InputError):
        build_narratives(store, min_cluster_size=1)
    with pytest.raises(InputError):
        build_narratives(store, max_articles=0)


def test_period_start() -> None:
    day = dt.date(2024, 5, 16)  # a Thursday
    assert [period_start(day, p) for p in ("day", "week", "month")] == [  # type: ignore[arg-type]
        day,
        dt.date(2024, 5, 13),
        dt.date(2024, 5, 1),
    ]


def test_embed_missing_matches_the_analyzer(store: Store, analyzer: Analyzer) -> None:
    texts = [
        "date 2024-02-01 Prices soar again.\n\nThe minister blames the weather and the markets.",
        "Le gouvernement ment, disent-ils.",
        "Выборы были сфальсифицированы, утверждает оппозиция. " * 25,
    ]  # several windows
    analyses = analyzer.analyze_many(texts)
    store.add([dataclasses.replace(x, embedding=None) for x in analyses])
    assert embed_missing(store, analyzer, batch_size=2) == 3
    assert embed_missing(store, analyzer) == 0
    with store.connect() as connection:
        stored = dict(connection.execute(sa.select(t.embeddings.c.article_id, t.embeddings.c.vector)).all())
        ids = connection.scalars(sa.select(t.articles.c.id).order_by(t.articles.c.id)).all()
    for article_id, analysis in zip(ids, analyses, strict=False):
        vector = np.frombuffer(stored[article_id], np.float16).astype(np.float32)
        assert float(vector @ analysis.embedding) == pytest.approx(1.0, abs=2e-3)
