"""``unspin review export|import`` and ``GET /v1/export`` on a real corpus store: round trips, all-or-nothing imports."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from _exchange_data import OTHER_TEXT, TEXT, analysed, full_decisions, semeval_decisions
from unspin.cli import main
from unspin.review import Review
from unspin.review.store import decisions_of, iter_reviews, record
from unspin.store import Store

ANA, BO, CY = "ana@example.org", "bo", "cy"


def content_hash(text: str) -> str:
    return analysed(text)[0].content_hash


def corpus(path: Path) -> Path:
    """A store with the model's analyses of the two texts and no review."""
    with Store(path) as store:
        store.add([analysed(TEXT)[1], analysed(OTHER_TEXT, "doc-8")[1]])
    return path


@pytest.fixture
def reviewed_db(tmp_path: Path) -> Path:
    """Ana reviewed both texts (every model span decided), Bo one the SemEval way, Cy is half-way through one."""
    db = corpus(tmp_path / "reviewed.db")
    with Store(db) as store:
        record(store, content_hash(TEXT), ANA, full_decisions(TEXT))
        record(store, content_hash(OTHER_TEXT), ANA, full_decisions(OTHER_TEXT))
        record(store, content_hash(OTHER_TEXT), BO, semeval_decisions(OTHER_TEXT))
        record(store, content_hash(TEXT), CY, full_decisions(TEXT)[:3])
    return db


def reviews(db: Path, reviewer: str | None = None) -> list[Review]:
    with Store(db) as store:
        found = list(iter_reviews(store, reviewer=reviewer))
    return sorted(
        (r.model_copy(update={"updated_at": None}) for r in found), key=lambda r: (r.reviewer, r.content_hash)
    )


def review(*args: str | Path) -> int:
    return main(["review", *map(str, args)])


def test_jsonl_export_and_import_keep_every_review(tmp_path: Path, reviewed_db: Path) -> None:
    out = tmp_path / "reviews.jsonl"
    assert review("export", "--db", reviewed_db, "--format", "jsonl", "--out", out) == 0
    assert len(out.read_text().splitlines()) == 4
    fresh = corpus(tmp_path / "fresh.db")
    assert review("import", out, "--format", "jsonl", "--db", fresh) == 0
    assert reviews(fresh) == reviews(reviewed_db)
    with Store(fresh) as store:
        history = decisions_of(store, content_hash(TEXT), CY)
    assert [d.decision.kind for d in history] == ["accept", "accept", "status"]


def test_labelstudio_export_and_import_give_the_same_reviews(tmp_path: Path, reviewed_db: Path) -> None:
    out = tmp_path / "ls" / "tasks.json"
    out.parent.mkdir()
    assert review("export", "--db", reviewed_db, "--format", "labelstudio", "--out", out, "--status", "done") == 0
    tasks = json.loads(out.read_text())
    assert len(tasks) == 2 and sorted(len(t["annotations"]) for t in tasks) == [1, 2]
    assert (tmp_path / "ls" / "tasks-config.xml").read_text().startswith("<View>")
    fresh = corpus(tmp_path / "fresh.db")
    assert review("import", out, "--format", "labelstudio", "--db", fresh) == 0
    assert reviews(fresh, ANA) == reviews(reviewed_db, ANA)
    assert [r.content_hash for r in reviews(fresh, BO)] == [content_hash(OTHER_TEXT)]


def test_labelstudio_export_of_articles_still_to_review(
    tmp_path: Path, reviewed_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "todo.json"
    assert review("export", "--db", reviewed_db, "-f", "labelstudio", "-o", out, "--status", "unreviewed", "--reviewer", BO) == 0  # fmt: skip
    [task] = json.loads(out.read_text())
    assert task["data"]["text"] == TEXT and "annotations" not in task
    assert len([r for r in task["predictions"][0]["result"] if r["type"] == "labels"]) == 4
    jsonl = tmp_path / "todo.jsonl"
    assert review("export", "--db", reviewed_db, "-f", "jsonl", "-o", jsonl, "--status", "unreviewed", "--reviewer", BO) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "left out 1 unreviewed article(s)" in err and "no reviews to export by bo" in err


def test_the_unreviewed_export_takes_the_least_certain_of_a_slice(
    tmp_path: Path, reviewed_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "todo.json"
    todo = [
        "export",
        "--db",
        reviewed_db,
        "-f",
        "labelstudio",
        "-o",
        out,
        "--status",
        "unreviewed",
        "--reviewer",
        "dee",
    ]
    assert review(*todo, "--limit", "1") == 0
    assert len(json.loads(out.read_text())) == 1
    assert "2 unreviewed articles match; the 1 least certain are exported (--limit)" in capsys.readouterr().err
    assert review(*todo, "--source", "Nowhere") == 1
    assert "no reviews to export by dee" in capsys.readouterr().err
    assert review(*todo, "--limit", "0") == 2
    assert review(*todo, "--limit", "5001") == 1
    assert "the number of tasks must be 1 to 5,000" in capsys.readouterr().err


def test_the_queue_lists_the_reviewers_statuses_least_certain_first(
    reviewed_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review("queue", "--db", reviewed_db, "--reviewer", BO, "--json") == 0
    page = json.loads(capsys.readouterr().out)
    assert page["reviewer"] == BO and page["total"] == 2
    assert {item["content_hash"]: item["status"] for item in page["items"]} == {
        content_hash(TEXT): "unreviewed",
        content_hash(OTHER_TEXT): "done",
    }
    confidences = [item["confidence"] for item in page["items"]]
    assert confidences == sorted(confidences, key=lambda c: (c is None, c))
    assert review("queue", "--db", reviewed_db, "--reviewer", CY, "--status", "in_progress") == 0
    table = capsys.readouterr().out
    assert "review queue of cy: 1 to 1 of 1" in table
    assert review("queue", "--db", reviewed_db, "--reviewer", "x" * 201) == 1
    assert "reviewer" in capsys.readouterr().err
    assert review("queue", "--db", reviewed_db, "--min-confidence", "2") == 2


def test_semeval_export_is_scored_by_unspin_evaluate_and_imports_back(
    tmp_path: Path, reviewed_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "semeval"
    assert review("export", "--db", reviewed_db, "--format", "semeval", "--out", out, "--reviewer", BO) == 0
    assert "unspin evaluate --task techniques" in capsys.readouterr().err
    gold, pred = out / "labels-subtask-3.txt", out / "model" / "labels-subtask-3.txt"
    assert main(["evaluate", "--task", "techniques", "--gold", str(gold), "--pred", str(pred), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_items"] == 4
    fresh = corpus(tmp_path / "fresh.db")
    assert review("import", out, "--format", "semeval", "--db", fresh, "--reviewer", BO) == 0
    assert reviews(fresh) == reviews(reviewed_db, BO)


def test_semeval_export_needs_one_reviewer_per_article(
    tmp_path: Path, reviewed_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review("export", "--db", reviewed_db, "--format", "semeval", "--out", tmp_path / "x") == 1
    err = capsys.readouterr().err
    assert "has reviews by" in err and "export one reviewer's" in err
    assert (
        review("export", "--db", reviewed_db, "--format", "jsonl", "--out", tmp_path / "y", "--reviewer", "nobody") == 1
    )
    assert "no reviews to export by nobody" in capsys.readouterr().err


def test_a_bad_item_imports_nothing(tmp_path: Path, reviewed_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tasks.json"
    assert review("export", "--db", reviewed_db, "--format", "labelstudio", "--out", out, "--reviewer", ANA) == 0
    tasks = json.loads(out.read_text())
    tasks[1]["annotations"][0]["result"][0]["value"]["text"] = "something else"
    out.write_text(json.dumps(tasks))
    fresh = corpus(tmp_path / "fresh.db")
    capsys.readouterr()
    assert review("import", out, "--format", "labelstudio", "--db", fresh) == 1
    err = capsys.readouterr().err.strip()
    assert "task 2, annotation 1, result 1: its text 'something else' is not the task text" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert reviews(fresh) == []


def test_import_refuses_texts_not_in_the_store_and_reviews_already_there(
    tmp_path: Path, reviewed_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reviews.jsonl"
    assert review("export", "--db", reviewed_db, "--format", "jsonl", "--out", out, "--reviewer", ANA) == 0
    empty = tmp_path / "empty.db"
    Store(empty).close()
    capsys.readouterr()
    assert review("import", out, "--format", "jsonl", "--db", empty) == 1
    assert "this text is not in the store" in capsys.readouterr().err
    fresh = corpus(tmp_path / "fresh.db")
    with Store(fresh) as store:
        record(store, content_hash(OTHER_TEXT), ANA, full_decisions(OTHER_TEXT)[:1])
    before = reviews(fresh)
    assert review("import", out, "--format", "jsonl", "--db", fresh) == 1
    assert "ana@example.org has a review of this text already; nothing imported" in capsys.readouterr().err
    assert reviews(fresh) == before
    assert review("import", out, "--format", "jsonl", "--db", fresh, "--reviewer", "ana (second pass)") == 0
    assert len(reviews(fresh, "ana (second pass)")) == 2


def test_imports_on_each_backend_are_whole_or_nothing(store_url: str, tmp_path: Path) -> None:
    """On SQLite and PostgreSQL: Ana's reviews exported and imported again under new names, a bad file leaves nothing."""
    with Store(store_url) as store:
        store.add([analysed(TEXT)[1], analysed(OTHER_TEXT, "doc-8")[1]])
        record(store, content_hash(TEXT), ANA, full_decisions(TEXT))
        record(store, content_hash(OTHER_TEXT), ANA, full_decisions(OTHER_TEXT))
    lines, tasks = tmp_path / "reviews.jsonl", tmp_path / "tasks.json"
    assert review("export", "--db", store_url, "-f", "jsonl", "-o", lines, "--reviewer", ANA) == 0
    assert review("export", "--db", store_url, "-f", "labelstudio", "-o", tasks, "--reviewer", ANA) == 0
    assert review("import", lines, "-f", "jsonl", "--db", store_url, "--reviewer", "ana-2") == 0
    assert review("import", tasks, "-f", "labelstudio", "--db", store_url, "--reviewer", "ana-3") == 0
    with Store(store_url) as store:
        found = list(iter_reviews(store))
    by = {
        name: sorted((r for r in found if r.reviewer == name), key=lambda r: r.content_hash)
        for name in (ANA, "ana-2", "ana-3")
    }
    for name in ("ana-2", "ana-3"):
        assert [r.model_dump(exclude={"reviewer", "updated_at"}) for r in by[name]] == [
            r.model_dump(exclude={"reviewer", "updated_at"}) for r in by[ANA]
        ]
    broken = json.loads(tasks.read_text())
    broken[-1]["annotations"][0]["result"][0]["value"]["labels"] = ["Slogan"]
    tasks.write_text(json.dumps(broken))
    assert review("import", tasks, "-f", "labelstudio", "--db", store_url, "--reviewer", "ana-4") == 1
    with Store(store_url) as store:
        assert not list(iter_reviews(store, reviewer="ana-4"))


def test_semeval_import_needs_a_reviewer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert review("import", tmp_path, "--format", "semeval", "--db", tmp_path / "x.db") == 2
    assert "give --reviewer" in capsys.readouterr().err


# -- the API ----------------------------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path, reviewed_db: Path):
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from unspin.server import Settings, create_app

    settings = Settings(data_dir=tmp_path / "data", db=str(reviewed_db), model=tmp_path / "no-model", rate_limit=0)
    with TestClient(create_app(settings), base_url="http://localhost:8000") as http:
        yield http


def test_api_exports_jsonl_labelstudio_and_a_semeval_zip(client) -> None:
    lines = client.get("/v1/export", params={"format": "jsonl", "status": "done"})
    assert lines.status_code == 200 and lines.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in lines.headers["content-disposition"]
    assert sorted(json.loads(line)["review"]["reviewer"] for line in lines.text.splitlines()) == [ANA, ANA, BO]
    tasks = client.get("/v1/export", params={"format": "labelstudio", "reviewer": ANA}).json()
    assert len(tasks) == 2 and all(len(t["annotations"]) == 1 for t in tasks)
    config = client.get("/v1/export/labelstudio-config")
    assert config.status_code == 200 and config.headers["content-type"].startswith("application/xml")
    archive = client.get("/v1/export", params={"format": "semeval", "reviewer": ANA})
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "unspin-reviews/articles/article1.txt" in names and "unspin-reviews/model/labels-subtask-3.txt" in names


def test_api_export_problems(client) -> None:
    both = client.get("/v1/export", params={"format": "semeval"})
    assert both.status_code == 422 and "export one reviewer's" in both.json()["detail"]
    assert client.get("/v1/export", params={"format": "semeval", "reviewer": "nobody"}).status_code == 404
    assert client.get("/v1/export", params={"format": "conll"}).status_code == 422
    assert client.get("/v1/export", params={"format": "jsonl", "reviewer": "a\x00b"}).status_code == 422
    assert client.get("/v1/export", params={"format": "jsonl", "status": "finished"}).status_code == 422
    assert client.get("/v1/export", params={"format": "labelstudio", "reviewer": "nobody"}).json() == []
    todo = client.get("/v1/export", params={"format": "labelstudio", "reviewer": "bo", "status": "unreviewed"}).json()
    first = client.get("/v1/export", params={"format": "labelstudio", "reviewer": "dee", "status": "unreviewed", "limit": 1})  # fmt: skip
    assert len(first.json()) == 1 and first.headers["x-unreviewed-total"] == "2"
    assert client.get("/v1/export", params={"format": "labelstudio", "status": "unreviewed", "limit": 0}).status_code == 422  # fmt: skip
    none = client.get("/v1/export", params={"format": "labelstudio", "status": "unreviewed", "source": "Nowhere"})
    assert none.json() == [] and none.headers["x-unreviewed-total"] == "0"
    assert [t["data"]["text"] for t in todo] == [TEXT] and "annotations" not in todo[0]
