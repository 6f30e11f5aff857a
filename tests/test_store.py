"""The corpus store on SQLite and PostgreSQL: import, idempotency, and each question answered by hand."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

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
from unspin.corpus.stats.significance import benjamini_hochberg
from unspin.errors import InputError, StoreError
from unspin.store import CorpusFilter, Store
from unspin.store import tables as t
from unspin.store.articles import get_analysis, list_articles, overview, search
from unspin.store.compare import compare
from unspin.store.queries import rates, trend
from unspin.store.synthetic import synthetic_analyses

MODEL = {"name": "test-model", "version": "1"}


def make_analysis(
    paragraphs: list[tuple[str, list[str], list[tuple[str, str]]]],
    *,
    date: str | None,
    source: str | None,
    language: str = "en",
    genre: str = "opinion",
    frames: tuple[str, ...] = (),
    model: dict[str, str] = MODEL,
    title: str | None = None,
) -> Analysis:
    """Paragraphs as (text, techniques, [(technique, span text)]); spans are found by substring."""
    text = (f"date {date} " if date else "") + "\n\n".join(p[0] for p in paragraphs)
    article = Article.from_text(text, source=source, language=language, title=title)
    analysed = []
    for (_, techniques, spans), p in zip(paragraphs, article.paragraphs, strict=True):
        found = []
        for technique, fragment in spans:
            start = text.index(fragment, p.start)
            found.append(Span(start, start + len(fragment), technique, 0.9, fragment))
        analysed.append(
            ParagraphAnalysis(p.number, p.start, p.end, tuple(TechniqueScore(x, 0.8) for x in techniques), tuple(found))
        )
    genre_probabilities = {"opinion": 0.1, "reporting": 0.1, "satire": 0.1} | {genre: 0.8}
    return Analysis(
        article,
        genre,
        genre_probabilities,
        tuple(LabelScore(f, 0.7) for f in frames),
        dict.fromkeys(frames, 0.7),
        tuple(analysed),
        dict(model),
    )


def small_corpus() -> list[Analysis]:
    return [
        make_analysis(
            [
                (
                    "The corrupt regime lies again today.",
                    ["Loaded_Language", "Name_Calling-Labeling"],
                    [("Loaded_Language", "corrupt"), ("Name_Calling-Labeling", "corrupt regime")],
                ),
                ("Our nation will prevail over them.", ["Flag_Waving"], [("Flag_Waving", "Our nation")]),
            ],
            date="2024-01-10",
            source="Beacon",
            frames=("Political",),
        ),
        make_analysis(
            [("Prices rose by two percent in March.", [], []), ("Officials expect stable prices.", [], [])],
            date="2024-01-11",
            source="Wire",
            genre="reporting",
            frames=("Economic",),
        ),
        make_analysis(
            [("A shameful and corrupt deal was signed.", ["Loaded_Language"], [("Loaded_Language", "shameful")])],
            date="2024-02-05",
            source="Beacon",
            language="fr",
            frames=("Political", "Economic"),
        ),
    ]


def test_import_is_idempotent_and_keeps_model_versions(store: Store) -> None:
    corpus = small_corpus()
    assert (store.add(corpus).added, store.add(corpus).skipped) == (3, 3)
    newer = [replace(a, model={"name": "test-model", "version": "2"}) for a in corpus]
    assert store.add(newer).added == 3
    assert [m["version"] for m in store.models()] == ["2", "1"]
    with store.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(t.articles)) == 6
    assert overview(store).articles == 3  # the latest model by default
    assert overview(store, CorpusFilter(model="1")).articles == 3
    with pytest.raises(InputError, match="no analyses by model"):
        overview(store, CorpusFilter(model="9"))


def test_duplicates_within_one_batch_are_stored_once(store: Store) -> None:
    corpus = small_corpus()
    assert store.add(corpus + corpus).added == 3


def test_stored_analysis_round_trips(store: Store) -> None:
    corpus = small_corpus()
    store.add(corpus)
    first = list_articles(store, CorpusFilter(sources=["Beacon"], languages=["en"]))[0]
    stored = get_analysis(store, first.id)
    assert stored is not None
    expected = corpus[0].to_dict()
    assert stored.to_dict() == expected
    assert get_analysis(store, 10**9) is None


def test_rates_by_source_are_counted_by_hand(store: Store) -> None:
    store.add(small_corpus())
    rows = {(r.group, r.label): r for r in rates(store)}
    loaded = rows[("Beacon", "Loaded_Language")]
    words = 6 + 6 + 7  # words in the paragraphs of both Beacon articles (not the date header)
    assert (loaded.articles, loaded.words, loaded.count, loaded.articles_with, loaded.spans) == (2, words, 2, 2, 2)
    assert loaded.per_1000_words == pytest.approx(2000 / words, abs=1e-5)
    assert loaded.per_article == 1.0 and loaded.share_of_articles == 1.0
    assert not [r for r in rates(store) if r.group == "Wire"]
    categories = {(r.group, r.label): r.count for r in rates(store, level="category")}
    assert categories[("Beacon", "manipulative_wording")] == 2
    assert categories[("Beacon", "attack_on_reputation")] == 1


def test_rates_per_period_and_language(store: Store) -> None:
    store.add(small_corpus())
    monthly = {(r.period, r.label): r.count for r in rates(store, by="none", period="month")}
    assert monthly[(dt.date(2024, 1, 1), "Loaded_Language")] == 1
    assert monthly[(dt.date(2024, 2, 1), "Loaded_Language")] == 1
    weekly = {r.period for r in rates(store, by="none", period="week")}
    assert weekly == {dt.date(2024, 1, 8), dt.date(2024, 2, 5)}  # Mondays
    by_language = {(r.group, r.label) for r in rates(store, by="language")}
    assert ("fr", "Loaded_Language") in by_language and ("fr", "Flag_Waving") not in by_language


def test_filters_narrow_and_unknown_values_give_empty_results(store: Store) -> None:
    store.add(small_corpus())
    assert {r.label for r in rates(store, CorpusFilter(date_from=dt.date(2024, 2, 1)))} == {"Loaded_Language"}
    assert {r.group for r in rates(store, CorpusFilter(languages=["en"]))} == {"Beacon"}
    flagged = rates(store, CorpusFilter(techniques=["Flag_Waving"]))
    assert {r.label for r in flagged} == {"Flag_Waving"} and flagged[0].articles == 1
    loaded = overview(store, CorpusFilter(techniques=["Loaded_Language"]))
    assert (loaded.articles, loaded.words, loaded.sources, loaded.languages) == (
        2,
        19,
        {"Beacon": 2},
        {"en": 1, "fr": 1},
    )
    assert (loaded.first_date, loaded.last_date, loaded.undated) == (dt.date(2024, 1, 10), dt.date(2024, 2, 5), 0)
    nothing = CorpusFilter(sources=["No such outlet"])
    assert (
        rates(store, nothing) == [] and list_articles(store, nothing) == [] and search(store, "corrupt", nothing) == []
    )
    assert overview(store, nothing).articles == 0
    assert trend(store, "Loaded_Language", nothing).series == []


def test_a_misspelt_technique_is_an_error_not_an_empty_answer(store: Store) -> None:
    """A typo used to match nothing: every rate 0, read as "this outlet never uses it"."""
    store.add(small_corpus())
    for ask in (
        lambda: trend(store, "Loaded_Langauge"),
        lambda: rates(store, CorpusFilter.build(techniques=["Loaded_Langauge"])),
        lambda: list_articles(store, CorpusFilter.build(techniques=["loaded langauge"])),
    ):
        with pytest.raises(InputError, match="did you mean 'Loaded_Language'"):
            ask()
    with pytest.raises(InputError, match="unknown frame 'Securty'; did you mean 'Security_and_defense'"):
        trend(store, "Securty", kind="frame")
    with pytest.raises(InputError, match="unknown frame"):
        list_articles(store, frame="Not a frame")


def test_techniques_and_frames_by_label_or_name_in_any_case(store: Store) -> None:
    store.add(small_corpus())
    expected = trend(store, "Loaded_Language", period="month")
    assert any(p.count for s in expected.series for p in s.points)
    for name in ("loaded language", "LOADED LANGUAGE", "Loaded-Language"):
        assert trend(store, name, period="month") == expected
        filtered = CorpusFilter(techniques=[name])
        assert filtered.techniques == ["Loaded_Language"]
        assert rates(store, filtered) == rates(store, CorpusFilter(techniques=["Loaded_Language"]))
    frame = trend(store, "Political", kind="frame", period="month")
    assert any(p.count for s in frame.series for p in s.points)
    assert trend(store, "political", kind="frame", period="month") == frame
    assert list_articles(store, frame="ECONOMIC") == list_articles(store, frame="Economic") != []


@pytest.mark.parametrize("hostile", ["'; DROP TABLE articles; --", "%", "_", '"', "\\", "Beacon' OR '1'='1"])
def test_hostile_filter_values_are_bound_not_formatted(store: Store, hostile: str) -> None:
    store.add(small_corpus())
    hostile_filter = CorpusFilter(sources=[hostile], languages=[hostile])
    assert rates(store, hostile_filter) == [] and list_articles(store, hostile_filter) == []
    with pytest.raises(InputError, match="unknown persuasion technique"):  # no technique: an error, never SQL
        CorpusFilter.build(techniques=[hostile])
    assert search(store, hostile) == [] or all(h.article.source for h in search(store, hostile))
    assert search(store, "corrupt", hostile_filter) == []
    assert overview(store).articles == 3  # nothing was dropped


def test_a_nul_character_in_a_filter_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="NUL"):
        CorpusFilter.build(sources=["Bea\x00con"])


def test_genre_and_frame_trends(store: Store) -> None:
    store.add(small_corpus())
    genre = trend(store, "reporting", kind="genre", period="month", by="none")
    assert [(p.period, p.value) for p in genre.series[0].points] == [
        (dt.date(2024, 1, 1), 0.5),
        (dt.date(2024, 2, 1), 0.0),
    ]
    frames = trend(store, "Economic", kind="frame", period="month", by="none")
    assert [p.count for p in frames.series[0].points] == [1, 1]
    assert frames.measure == "share_of_articles"


def test_trend_finds_the_shift_of_the_synthetic_corpus(store: Store) -> None:
    store.add(synthetic_analyses(1200, sources=2, shift_date=dt.date(2024, 7, 1)))
    series = trend(store, "manipulative_wording", kind="category", period="week", by="none").series[0]
    assert series.change_points, "the doubled rate after July should be found"
    assert any(abs((p - dt.date(2024, 7, 1)).days) <= 21 for p in series.change_points)


def test_compare_finds_the_over_represented_technique(store: Store) -> None:
    store.add(synthetic_analyses(600, sources=2, shift_date=dt.date(2024, 7, 1)))
    after = CorpusFilter(date_from=dt.date(2024, 7, 1))
    before = CorpusFilter(date_to=dt.date(2024, 6, 30))
    rows = compare(store, after, before)
    top = rows[0]
    assert top.rate_ratio > 1 and top.ci_low > 1 and top.over_represented_in == "a"
    assert all(r.q_value >= r.p_value for r in rows)
    assert compare(store, after, CorpusFilter(sources=["nobody"])) == []


def test_benjamini_hochberg_matches_a_worked_example() -> None:
    # sorted: 0.01*4/1=0.04, 0.03*4/2=0.06, 0.04*4/3=0.0533, 0.5; then made monotone from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_search_articles_and_spans(store: Store) -> None:
    store.add(small_corpus())
    hits = search(store, "corrupt")
    assert {h.article.source for h in hits} == {"Beacon"} and len(hits) == 2
    hit = hits[0]
    assert all(hit.snippet[a:b].lower() == "corrupt" for a, b in hit.highlights)
    assert [h.article.language for h in search(store, "corrupt", CorpusFilter(languages=["fr"]))] == ["fr"]
    assert search(store, '"corrupt regime"')[0].article.language == "en"
    spans = search(store, "corrupt", target="spans")
    assert {h.span_technique for h in spans} == {"Loaded_Language", "Name_Calling-Labeling"}
    only = search(store, "corrupt", CorpusFilter(techniques=["Name_Calling-Labeling"]), target="spans")
    assert [h.span_technique for h in only] == ["Name_Calling-Labeling"]
    for syntax in ["corrupt AND", "NEAR(corrupt", '"', "*", "a OR", "(((", "prices:"]:
        search(store, syntax)  # FTS syntax in user input is never an error
    assert search(store, "   ") == []
    with pytest.raises(InputError, match="limit"):
        search(store, "corrupt", limit=0)


def test_undated_and_sourceless_articles_are_counted(store: Store) -> None:
    store.add([make_analysis([("Shameful lies.", ["Loaded_Language"], [])], date=None, source=None)])
    view = overview(store)
    assert (view.articles, view.undated, view.sources) == (1, 1, {"": 1})
    assert rates(store)[0].count == 1
    assert rates(store, period="month") == []


def test_a_bad_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store("mysql://somewhere/db")
    with pytest.raises(StoreError, match="cannot open the database"):
        Store("postgresql://nobody:secret@127.0.0.1:1/none")
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("just text, not SQLite\n" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store(not_a_db)


def test_import_jsonl_reports_bad_lines(store: Store, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    good = [json.dumps(a.to_dict()) for a in small_corpus()]
    results.write_text("\n".join([good[0], "{not json", good[1], '{"schema_version": "1.0"}', good[2]]) + "\n")
    errors: list[tuple[str, str]] = []
    stats = store.import_jsonl(results, on_error=lambda where, why: errors.append((where, why)))
    assert stats.added == 3 and [w.rsplit(":", 1)[1] for w, _ in errors] == ["2", "4"]
    with pytest.raises(InputError, match=r"results\.jsonl:2"):
        store.import_jsonl(results)


IMPORT_SCRIPT = """
import sys, time
from unspin.store import Store
from unspin.store.synthetic import synthetic_analyses
def slow():
    for i, analysis in enumerate(synthetic_analyses(4000, sources=3)):
        if i == 150:
            print("started", flush=True)
        yield analysis
with Store(sys.argv[1]) as store:
    print(store.add(slow(), batch_size=50), flush=True)
"""


def test_an_interrupted_import_is_consistent_and_can_be_rerun(store_url: str, tmp_path: Path) -> None:
    script = tmp_path / "import.py"
    script.write_text(IMPORT_SCRIPT)
    process = subprocess.Popen([sys.executable, str(script), store_url], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "started"
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    with Store(store_url) as store:
        partial = _counts(store)
        assert 0 < partial["articles"] < 4000
        assert partial["articles"] % 50 == 0, "only whole batches are committed"
        assert partial["agg_articles"] == partial["articles"], "aggregates commit with their rows"
        store.add(synthetic_analyses(4000, sources=3), batch_size=500)
        complete = _counts(store)
    assert complete["articles"] == complete["agg_articles"] == 4000
    assert complete["paragraphs"] > partial["paragraphs"]


def _counts(store: Store) -> dict[str, int]:
    with store.connect() as connection:
        return {
            "articles": connection.scalar(sa.select(sa.func.count()).select_from(t.articles)),
            "paragraphs": connection.scalar(sa.select(sa.func.count()).select_from(t.paragraphs)),
            "agg_articles": connection.scalar(sa.select(sa.func.coalesce(sa.func.sum(t.agg_articles.c.articles), 0))),
        }


def test_change_points_match_ruptures_pelt() -> None:
    ruptures = pytest.importorskip("ruptures")
    import numpy as np

    from unspin.corpus.stats.changepoints import pelt_l2

    rng = np.random.default_rng(7)
    for _ in range(40):
        values = np.concatenate(
            [rng.normal(rng.uniform(0, 5), 1, rng.integers(3, 30)) for _ in range(rng.integers(1, 5))]
        )
        penalty = float(rng.uniform(1, 20))
        expected = ruptures.Pelt(model="l2", min_size=3, jump=1).fit(values).predict(pen=penalty)
        assert pelt_l2(values, penalty, 3) == expected
