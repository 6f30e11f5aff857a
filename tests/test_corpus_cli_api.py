"""``unspin corpus`` and ``/v1/corpus`` over real HTTP: the same questions, the same answers, clear errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from unspin.cli import main
from unspin.store import Store
from unspin.store.queries import rates
from unspin.store.synthetic import synthetic_analyses


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.db"
    with Store(path) as store:
        store.add(synthetic_analyses(400, sources=3))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["corpus", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rates_as_json_match_the_python_function(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rates", "--db", corpus_db, "--source", "Outlet 2", "--period", "month", "--json")
    assert code == 0
    with Store(corpus_db) as store:
        from unspin.store import CorpusFilter

        expected = [r.model_dump(mode="json") for r in rates(store, CorpusFilter(sources=["Outlet 2"]), period="month")]
    assert json.loads(out) == expected and expected


def test_every_question_answers_on_the_terminal(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["info"],
        ["rates", "--level", "category"],
        ["trend", "Loaded_Language", "--period", "month"],
        ["compare", "--a-source", "Outlet 1", "--b-source", "Outlet 2"],
        ["search", "energy prices"],
        ["search", "energy", "--spans"],
        ["articles", "--technique", "Doubt", "--limit", "3"],
        ["phrases", "--of", "Doubt", "--limit", "3"],
        ["cooccurrence", "--min-count", "5"],
        ["narratives", "--build"],
    ):
        code, out, err = run(capsys, *args, "--db", corpus_db)
        assert code == 0, (args, err)
        assert out.strip(), args


def test_a_misspelt_technique_is_an_error_listing_the_close_matches(
    corpus_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo once gave a table of zeros, which reads as "the technique is absent"."""
    for args in (
        ["trend", "Loaded_Langauge"],
        ["rates", "--technique", "Loaded_Langauge"],
        ["articles", "--technique", "loaded langauge"],
        ["phrases", "--of", "LOADED LANGAUGE"],
    ):
        code, out, err = run(capsys, *args, "--db", corpus_db)
        assert code != 0 and out == "", args
        assert "unknown persuasion technique" in err and "did you mean 'Loaded_Language'?" in err, args
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, _, err = run(capsys, "trend", "securty and defense", "--kind", "frame", "--db", corpus_db)
    assert code != 0 and "did you mean 'Security_and_defense'?" in err


def test_techniques_by_name_in_any_case_answer_as_their_label(
    corpus_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = set()
    for name in ("Loaded_Language", "loaded language", "LOADED LANGUAGE"):
        code, out, _ = run(capsys, "trend", name, "--period", "month", "--json", "--db", corpus_db)
        assert code == 0 and json.loads(out)["label"] == "Loaded_Language"
        answers.add(out)
        code, out, _ = run(capsys, "rates", "--technique", name, "--json", "--db", corpus_db)
        assert code == 0 and {row["label"] for row in json.loads(out)} == {"Loaded_Language"}
        answers.add(out)
    assert len(answers) == 2  # one trend, one rates answer, whatever the spelling


def test_rates_read_as_one_table_by_name_long_or_wide(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, long, _ = run(capsys, "rates", "--period", "month", "--db", corpus_db)
    assert code == 0
    assert long.count("Techniques per 1,000 words") == 1  # one table (perhaps in blocks of columns), not one per source
    assert "Loaded language" in long and "Loaded_Language" not in long  # names, not labels
    assert "2024-03" in long and "2024-03-01" not in long  # months as people write them
    assert {"Outlet 1", "Outlet 2", "Outlet 3"} <= set(re.findall(r"Outlet \d", long))  # a source column
    code, wide, _ = run(capsys, "rates", "--wide", "--db", corpus_db)
    rows = [line for line in wide.splitlines() if line.startswith("│")]
    assert {line.split("│")[1].strip() for line in rows} == {"Outlet 1", "Outlet 2", "Outlet 3"}  # a row per source
    assert "Loaded" in wide and "Casting" in wide  # techniques as columns
    code, by_month, _ = run(capsys, "rates", "--wide", "--period", "week", "--by", "none", "--db", corpus_db)
    assert "2024-W10" in by_month and "–" in by_month  # weeks as columns; weeks without articles are empty, not 0


def test_trend_is_one_table_with_a_source_column(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trend", "Doubt", "--period", "week", "--db", corpus_db)
    assert code == 0
    assert out.count("Casting doubt per 1,000 words") == 1 and "Source" in out and "Week" in out
    assert re.search(r"│ Outlet 2 +│ 2024-W\d\d │", out)
    code, wide, _ = run(capsys, "trend", "Doubt", "--period", "month", "--wide", "--db", corpus_db)
    assert "2024-01" in wide and "2024-01-01" not in wide  # months as columns
    assert sum(line.startswith("│ Outlet") for line in wide.splitlines()) >= 3  # a row per source
    code, as_json, _ = run(capsys, "trend", "Doubt", "--period", "month", "--wide", "--json", "--db", corpus_db)
    code, long_json, _ = run(capsys, "trend", "Doubt", "--period", "month", "--json", "--db", corpus_db)
    assert as_json == long_json and json.loads(as_json)["series"]  # the layout never changes the JSON


def test_compare_restates_the_slices_and_gives_no_ratio_on_a_handful(
    corpus_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "compare", "--a-source", "Outlet 1", "--b-source", "Outlet 2", "--b-to", "2024-01-20", "--db", corpus_db
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("A: Outlet 1; all languages; all dates: ") and lines[0].endswith(" words")
    assert lines[1].startswith("B: Outlet 2; all languages; up to 2024-01-20: ")
    code, as_json, _ = run(
        capsys,
        "compare",
        "--a-source",
        "Outlet 1",
        "--b-source",
        "Outlet 2",
        "--b-to",
        "2024-01-20",
        "--json",
        "--db",
        corpus_db,
    )
    rows = json.loads(as_json)
    few = [r for r in rows if min(r["count_a"], r["count_b"]) < 5]
    assert few and all(not r["enough_data"] for r in few)
    assert all(r["enough_data"] for r in rows if min(r["count_a"], r["count_b"]) >= 5)
    assert [r["enough_data"] for r in rows] == sorted((r["enough_data"] for r in rows), reverse=True)
    table_rows = [line for line in lines if line.startswith("│")]
    shown = {r["label"] for r in few}
    assert len([line for line in table_rows if "too few" in line or "only in" in line]) >= len(shown)


def test_filters_that_match_nothing_say_so(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rates", "--db", corpus_db, "--source", "Nobody")
    assert code == 0 and "nothing matches" in err
    code, out, _ = run(capsys, "articles", "--db", corpus_db, "--language", "xx", "--json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rates", "--from", "2024-05-01", "--to", "2024-01-01"], "after date_to"),
        (["rates", "--model", "nope"], "no analyses by model"),
        (["info", "--db", "mysql://x/y"], "unsupported database"),
    ],
)
def test_user_errors_are_one_line(
    corpus_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args, *([] if "--db" in args else ["--db", corpus_db]))
    assert code != 0 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_import_export_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    analyses = list(synthetic_analyses(30, sources=2))
    results = tmp_path / "results.jsonl"
    lines = [json.dumps(a.to_dict(embedding=True)) for a in analyses]
    results.write_text("\n".join([*lines[:10], "{broken", *lines[10:]]) + "\n")
    db = tmp_path / "c.db"
    code, _, err = run(capsys, "import", results, "--db", db)
    assert code == 1 and "results.jsonl:11" in err and "30 added" in err
    code, _, err = run(capsys, "import", results, "--db", db)
    assert "0 added, 30 already stored" in err
    exported = tmp_path / "out.jsonl"
    assert run(capsys, "export", "-o", exported, "--db", db)[0] == 0
    documents = [json.loads(line) for line in exported.read_text().splitlines()]
    assert sorted(d["article"]["content_hash"] for d in documents) == sorted(a.article.content_hash for a in analyses)
    assert all(len(d["embedding"]) == 384 for d in documents)
    assert run(capsys, "export", "-o", tmp_path / "out.csv", "--db", db, "--source", "Outlet 1")[0] == 0
    assert len((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()) == 16  # header + 15
    assert run(capsys, "import", tmp_path / "missing.jsonl", "--db", db)[0] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--db", "{db}", "-o", "{db}", "--format", "jsonl"],
        ["export", "--db", "{db}", "-o", "{dir}/link.csv"],
        ["report", "--db", "{db}", "-o", "{db}"],
        ["import", "{db}", "--db", "{dir}/link.spans.csv"],
    ],
)
def test_outputs_never_overwrite_the_database(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "corpus.db"
    with Store(db) as store:
        store.add(synthetic_analyses(3, sources=1))
    (tmp_path / "link.spans.csv").symlink_to(db)  # the span table of link.csv
    before = db.read_bytes()
    code, _, err = run(capsys, *(a.format(db=db, dir=tmp_path) for a in args))
    assert code == 2
    assert "is the input" in err and "Traceback" not in err
    assert db.read_bytes() == before


def test_import_reports_hostile_lines_and_stores_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from _hostile_records import DEEP_ARRAY, HUGE_INTEGER

    good = [json.dumps(a.to_dict()) for a in synthetic_analyses(2, sources=1)]
    results = tmp_path / "results.jsonl"
    results.write_text("\n".join([good[0], f'{{"id": {HUGE_INTEGER}}}', DEEP_ARRAY, good[1]]) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "import", results, "--db", tmp_path / "corpus.db")
    assert code == 1
    assert "Traceback" not in err
    assert f"skipped {results}:2: " in err and f"skipped {results}:3: " in err
    assert "2 added" in err


def test_analyze_store_writes_while_analysing(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("date 2024-05-01 The corrupt elite betrays our nation.\n\nWake up now!\n")
    (folder / "b.txt").write_text("date 2024-05-02 Prices rose by two percent in March, officials said.\n")
    db = tmp_path / "c.db"
    assert main(["analyze", str(folder), "--model", str(model_path), "--store", "--db", str(db)]) == 0
    capsys.readouterr()
    with Store(db) as store:
        assert [m["articles"] for m in store.models()] == [2]
    assert (
        main(
            [
                "analyze",
                str(folder),
                "--model",
                str(model_path),
                "--store",
                "--db",
                str(db),
                "-o",
                str(tmp_path / "out.jsonl"),
            ]
        )
        == 0
    )
    with Store(db) as store:
        assert [m["articles"] for m in store.models()] == [2]  # stored once
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2


# -- over HTTP --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(corpus_db: Path, model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    pytest.importorskip("fastapi")
    httpx = pytest.importorskip("httpx")
    from _live_server import LiveServer

    root = tmp_path_factory.mktemp("corpus-server")
    with (
        LiveServer(
            "--model",
            str(model_path),
            "--db",
            str(corpus_db),
            "--rate-limit",
            "off",
            data_dir=root / "data",
            log_path=root / "server.log",
        ) as live,
        httpx.Client(base_url=live.url, timeout=60) as http,
    ):
        yield http


def test_api_answers_like_the_functions(client, corpus_db: Path) -> None:
    response = client.get("/v1/corpus/rates", params={"source": ["Outlet 1", "Outlet 3"], "level": "category"})
    assert response.status_code == 200
    with Store(corpus_db) as store:
        from unspin.store import CorpusFilter

        expected = rates(store, CorpusFilter(sources=["Outlet 1", "Outlet 3"]), level="category")
    assert response.json() == [r.model_dump(mode="json") for r in expected]
    overview = client.get("/v1/corpus/overview").json()
    assert overview["articles"] == 400 and len(overview["sources"]) == 3
    trend = client.get("/v1/corpus/trend", params={"label": "Doubt", "period": "month"}).json()
    assert {s["group"] for s in trend["series"]} == {"Outlet 1", "Outlet 2", "Outlet 3"}
    rows = client.get("/v1/corpus/compare", params={"a_source": "Outlet 1", "b_source": "Outlet 2"}).json()
    assert rows and {"rate_ratio", "q_value", "ci_low"} <= set(rows[0])
    listed = client.get("/v1/corpus/articles", params={"technique": "Doubt", "limit": 5}).json()
    assert len(listed) == 5
    article = client.get(f"/v1/corpus/articles/{listed[0]['id']}").json()
    assert any(t["technique"] == "Doubt" for p in article["paragraphs"] for t in p["techniques"])
    hits = client.get("/v1/corpus/search", params={"q": "energy", "target": "spans", "limit": 3}).json()
    assert all("energy" in h["snippet"].lower() for h in hits)
    phrases = client.get("/v1/corpus/phrases", params={"of": "Doubt", "limit": 2}).json()
    assert len(phrases) == 2 and {p["technique"] for p in phrases} == {"Doubt"}
    pairs = client.get("/v1/corpus/cooccurrence", params={"source": "Outlet 1"}).json()
    assert pairs and all(p["technique_a"] < p["technique_b"] for p in pairs)
    assert client.get("/v1/corpus/narratives").status_code == 200
    dashboard = client.get("/v1/corpus/dashboard", params={"source": "Outlet 2"}).json()
    assert dashboard["overview"]["articles"] < 400


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/corpus/rates", {"date_from": "2024-06-01", "date_to": "2024-01-01"}, 422),
        ("/v1/corpus/rates", {"date_from": "not a date"}, 422),
        ("/v1/corpus/rates", {"period": "year"}, 422),
        ("/v1/corpus/articles", {"limit": 100000}, 422),
        ("/v1/corpus/articles/999999", {}, 404),
        ("/v1/corpus/search", {"q": ""}, 422),
        ("/v1/corpus/overview", {"model": "nope"}, 422),
    ],
)
def test_api_errors_are_problems(client, path: str, params: dict, status: int) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_api_takes_techniques_and_frames_by_name_and_refuses_typos(client) -> None:
    by_label = client.get("/v1/corpus/rates", params={"technique": "Loaded_Language", "by": "none"}).json()
    for name in ("loaded language", "LOADED LANGUAGE"):
        assert client.get("/v1/corpus/rates", params={"technique": name, "by": "none"}).json() == by_label
    trend = client.get("/v1/corpus/trend", params={"label": "casting doubt", "period": "month"}).json()
    assert trend["label"] == "Doubt" and trend["series"]
    frame = client.get("/v1/corpus/articles", params={"frame": "security and defence", "limit": 3})
    assert frame.status_code == 200
    for path, params in (
        ("/v1/corpus/rates", {"technique": "Loaded_Langauge"}),
        ("/v1/corpus/trend", {"label": "Loaded_Langauge"}),
        ("/v1/corpus/phrases", {"of": "loaded langauge"}),
        ("/v1/corpus/dashboard", {"technique": "Loaded_Langauge"}),
        ("/v1/corpus/articles", {"frame": "Securty"}),
    ):
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "did you mean" in response.json()["detail"], (path, response.text)


def test_api_hostile_values_match_nothing(client) -> None:
    for value in ["'; DROP TABLE articles; --", "%", "\\", '"']:
        assert client.get("/v1/corpus/rates", params={"source": value}).json() == []
        assert client.get("/v1/corpus/search", params={"q": value}).status_code == 200
    assert client.get("/v1/corpus/overview").json()["articles"] == 400
