"""`unspin train --extra`: fine-tune the shipped bundle on reviewed articles (JSON Lines).

The tiny fine-tune needs only the shipped bundle; the part with replay and validation
figures needs ../shared/data and skips without it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import unspin
from unspin.article import Article
from unspin.cli import main
from unspin.config import default_model_path
from unspin.review.jsonl import reviewed_record
from unspin.review.model import Review, ReviewSpan
from unspin.store import Store
from unspin.train.finetune import ReviewedExample, fine_tuned_version, is_held_out

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2023"
BASE = default_model_path()

PARAGRAPHS = (
    "The corrupt elite in {city} will stop at nothing to silence ordinary people, a betrayal without precedent.",
    "Officials said the council met on Tuesday to discuss the budget for {year}.",
    "Either we act now or {city} is lost forever: there is no other way.",
)
PHRASES = (("corrupt elite", "Name_Calling-Labeling"), ("betrayal without precedent", "Loaded_Language"))
CITIES = ("Springfield", "Riverton", "Lakeside", "Hillview", "Oakdale", "Brookfield", "Fairview", "Greenville")


def _article(number: int) -> Article:
    city, year = CITIES[number % len(CITIES)], 2000 + number
    text = "\n\n".join(p.format(city=city, year=year) for p in PARAGRAPHS)
    return Article.from_text(text, id=f"desk-{number}", language="en")


def _review(article: Article, reviewer: str, status: str = "done", **changes: object) -> Review:
    spans = []
    for phrase, technique in PHRASES:
        start = article.text.index(phrase)
        spans.append(ReviewSpan(start=start, end=start + len(phrase), technique=technique, origin="reviewer"))
    fields: dict = {
        "content_hash": article.content_hash,
        "reviewer": reviewer,
        "status": status,
        "spans": spans,
        "paragraphs": {3: ["False_Dilemma-No_Choice"]},  # paragraphs 1 and 2 take the techniques of their spans
        "updated_at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    }
    return Review(**{**fields, **changes})


def _articles() -> list[Article]:
    """Reviewed articles with at least two held out and five to train on (the split is a fixed hash)."""
    chosen, held = [], 0
    for number in range(40):
        article = _article(number)
        if is_held_out(article.content_hash):
            if held < 2:
                chosen.append(article)
                held += 1
        elif len(chosen) - held < 5:
            chosen.append(article)
    assert held == 2 and len(chosen) == 7
    return chosen


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reviewed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    articles = _articles()
    records = [reviewed_record(_review(a, "alice"), article=a) for a in articles]
    records.append(reviewed_record(_review(articles[0], "bruno"), article=articles[0]))  # a second reviewer
    records.append(reviewed_record(_review(_article(99), "bruno", "in_progress"), article=_article(99)))  # left out
    return _write(tmp_path_factory.mktemp("extra") / "reviewed.jsonl", records)


@pytest.fixture(scope="module")
def tuned(reviewed_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finetune") / "bundle"
    assert main(["train", "--base", str(BASE), "--extra", str(reviewed_file), "--out", str(out), "--quick"]) == 0
    return out


def test_paragraph_labels_are_the_reviewers_else_those_of_the_spans() -> None:
    article = _article(1)
    example = ReviewedExample(article, _review(article, "alice"), ("alice",))
    assert example.labels() == {
        1: ("Loaded_Language", "Name_Calling-Labeling"),  # from its spans, in taxonomy order
        2: (),
        3: ("False_Dilemma-No_Choice",),  # set by the reviewer
    }
    first = example.paragraphs()[0]
    assert first.text[first.spans[0][0] : first.spans[0][1]] == "corrupt elite"


def test_fine_tuned_version_names_base_day_and_data() -> None:
    assert fine_tuned_version("0.2.0", dt.date(2026, 12, 7), "3f9a1c77") == "0.2.0+ft.20261207.3f9a1c"
    assert fine_tuned_version("0.2.0+ft.20261207.3f9a1c", dt.date(2027, 1, 2), "77aa02ff") == (
        "0.2.0+ft.20261207.3f9a1c.ft.20270102.77aa02"
    )


@pytest.mark.slow
def test_fine_tuned_bundle_loads_and_analyses(tuned: Path, tmp_path: Path) -> None:
    assert {p.name for p in tuned.iterdir()} == {p.name for p in BASE.iterdir()}
    assert (tuned / "network.safetensors").stat().st_size == (BASE / "network.safetensors").stat().st_size
    meta = json.loads((tuned / "meta.json").read_text())
    base = json.loads((BASE / "meta.json").read_text())
    assert meta["name"] == base["name"] and meta["version"].startswith(base["version"] + "+ft.")
    assert meta["decoding"] == base["decoding"] and meta["thresholds"] == base["thresholds"]
    text = "date 2026-12-07 The corrupt elite lies to you.\n\nThey will never win!"
    analysis = unspin.load(tuned)(text)
    assert len(analysis.paragraphs) == 2
    assert analysis.model["version"] == meta["version"]
    with Store(tmp_path / "corpus.db") as store:  # a corpus keeps the two models' analyses apart
        store.add([unspin.load(BASE)(text), analysis])
        assert {(m["name"], m["version"]) for m in store.models()} == {
            (base["name"], base["version"]),
            (meta["name"], meta["version"]),
        }


@pytest.mark.slow
def test_model_card_states_base_data_and_figures(tuned: Path) -> None:
    meta = json.loads((tuned / "meta.json").read_text())
    extra = meta["data"]["extra"]
    assert (extra["records"], extra["articles"], extra["held_out"]) == (9, 7, 2)
    assert extra["skipped"] == {"duplicate": 1, "in_progress": 1}
    assert extra["reviewers"] == ["alice", "bruno"] and extra["languages"]["en"]["articles"] == 7
    figures = meta["finetune"]["figures"]["held_out"]
    assert set(figures["before"]) == set(figures["after"]) == {"en", "all"}
    assert figures["after"]["all"]["paragraphs"] == 6  # two held-out articles of three paragraphs
    card = (tuned / "README.md").read_text()
    for needed in (
        f"# {meta['name']} {meta['version']}",
        f"base model: {meta['finetune']['base']['name']} {meta['finetune']['base']['version']}",
        "reviewers: alice, bruno",
        "## Before and after: held-out reviewed articles",
        "| en | before | 6 |",
        "| all | after | 6 |",
        "replay: none",
        "anchoring: none",
        "Not measured: no SemEval data was given",
    ):
        assert needed in card


@pytest.mark.slow
def test_rerun_resumes(tuned: Path, reviewed_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="unspin.train"):
        assert main(["train", "--extra", str(reviewed_file), "--out", str(tuned), "--quick"]) == 0
    assert "loaded the fitted network" in caplog.text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "reviewed.jsonl:1: not a reviewed article"),
        (json.dumps({"article": {"text": "Some text."}}), "reviewed.jsonl:1: not a reviewed article"),
        (
            json.dumps(reviewed_record(_review(_article(1), "alice"), article=_article(2))),
            "content_hash does not match",
        ),
        (
            json.dumps(reviewed_record(_review(_article(1), "alice", "in_progress"), article=_article(1))),
            "no review with status done to train on (1 in_progress)",
        ),
        (
            json.dumps(reviewed_record(_review(_article(1), "alice", paragraphs={7: []}), article=_article(1))),
            "labels paragraph 7, which the article does not have",
        ),
    ],
)
def test_malformed_extra_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    extra = tmp_path / "reviewed.jsonl"
    extra.write_text(line + "\n", encoding="utf-8")
    assert main(["train", "--extra", str(extra), "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "b").exists()


def test_bad_combinations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--extra", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "b")]) == 1
    assert "no such file of reviewed articles" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "b")]) == 2  # neither --data nor --extra
    assert "give --data" in capsys.readouterr().err
    extra = _write(tmp_path / "r.jsonl", [])
    assert main(["train", "--base", str(BASE), "--extra", str(extra), "--out", str(BASE)]) == 2
    assert "is the --base bundle" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data (not part of the repository)")
def test_with_data_replays_and_measures_validation(reviewed_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert main(["train", "--extra", str(reviewed_file), "--data", str(DATA), "--out", str(out), "--quick"]) == 0
    meta = json.loads((out / "meta.json").read_text())
    replay = meta["data"]["replay"]
    assert replay["paragraphs"] == 45 == sum(replay["languages"].values())  # three per reviewed paragraph (5 x 3)
    validation = meta["finetune"]["figures"]["validation"]
    assert set(validation["before"]) == set(validation["after"]) == {"en", "fr", "ge", "it", "po", "ru"}
    assert set(meta["metrics"]["views"]["lines"]) == set(validation["after"])  # the Analyzer's quality line
    anchor = meta["finetune"]["anchor"]  # 5 unlabelled test paragraphs per language in a quick run
    assert anchor["paragraphs"] == 30 and anchor["languages"] == dict.fromkeys(validation["after"], 5)
    assert len(anchor["shifts"]["paragraph"]) == len(anchor["shifts"]["token"]) == 23
    card = (out / "README.md").read_text()
    assert "## Before and after: unspin validation split (lines view)" in card and "| ru | after |" in card
    assert "- anchoring: each technique's head biases shifted" in card
