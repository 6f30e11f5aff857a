"""Reviews in the corpus database, on SQLite and PostgreSQL: recording, all-or-nothing writes, the queue, assignments."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from _review_data import analysis, corpus
from unspin.errors import InputError
from unspin.review import Decision, SpanRef
from unspin.review.formats.stored import unreviewed_in_store
from unspin.review.queue import review_queue
from unspin.review.store import (
    DecisionError,
    UnknownArticle,
    assign,
    decisions_of,
    iter_reviews,
    record,
    resolve_article,
    review,
    reviews_of,
    unassign,
)
from unspin.store import CorpusFilter, Store
from unspin.store import tables as t
from unspin.store.db import database_url, downgrade, migrate
from unspin.store.ingest import add_analyses


@pytest.fixture
def filled(store: Store) -> Store:
    store.add(corpus())
    return store


def titles(store: Store, **options: object) -> list[str | None]:
    return [item.title for item in review_queue(store, "ana", **options).items]  # type: ignore[arg-type]


def hash_of(store: Store, title: str) -> str:
    with store.connect() as connection:
        return str(connection.scalar(sa.select(t.articles.c.content_hash).where(t.articles.c.title == title)))


def span(start: int, end: int, technique: str = "Loaded_Language") -> SpanRef:
    return SpanRef(start=start, end=end, technique=technique)


def counts(store: Store) -> tuple[int, int]:
    with store.connect() as connection:
        return (
            int(connection.scalar(sa.select(sa.func.count()).select_from(t.reviews)) or 0),
            int(connection.scalar(sa.select(sa.func.count()).select_from(t.review_decisions)) or 0),
        )


# -- recording ----------------------------------------------------------------------------------------


def test_record_applies_the_decisions_and_keeps_each_one(filled: Store) -> None:
    content_hash = hash_of(filled, "sure")  # "The corrupt regime lies again today.": "corrupt" is 4-11
    decisions = [
        Decision(kind="accept", span=span(4, 11), model_confidence=0.9),
        Decision(kind="add", span=span(12, 18, "Name_Calling-Labeling")),
        Decision(kind="paragraph", paragraph=2, techniques=["Doubt"]),
        Decision(kind="frames", frames=["Political"]),
        Decision(kind="status", status="done"),
    ]
    result = record(filled, content_hash, "ana", decisions)
    assert [(s.start, s.end, s.technique, s.origin) for s in result.spans] == [
        (4, 11, "Loaded_Language", "model"),
        (12, 18, "Name_Calling-Labeling", "reviewer"),
    ]
    assert result.paragraphs == {2: ["Doubt"]} and result.frames == ["Political"] and result.status == "done"
    assert result.model == "test-model==1" and result.updated_at is not None
    assert review(filled, content_hash, "ana") == result
    assert reviews_of(filled, content_hash) == [result]
    history = decisions_of(filled, content_hash, "ana")
    assert [d.decision for d in history] == decisions
    assert {(d.reviewer, d.model) for d in history} == {("ana", "test-model==1")}
    # a second call builds on the first, and its decisions are appended
    again = record(filled, content_hash, "ana", [Decision(kind="remove", span=span(12, 18, "Name_Calling-Labeling"))])
    assert [s.technique for s in again.spans] == ["Loaded_Language"] and again.status == "done"
    assert len(decisions_of(filled, content_hash, "ana")) == 6
    assert counts(filled) == (1, 6)


def test_reviewers_keep_separate_reviews(filled: Store) -> None:
    content_hash = hash_of(filled, "sure")
    record(filled, content_hash, "ana", [Decision(kind="accept", span=span(4, 11))])
    record(filled, content_hash, "ben", [Decision(kind="reject", span=span(4, 11))])
    ana, ben = reviews_of(filled, content_hash)
    assert (ana.reviewer, len(ana.spans), len(ana.rejected)) == ("ana", 1, 0)
    assert (ben.reviewer, len(ben.spans), len(ben.rejected)) == ("ben", 0, 1)
    assert review(filled, content_hash, "cleo") is None
    assert [r.reviewer for r in iter_reviews(filled, reviewer="ben")] == ["ben"]
    assert [r.reviewer for r in iter_reviews(filled, statuses=["done"])] == []


def test_a_review_belongs_to_the_text_and_outlives_reanalysis(filled: Store) -> None:
    content_hash = hash_of(filled, "sure")
    record(filled, content_hash, "ana", [Decision(kind="accept", span=span(4, 11))])
    filled.add([a for a in corpus({"name": "test-model", "version": "2"}) if a.article.title == "sure"])
    assert resolve_article(filled, content_hash).model == "test-model==2"  # the latest analysis of the text
    kept = review(filled, content_hash, "ana")
    assert kept is not None and len(kept.spans) == 1 and kept.model == "test-model==1"
    newer = record(filled, content_hash, "ana", [Decision(kind="status", status="done")])
    assert newer.model == "test-model==2" and len(newer.spans) == 1
    assert [d.model for d in decisions_of(filled, content_hash, "ana")] == ["test-model==1", "test-model==2"]
    older = record(filled, content_hash, "ana", [Decision(kind="genre", genre="reporting")], model="1")
    assert older.model == "test-model==1"
    with pytest.raises(UnknownArticle, match="by model '9'"):
        record(filled, content_hash, "ana", [Decision(kind="genre", genre="satire")], model="9")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Decision(kind="add", span=span(30, 500)), "decision 2 \\(add\\): span 30-500 runs past the end of the text"),
        (
            Decision(kind="paragraph", paragraph=3, techniques=[]),
            "decision 2 \\(paragraph\\): the article has no paragraph 3",
        ),
        (Decision(kind="adjust", span=span(4, 11), start=4, end=9999), "decision 2 \\(adjust\\): end 9999 runs past"),
    ],
)
def test_a_decision_that_does_not_fit_leaves_nothing_written(filled: Store, bad: Decision, message: str) -> None:
    content_hash = hash_of(filled, "sure")
    before = record(filled, content_hash, "ana", [Decision(kind="accept", span=span(4, 11))])
    good = Decision(kind="add", span=span(12, 18, "Doubt"))
    with pytest.raises(DecisionError, match=message) as raised:
        record(filled, content_hash, "ana", [good, bad])
    assert raised.value.index == 1
    assert review(filled, content_hash, "ana") == before
    assert len(decisions_of(filled, content_hash, "ana")) == 1
    with pytest.raises(DecisionError):  # a first review that fails is not created at all
        record(filled, content_hash, "ben", [good, bad])
    assert review(filled, content_hash, "ben") is None and counts(filled) == (1, 1)


def test_unknown_articles_and_bad_names_are_clear_errors(filled: Store) -> None:
    with pytest.raises(UnknownArticle, match="no stored article with content hash"):
        record(filled, "0" * 64, "ana", [Decision(kind="status", status="done")])
    with pytest.raises(UnknownArticle, match="no stored article 999"):
        resolve_article(filled, 999)
    with pytest.raises(InputError, match="neither an article id nor a content hash"):
        resolve_article(filled, "'; DROP TABLE reviews; --")
    with pytest.raises(InputError, match="reviewer name"):
        record(filled, hash_of(filled, "sure"), "", [])
    assert resolve_article(filled, hash_of(filled, "sure").upper()).content_hash == hash_of(filled, "sure")


def test_concurrent_writes_to_one_review_lose_nothing(filled: Store) -> None:
    content_hash = hash_of(filled, "sure")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(4):
                start = worker * 8 + n * 2
                record(filled, content_hash, "ana", [Decision(kind="add", span=span(start, start + 1))])
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    result = review(filled, content_hash, "ana")
    assert result is not None and len(result.spans) == 12
    assert len(decisions_of(filled, content_hash, "ana")) == 12


# -- the queue ----------------------------------------------------------------------------------------


def test_queue_puts_the_least_certain_first_and_articles_without_labels_last(filled: Store) -> None:
    page = review_queue(filled, "ana")
    assert [(i.title, i.confidence, i.labels) for i in page.items] == [
        ("unsure", 0.3, 1),
        ("middling", 0.6, 2),
        ("sure", 0.9, 1),
        ("none", None, 0),
    ]
    assert page.total == 4 and page.model == "test-model==1"
    assert {i.status for i in page.items} == {"unreviewed"}
    second = review_queue(filled, "ana", limit=2, offset=1)
    assert [i.title for i in second.items] == ["middling", "sure"] and second.total == 4


def test_queue_filters(filled: Store) -> None:
    assert titles(filled, filters=CorpusFilter(sources=["Beacon"])) == ["sure", "none"]
    assert titles(filled, filters=CorpusFilter(languages=["de"])) == ["middling"]
    assert titles(filled, filters=CorpusFilter(techniques=["Loaded_Language"])) == ["middling", "sure"]
    assert titles(filled, min_confidence=0.5) == ["middling", "sure"]
    assert titles(filled, max_confidence=0.6) == ["unsure", "middling"]
    assert titles(filled, min_confidence=0.31, max_confidence=0.89) == ["middling"]
    assert titles(filled, filters=CorpusFilter(sources=["Nowhere"])) == []
    with pytest.raises(InputError, match="unknown review status"):
        review_queue(filled, "ana", statuses=["finished"])  # type: ignore[list-item]
    with pytest.raises(InputError, match="limit"):
        review_queue(filled, "ana", limit=0)


def test_queue_shows_and_filters_review_status_per_reviewer(filled: Store) -> None:
    record(filled, hash_of(filled, "middling"), "ana", [Decision(kind="status", status="done")])
    record(filled, hash_of(filled, "sure"), "ana", [Decision(kind="accept", span=span(4, 11))])
    record(filled, hash_of(filled, "unsure"), "ben", [Decision(kind="status", status="done")])
    page = review_queue(filled, "ana")
    assert {i.title: i.status for i in page.items} == {
        "unsure": "unreviewed",
        "middling": "done",
        "sure": "in_progress",
        "none": "unreviewed",
    }
    assert {i.title: i.reviews for i in page.items}["unsure"] == {"ben": "done"}
    assert titles(filled, statuses=["unreviewed"]) == ["unsure", "none"]
    assert titles(filled, statuses=["in_progress", "done"]) == ["middling", "sure"]


def test_assignment_by_id_hash_and_slice(filled: Store) -> None:
    ids = {i.title: i.id for i in review_queue(filled, "ana").items}
    assert assign(filled, [ids["sure"], hash_of(filled, "none")], "ana", by="lead") == 2
    assert assign(filled, [str(ids["sure"])], "ana") == 0  # assigned already
    assert titles(filled, assigned_to="ana") == ["sure", "none"]
    assert assign(filled, CorpusFilter(sources=["Herald"]), "ben") == 2
    page = review_queue(filled, "ana")
    assert {i.title: i.assigned_to for i in page.items} == {
        "unsure": ["ben"],
        "middling": ["ben"],
        "sure": ["ana"],
        "none": ["ana"],
    }
    with pytest.raises(UnknownArticle):  # one unknown article: nothing is assigned
        assign(filled, [ids["middling"], 999_999], "ana")
    assert titles(filled, assigned_to="ana") == ["sure", "none"]
    assert unassign(filled, [ids["none"], ids["middling"]], "ana") == 1
    assert titles(filled, assigned_to="ana") == ["sure"]
    with pytest.raises(InputError, match="reviewer name"):
        assign(filled, [ids["sure"]], "")


def test_unreviewed_tasks_are_the_least_certain_of_the_slice(filled: Store) -> None:
    def titles_and_total(**options: Any) -> tuple[list[str | None], int]:
        tasks, total = unreviewed_in_store(filled, **options)
        return [article.title for article, _, _ in tasks], total

    assert titles_and_total(reviewer="ana", limit=2) == (["unsure", "middling"], 4)
    record(filled, hash_of(filled, "unsure"), "ana", [Decision(kind="status", status="done")])
    assert titles_and_total(reviewer="ana") == (["middling", "sure", "none"], 3)
    assert titles_and_total(reviewer="ben")[1] == 4  # Ana's review is not Ben's
    assert titles_and_total() == (["middling", "sure", "none"], 3)  # nobody's review
    assert titles_and_total(filters=CorpusFilter(sources=["Beacon"])) == (["sure", "none"], 2)
    assert titles_and_total(filters=CorpusFilter(techniques=["Doubt"])) == (["middling"], 1)
    with pytest.raises(InputError, match="1 to 5,000"):
        unreviewed_in_store(filled, limit=0)


# -- the migration ------------------------------------------------------------------------------------


def test_the_review_tables_migrate_onto_an_existing_corpus_and_back(store_url: str) -> None:
    engine = sa.create_engine(database_url(store_url))
    try:
        migrate(engine)
        add_analyses(engine, [analysis([("Plain words here.", [], [])], source="Old")])
        downgrade(engine, "0001")  # a corpus from before reviews
        assert "reviews" not in sa.inspect(engine).get_table_names()
        migrate(engine)
        assert {"reviews", "review_decisions", "review_assignments"} <= set(sa.inspect(engine).get_table_names())
        with Store(store_url) as store:
            item = review_queue(store, "ana").items[0]
            record(store, item.content_hash, "ana", [Decision(kind="status", status="done")])
            assert review_queue(store, "ana").items[0].status == "done"
        downgrade(engine, "0001")
        names = set(sa.inspect(engine).get_table_names())
        assert "reviews" not in names and "review_assignments" not in names and "articles" in names
    finally:
        engine.dispose()


def test_the_queue_order_is_filled_in_for_a_corpus_stored_before_it(store_url: str) -> None:
    engine = sa.create_engine(database_url(store_url))
    try:
        migrate(engine)
        add_analyses(engine, corpus())
        before = _row_counts(engine)
        downgrade(engine, "0003")  # articles without their confidence and label count
        assert {"confidence", "labels"}.isdisjoint(c["name"] for c in sa.inspect(engine).get_columns("articles"))
        assert _row_counts(engine) == before  # dropping the columns dropped no rows
        migrate(engine)
        with Store(store_url) as store:
            page = review_queue(store, "ana")
        assert [(i.title, i.confidence, i.labels) for i in page.items] == [
            ("unsure", 0.3, 1),
            ("middling", 0.6, 2),
            ("sure", 0.9, 1),
            ("none", None, 0),
        ]
    finally:
        engine.dispose()


def _row_counts(engine: sa.Engine) -> list[int]:
    with engine.connect() as connection:
        tables = (t.articles, t.paragraphs, t.paragraph_techniques, t.spans)
        return [int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0) for table in tables]
