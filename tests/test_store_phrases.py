"""Top phrases, their entities, and technique co-occurrence, on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from unspin.analysis import (
    Analysis,
    LabelScore,
    ParagraphAnalysis,
    Span,
    TechniqueScore,
)
from unspin.article import Article
from unspin.corpus.stats.phrases import entities_in
from unspin.errors import InputError
from unspin.store import CorpusFilter, Store
from unspin.store import tables as t
from unspin.store.phrases import cooccurrence, top_phrases

LOADED, DOUBT, FLAG = "Loaded_Language", "Doubt", "Flag_Waving"
HOSTILE = ["'; DROP TABLE spans; --", "%", "_", 'O\'Brien "quoted"', "\\", "*", '"a" OR 1=1']


def analysis(
    paragraphs: list[tuple[str, dict[str, list[str]]]],
    *,
    source: str = "Outlet A",
    date: dt.date | None = dt.date(2024, 3, 15),
    doc_id: str = "a",
) -> Analysis:
    """An analysis of ``paragraphs``: (text, {technique: [span texts found in the paragraph]})."""
    article = Article.from_text(
        "\n\n".join(text for text, _ in paragraphs), id=doc_id, source=source, language="en", date=date
    )
    analysed = []
    for p, (_, labels) in zip(article.paragraphs, paragraphs, strict=False):
        spans = []
        for technique, texts in labels.items():
            for text in texts:
                start = article.text.index(text, p.start, p.end)
                spans.append(Span(start, start + len(text), technique, 0.9, text))
        analysed.append(
            ParagraphAnalysis(
                p.number,
                p.start,
                p.end,
                tuple(TechniqueScore(x, 0.9) for x in labels),
                tuple(sorted(spans, key=lambda s: (s.start, s.end))),
            )
        )
    return Analysis(
        article,
        "opinion",
        {"opinion": 1.0},
        (LabelScore("Morality", 0.9),),
        {"Morality": 0.9},
        tuple(analysed),
        {"name": "test", "version": "1"},
    )


@pytest.fixture
def phrase_store(store: Store) -> Store:
    store.add(
        [
            analysis(
                [
                    ("The WEST's lies are everywhere, said Sergei Lavrov.", {LOADED: ["The WEST's"]}),
                    (
                        "Again the west's plan fails in Kyiv, a shameful farce.",
                        {LOADED: ["the west's", "shameful farce"]},
                    ),
                    ("Nothing here.", {}),
                ],
                doc_id="a1",
            ),
            analysis(
                [
                    (
                        "They spread lies about the West's war, wrote Lavrov from Moscow.",
                        {LOADED: ["the West's"], DOUBT: ["lies"]},
                    )
                ],
                source="Outlet B",
                doc_id="a2",
            ),
        ]
    )
    return store


def test_phrases_are_counted_normalised(phrase_store: Store) -> None:
    rows = top_phrases(phrase_store, technique=LOADED)
    assert [(r.phrase, r.count, r.articles) for r in rows] == [("west's", 3, 2), ("shameful farce", 1, 1)]
    assert rows[0].example == "The WEST's"  # the first stored span, as written


def test_phrases_lose_stop_words_at_their_ends_and_fragments_are_dropped(store: Store) -> None:
    store.add(
        [
            analysis(
                [
                    ("They are nothing but clowns and parasites who lie.", {LOADED: ["are nothing but clowns and"]}),
                    ("Nothing but clowns and parasites, all of them.", {LOADED: ["Nothing but clowns"]}),
                    ("And the rest of it is a farce.", {LOADED: ["And the", "a"]}),
                    ("We will never surrender, and we must wake up now.", {LOADED: ["never surrender", "wake up now"]}),
                ],
                doc_id="stop",
            )
        ]
    )
    rows = top_phrases(store, technique=LOADED, entities=0)
    assert sorted((r.phrase, r.count) for r in rows) == [
        ("never surrender", 1),  # a negation stays
        ("nothing but clowns", 2),  # "are" and "and" trimmed: one phrase with the second span
        ("wake up now", 1),  # so do particles and words of time
    ]
    assert {r.example for r in rows if r.phrase == "nothing but clowns"} == {"are nothing but clowns and"}


def test_the_migration_trims_the_phrases_of_an_existing_store(tmp_path) -> None:
    from unspin.corpus.stats.phrases import WORD
    from unspin.store.db import downgrade, migrate

    path = tmp_path / "old.db"
    with Store(path) as store:
        store.add([analysis([("And the west's lies, again.", {LOADED: ["And the west's lies", "And the"]})])])
        downgrade(store.engine, "0003")
        with store.engine.begin() as connection:  # the phrases as the first schema stored them: every word
            for span_id, text in connection.execute(sa.select(t.spans.c.id, t.spans.c.text)).all():
                old = " ".join(WORD.findall(text.casefold()))
                connection.execute(sa.update(t.spans).where(t.spans.c.id == span_id).values(phrase=old))
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0002'"))
        assert [r.phrase for r in top_phrases(store, technique=LOADED)] == ["and the", "and the west's lies"]
        migrate(store.engine)
        assert [r.phrase for r in top_phrases(store, technique=LOADED)] == ["west's lies"]


def test_entities_come_from_the_phrases_paragraphs(phrase_store: Store) -> None:
    west = top_phrases(phrase_store, technique=LOADED)[0]
    assert [(e.entity, e.paragraphs) for e in west.entities] == [
        ("Kyiv", 1),
        ("Lavrov", 1),
        ("Moscow", 1),
        ("Sergei Lavrov", 1),
    ]
    assert top_phrases(phrase_store, technique=LOADED, entities=0)[0].entities == []
    assert len(top_phrases(phrase_store, technique=LOADED, entities=2)[0].entities) == 2


def test_phrases_are_ranked_per_technique(phrase_store: Store) -> None:
    rows = top_phrases(phrase_store, limit=1)
    assert [(r.technique, r.phrase) for r in rows] == [(DOUBT, "lies"), (LOADED, "west's")]
    assert [r.phrase for r in top_phrases(phrase_store, CorpusFilter(techniques=[DOUBT]))] == ["lies"]
    assert top_phrases(phrase_store, CorpusFilter(techniques=[DOUBT]), technique=LOADED) == []
    only_b = top_phrases(phrase_store, CorpusFilter(sources=["Outlet B"]), technique=LOADED)
    assert [(r.phrase, r.count) for r in only_b] == [("west's", 1)]


@pytest.mark.parametrize(
    "filters",
    [
        CorpusFilter(sources=["Nobody"]),
        CorpusFilter(languages=["xx"]),
        CorpusFilter(date_from=dt.date(2030, 1, 1)),
        CorpusFilter(sources=HOSTILE),
    ],
)
def test_filters_matching_nothing_give_empty_lists(phrase_store: Store, filters: CorpusFilter) -> None:
    assert top_phrases(phrase_store, filters) == []
    assert cooccurrence(phrase_store, filters) == []


def test_a_technique_by_name_in_any_case_counts_the_same(phrase_store: Store) -> None:
    expected = top_phrases(phrase_store, technique=LOADED)
    for name in ("loaded language", "LOADED LANGUAGE", "Loaded-Language"):
        assert top_phrases(phrase_store, technique=name) == expected


def test_hostile_values_are_harmless(phrase_store: Store) -> None:
    for value in HOSTILE:  # never a technique: a clear error, not an empty answer that reads as "none found"
        with pytest.raises(InputError, match="unknown persuasion technique"):
            top_phrases(phrase_store, technique=value)
    with phrase_store.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(t.spans)) == 5


def test_bad_limits_are_input_errors(phrase_store: Store) -> None:
    with pytest.raises(InputError):
        top_phrases(phrase_store, limit=0)
    with pytest.raises(InputError):
        cooccurrence(phrase_store, min_count=0)


@pytest.mark.parametrize(
    ("text", "skip", "expected"),
    [
        (
            "The European Union and NATO met Mr Smith of the Bank of England.",
            None,
            ["European Union", "NATO", "Smith", "Bank of England"],
        ),
        ("Energy prices rose. The energy minister blamed Russia's war. US officials agreed.", None, ["Russia", "US"]),
        ("Russia said the West lies.", None, ["Russia", "West"]),
        ("They call the Nazi regime in Kyiv a threat, said Sergei Lavrov.", (14, 25), ["Kyiv", "Sergei Lavrov"]),
        (
            "Selon Emmanuel Macron, l'Union européenne doit agir face à la Russie et la Banque de France.",
            None,
            ["Emmanuel Macron", "Union", "Russie", "Banque de France"],
        ),
        ("«Le gouvernement ment», a déclaré Marine Le Pen à Paris.", None, ["Marine Le Pen", "Paris"]),
        (
            "Как заявил Владимир Путин, Запад ведёт войну против России. Это ложь, говорят в Киеве и в НАТО.",
            None,
            ["Владимир Путин", "Запад", "России", "Киеве", "НАТО"],
        ),
        ("Война. Война никогда не меняется, сказал Зеленский.", None, ["Война", "Зеленский"]),
        ("Нефть дорожает. Нефть и газ: нефть дешевеет.", None, []),
        ("THIS IS THE END OF THE WORLD AS WE KNOW IT", None, []),
    ],
)
def test_entity_heuristic(text: str, skip: tuple[int, int] | None, expected: list[str]) -> None:
    assert entities_in(text, skip=skip) == expected


def _pairs_store(store: Store) -> Store:
    """Article 1: {L, D}, {L, D, F}, {}; article 2: {L}, {D, F}: 5 paragraphs; L 3, D 3, F 2."""
    store.add(
        [
            analysis(
                [("One.", {LOADED: [], DOUBT: []}), ("Two.", {LOADED: [], DOUBT: [], FLAG: []}), ("Three.", {})],
                doc_id="p1",
                date=dt.date(2024, 3, 15),
            ),
            analysis(
                [("Four.", {LOADED: []}), ("Five.", {DOUBT: [], FLAG: []})],
                source="Outlet B",
                doc_id="p2",
                date=dt.date(2024, 4, 10),
            ),
        ]
    )
    return store


def test_cooccurrence_counts_and_lift(store: Store) -> None:
    rows = cooccurrence(_pairs_store(store))
    assert [(r.technique_a, r.technique_b, r.paragraphs, r.paragraphs_a, r.paragraphs_b) for r in rows] == [
        (DOUBT, FLAG, 2, 3, 2),
        (DOUBT, LOADED, 2, 3, 3),
        (FLAG, LOADED, 1, 2, 3),
    ]
    assert [r.lift for r in rows] == [pytest.approx(10 / 6), pytest.approx(10 / 9), pytest.approx(5 / 6)]
    assert rows[0].expected == pytest.approx(6 / 5)
    assert rows[0].pmi == pytest.approx(0.736966, abs=1e-6)


def test_cooccurrence_filters(store: Store) -> None:
    _pairs_store(store)
    assert [r.paragraphs for r in cooccurrence(store, min_count=2)] == [2, 2]
    with_flag = cooccurrence(store, CorpusFilter(techniques=[FLAG]))
    assert [(r.technique_a, r.technique_b, round(r.lift, 4)) for r in with_flag] == [
        (DOUBT, FLAG, round(10 / 6, 4)),
        (FLAG, LOADED, round(5 / 6, 4)),
    ]  # the lift ignores the technique filter
    only_b = cooccurrence(store, CorpusFilter(sources=["Outlet B"]))
    assert [(r.technique_a, r.technique_b, r.paragraphs, r.lift) for r in only_b] == [(DOUBT, FLAG, 1, 2.0)]
    march = CorpusFilter(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31))  # a whole month
    from_mid_march = CorpusFilter(date_from=dt.date(2024, 3, 10))  # partial months at the ends
    assert [r.paragraphs for r in cooccurrence(store, march)] == [2, 1, 1]
    assert [r.paragraphs for r in cooccurrence(store, from_mid_march)] == [2, 2, 1]
