"""What a fact-checker does with results (issue 14.4), in process: a job's results as CSV and a zip of
HTML reports, each result's JSON and HTML files, cancelling and deleting jobs, and storing an
analysis or a whole job in the corpus with one request (idempotent, owner-only, 409 while running).
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient

# tests/ is on sys.path under pytest's default import mode
from test_server_hardening import LOCAL, assert_problem, wait_ready
from unspin.server import Settings, create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "article-en.txt"
FORMULA_TITLE = '=HYPERLINK("http://attacker.example","click")'
SAME_ORIGIN = {"Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
TERMINAL = ("done", "failed", "cancelled")


def app_client(analyzer: Any, root: Path, **settings: Any) -> TestClient:
    app = create_app(Settings(data_dir=root / "data", db=str(root / "corpus.db"), **settings), analyzer=analyzer)
    return TestClient(app, base_url=LOCAL)


def batch(count: int = 3) -> bytes:
    """``count`` articles made of the example's paragraphs, the first titled like a spreadsheet formula."""
    paragraphs = EXAMPLE.read_text(encoding="utf-8").split("\n\n")[1:]
    records = [
        {"id": f"a{n}", "title": f"Article {n}", "text": "\n\n".join(paragraphs[n % 4 :: 4]) + f"\n\nCopy {n}."}
        for n in range(1, count + 1)
    ]
    records[0]["title"] = FORMULA_TITLE
    return "".join(json.dumps(record) + "\n" for record in records).encode("utf-8")


def start_job(http: TestClient, upload: bytes) -> str:
    response = http.post("/v1/jobs", files={"file": ("batch.jsonl", upload)})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def wait_for(http: TestClient, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (job := http.get(f"/v1/jobs/{job_id}").json())["status"] not in TERMINAL:
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {job}"
        time.sleep(0.2)
    return dict(job)


@pytest.fixture(scope="module")
def http(analyzer: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with app_client(analyzer, tmp_path_factory.mktemp("job-actions")) as client:
        wait_ready(client)
        yield client


@pytest.fixture(scope="module")
def finished(http: TestClient) -> dict[str, Any]:
    job = wait_for(http, start_job(http, batch()))
    assert (job["status"], job["analysed"]) == ("done", 3)
    return job


def attachment_name(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;"), disposition
    return disposition.split("filename=", 1)[1].strip('"')


# ---------------------------------------------------------------------------- downloads


@pytest.mark.parametrize("path", ["/jobs/{id}/results.csv", "/v1/jobs/{id}/results?format=csv"])
def test_results_as_csv_have_a_row_per_article_and_no_live_formula(
    http: TestClient, finished: dict[str, Any], path: str
) -> None:
    response = http.get(path.format(id=finished["id"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-job-status"] == "done"
    assert attachment_name(response) == f"unspin-job-{finished['id']}-results.csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row["id"] for row in rows) == ["a1", "a2", "a3"]
    titles = {row["id"]: row["title"] for row in rows}
    assert titles["a1"] == "'" + FORMULA_TITLE
    assert titles["a2"] == "Article 2"


@pytest.mark.parametrize("path", ["/jobs/{id}/spans.csv", "/v1/jobs/{id}/results?format=spans.csv"])
def test_spans_as_csv_have_a_row_per_span(http: TestClient, finished: dict[str, Any], path: str) -> None:
    response = http.get(path.format(id=finished["id"]))
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    documents = [json.loads(line) for line in http.get(f"/v1/jobs/{finished['id']}/results").text.splitlines()]
    assert len(rows) == sum(d["summary"]["spans"] for d in documents) > 0
    assert {row["article_id"] for row in rows} <= {"a1", "a2", "a3"}


@pytest.mark.parametrize("path", ["/jobs/{id}/reports.zip", "/v1/jobs/{id}/results?format=zip"])
def test_reports_zip_holds_an_index_and_a_page_per_article(
    http: TestClient, finished: dict[str, Any], path: str
) -> None:
    response = http.get(path.format(id=finished["id"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = sorted(archive.namelist())
        pages = {name: archive.read(name).decode("utf-8") for name in names}
    assert names == ["reports/00001-a1.html", "reports/00002-a2.html", "reports/00003-a3.html", "reports/index.html"]
    assert all(page.lstrip().lower().startswith("<!doctype html>") for page in pages.values())
    assert all(f'href="{name.removeprefix("reports/")}"' in pages["reports/index.html"] for name in names[:3])
    assert "Article 2" in pages["reports/00002-a2.html"]


@pytest.mark.parametrize("path", ["/jobs/{id}/reports.zip", "/v1/jobs/{id}/results?format=zip"])
def test_a_zip_of_reports_is_refused_beyond_its_cap(
    http: TestClient, finished: dict[str, Any], path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every report of a zip is held for its index page: a big job gets 413 and the other formats."""
    jobs = http.app.state.runtime.jobs  # type: ignore[attr-defined]
    monkeypatch.setattr(jobs, "max_zip_reports", 2)
    response = http.get(path.format(id=finished["id"]))
    assert response.status_code == 413
    assert "3 results" in response.text and "JSON Lines or CSV" in response.text
    assert http.get(f"/v1/jobs/{finished['id']}/results", params={"format": "csv"}).status_code == 200


def test_an_unknown_format_is_a_422_problem(http: TestClient, finished: dict[str, Any]) -> None:
    assert_problem(http.get(f"/v1/jobs/{finished['id']}/results", params={"format": "xlsx"}), 422)


def test_openapi_documents_the_formats(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    results = paths["/v1/jobs/{job_id}/results"]["get"]
    [parameter] = [p for p in results["parameters"] if p["name"] == "format"]
    assert parameter["schema"]["enum"] == ["jsonl", "csv", "spans.csv", "zip"]
    assert set(results["responses"]["200"]["content"]) == {"application/x-ndjson", "text/csv", "application/zip"}


# ---------------------------------------------------------------------------- one result's files


def test_each_result_row_links_its_page_json_and_report(http: TestClient, finished: dict[str, Any]) -> None:
    base = f"/jobs/{finished['id']}/results"
    page = http.get(f"/jobs/{finished['id']}").text
    for number in (1, 2, 3):
        for href in (f"{base}/{number}", f"{base}/{number}.json", f"{base}/{number}/report.html"):
            assert f'href="{href}"' in page, href

    document = http.get(f"{base}/2.json")
    assert document.headers["content-type"] == "application/json"
    assert attachment_name(document) == f"unspin-job-{finished['id']}-2.json"
    assert document.json() == json.loads(http.get(f"/v1/jobs/{finished['id']}/results").text.splitlines()[1])

    report = http.get(f"{base}/2/report.html")
    assert report.headers["content-type"].startswith("text/html")
    assert attachment_name(report) == f"unspin-job-{finished['id']}-2.html"
    assert "Article 2" in report.text

    result_page = http.get(f"{base}/2").text
    for href in (f"{base}/2.json", f"{base}/2/report.html", f"/jobs/{finished['id']}"):
        assert f'href="{href}"' in result_page, href
    assert f'value="{LOCAL}{base}/2"' in result_page  # the permalink


@pytest.mark.parametrize("suffix", ["9.json", "9/report.html", "0.json"])
def test_a_result_that_is_not_there_is_a_404_page(http: TestClient, finished: dict[str, Any], suffix: str) -> None:
    response = http.get(f"/jobs/{finished['id']}/results/{suffix}")
    assert response.status_code in (404, 422)
    assert response.headers["content-type"].startswith("text/html")


def test_a_single_analysis_keeps_its_downloads(http: TestClient) -> None:
    response = http.post("/v1/analyze", json={"text": "They lie to you.\n\nThe so-called experts hide it."})
    analysis_id = response.headers["x-analysis-id"]
    page = http.get(f"/a/{analysis_id}").text
    assert f'href="/a/{analysis_id}/analysis.json"' in page and f'href="/a/{analysis_id}/report.html"' in page
    assert http.get(f"/a/{analysis_id}/analysis.json").json() == response.json()
    assert attachment_name(http.get(f"/a/{analysis_id}/report.html")) == f"unspin-{analysis_id}.html"


# ---------------------------------------------------------------------------- cancel and delete


def result_count(http: TestClient, job_id: str) -> int:
    return len(http.get(f"/v1/jobs/{job_id}/results").text.splitlines())


def wait_until_stopped(http: TestClient, job_id: str, timeout: float = 60) -> None:
    """Until the worker has left the job (its thread is the worker's own business: ask it)."""
    worker = http.app.state.runtime.worker  # type: ignore[attr-defined]
    running = worker._running.get(job_id)
    if running is not None:
        running[0].join(timeout)
        assert not running[0].is_alive(), "the cancelled job's worker did not stop"


def test_cancel_stops_a_running_job_keeps_its_results_and_it_is_not_resumed(analyzer: Any, tmp_path: Path) -> None:
    with app_client(analyzer, tmp_path, job_workers=1) as http:
        wait_ready(http)
        long_job = start_job(http, batch(80))
        queued = start_job(http, batch(2))
        deadline = time.monotonic() + 120
        while http.get(f"/v1/jobs/{long_job}").json()["done"] < 1:
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
        cancelled = http.post(f"/v1/jobs/{queued}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert http.post(f"/v1/jobs/{long_job}/cancel").json()["status"] == "cancelled"
        wait_until_stopped(http, long_job)
        job = http.get(f"/v1/jobs/{long_job}").json()
        kept = result_count(http, long_job)
        assert job["status"] == "cancelled" and job["finished"]
        assert 0 < kept == job["analysed"] < 80
        assert http.post(f"/v1/jobs/{long_job}/cancel").json()["status"] == "cancelled"  # again: no change
        assert http.get(f"/jobs/{long_job}").text.count("Cancel the job") == 0
    with app_client(analyzer, tmp_path, job_workers=1) as http:  # a restart resumes no cancelled job
        wait_ready(http)
        time.sleep(1.5)
        for job_id, count in ((long_job, kept), (queued, 0)):
            assert http.get(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
            assert result_count(http, job_id) == count


def test_a_finished_job_cannot_be_cancelled(http: TestClient, finished: dict[str, Any]) -> None:
    assert finished["links"]["cancel"] == f"/v1/jobs/{finished['id']}/cancel"  # the job names its actions
    assert finished["links"]["store"] == f"/v1/jobs/{finished['id']}/store"
    assert_problem(http.post(finished["links"]["cancel"]), 409, "finished (done)")
    assert http.get(f"/v1/jobs/{finished['id']}").json()["status"] == "done"
    assert_problem(http.post("/v1/jobs/0123456789abcdef0123456789abcdef/cancel"), 404)


def test_cancelled_jobs_are_pruned_like_finished_ones(tmp_path: Path) -> None:
    from unspin.server.jobs import JobStore

    jobs = JobStore(tmp_path)
    waiting, cancelled = (jobs.create(io.BytesIO(b"https://example.org/\n"), "urls")["id"] for _ in range(2))
    assert jobs.cancel(cancelled)["status"] == "cancelled"  # type: ignore[index]
    assert jobs.prune(max_age_days=30, max_jobs=0) == 1
    assert jobs.get(cancelled) is None and jobs.get(waiting)["status"] == "queued"  # type: ignore[index]


def test_cancel_and_delete_from_the_job_page(analyzer: Any, tmp_path: Path) -> None:
    with app_client(analyzer, tmp_path, job_workers=1) as http:
        wait_ready(http)
        blocker, job = start_job(http, batch(80)), start_job(http, batch(2))
        page = http.get(f"/jobs/{job}").text
        assert f'action="/jobs/{job}/cancel"' in page and f'action="/jobs/{job}/delete"' in page
        response = http.post(f"/jobs/{job}/cancel", headers=SAME_ORIGIN, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, f"/jobs/{job}")
        assert "cancelled" in http.get(f"/jobs/{job}").text
        http.post(f"/jobs/{blocker}/cancel", headers=SAME_ORIGIN)

        listing = http.get("/jobs").text
        assert listing.count(f'action="/jobs/{job}/delete"') == 1  # a Delete button on the list too
        question = http.get(f"/jobs/{job}/delete")  # the confirmation: a page, no script needed
        assert question.status_code == 200 and 'method="post"' in question.text
        assert http.get(f"/v1/jobs/{job}").status_code == 200  # asking deletes nothing
        assert_problem(http.post(f"/jobs/{job}/delete", headers={"Sec-Fetch-Site": "cross-site"}), 403)
        response = http.post(f"/jobs/{job}/delete", headers=SAME_ORIGIN, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/jobs")
        assert http.get(f"/v1/jobs/{job}").status_code == 404
        assert http.get(f"/jobs/{job}").status_code == 404
        assert f"/jobs/{job}" not in http.get("/jobs").text


def test_only_the_owner_cancels_deletes_or_stores(analyzer: Any, tmp_path: Path) -> None:
    alice, bob = "alice-key-0123456789abcdef", "bob-key-0123456789abcdef00"
    (tmp_path / "keys.txt").write_text(f"{alice}\n{bob}\n")
    with app_client(analyzer, tmp_path, api_keys=tmp_path / "keys.txt", job_workers=1) as http:
        wait_ready(http)
        http.headers["X-API-Key"] = alice
        job = start_job(http, batch(2))
        del http.headers["X-API-Key"]
        as_bob = {"X-API-Key": bob}
        for action in ("cancel", "store"):
            assert_problem(http.post(f"/v1/jobs/{job}/{action}", headers=as_bob), 404, "no job")
        http.cookies.set("unspin_key", bob)
        for path in (f"/jobs/{job}/cancel", f"/jobs/{job}/delete", f"/jobs/{job}/store"):
            assert http.post(path, headers=SAME_ORIGIN, follow_redirects=False).status_code == 404
        assert http.get(f"/v1/jobs/{job}", headers={"X-API-Key": alice}).status_code == 200


# ---------------------------------------------------------------------------- store in corpus


def test_store_an_analysis_in_the_corpus_once(http: TestClient) -> None:
    response = http.post("/v1/analyze", json={"text": "Only a fool would trust them.\n\nThey always lie."})
    analysis_id = response.headers["x-analysis-id"]
    assert f'action="/a/{analysis_id}/store"' in http.get(f"/a/{analysis_id}").text

    first = http.post(f"/v1/analyses/{analysis_id}/store")
    assert first.status_code == 200, first.text
    article_id = first.json()["article_id"]
    assert first.json() == {
        "added": True,
        "article_id": article_id,
        "links": {"article": f"/v1/corpus/articles/{article_id}"},
    }
    stored = http.get(f"/v1/corpus/articles/{article_id}").json()
    assert stored["article"]["text"] == response.json()["article"]["text"]

    page = http.post(f"/a/{analysis_id}/store", headers=SAME_ORIGIN)  # the button: nothing stored twice
    assert page.status_code == 200, page.text
    assert f"Already in the corpus as article {article_id}." in page.text
    assert f'href="/corpus/articles/{article_id}"' in page.text
    assert f'value="{LOCAL}/a/{analysis_id}"' in page.text  # the permalink, not the form's address
    assert http.post(f"/v1/analyses/{analysis_id}/store").json()["added"] is False
    assert http.get("/v1/corpus/overview").json()["articles"] == 1 + stored_job_articles(http)
    assert_problem(http.post("/v1/analyses/0123456789abcdef0123456789abcdef/store"), 404)
    assert_problem(http.post(f"/a/{analysis_id}/store", headers={"Sec-Fetch-Site": "cross-site"}), 403)


def stored_job_articles(http: TestClient) -> int:
    """Articles the other tests of this module stored from the finished job (0 or 3)."""
    titles = {row["title"] for row in http.get("/v1/corpus/articles", params={"limit": 50}).json()}
    return len(titles & {FORMULA_TITLE, "Article 2", "Article 3"})


def test_store_a_job_in_the_corpus_once(http: TestClient, finished: dict[str, Any]) -> None:
    page = http.get(f"/jobs/{finished['id']}").text
    assert f'action="/jobs/{finished["id"]}/store"' in page
    first = http.post(f"/v1/jobs/{finished['id']}/store")
    assert first.status_code == 200, first.text
    assert first.json() == {"added": 3, "skipped": 0, "unreadable": 0, "links": {"dashboard": "/v1/corpus/dashboard"}}

    page = http.post(f"/jobs/{finished['id']}/store", headers=SAME_ORIGIN)  # the button, a second time
    assert page.status_code == 200, page.text
    assert "Stored in the corpus: 0 added, 3 already stored." in page.text
    assert 'href="/corpus"' in page.text
    titles = [row["title"] for row in http.get("/v1/corpus/articles", params={"limit": 50}).json()]
    assert sorted(t for t in titles if t in {FORMULA_TITLE, "Article 2", "Article 3"}) == sorted(
        [FORMULA_TITLE, "Article 2", "Article 3"]
    )
    assert "Article 2" in http.get("/corpus").text


def test_a_running_job_is_stored_once_it_stops(analyzer: Any, tmp_path: Path) -> None:
    with app_client(analyzer, tmp_path, job_workers=1) as http:
        wait_ready(http)
        job = start_job(http, batch(80))
        assert_problem(http.post(f"/v1/jobs/{job}/store"), 409, "store its results once it has finished")
        assert http.post(f"/jobs/{job}/store", headers=SAME_ORIGIN).status_code == 409
        assert "Store in corpus" not in http.get(f"/jobs/{job}").text
        http.post(f"/v1/jobs/{job}/cancel")
        wait_until_stopped(http, job)
        kept = http.get(f"/v1/jobs/{job}").json()["analysed"]
        assert http.post(f"/v1/jobs/{job}/store").json()["added"] == kept
        assert http.get("/v1/corpus/overview").json()["articles"] == kept


def test_openapi_documents_the_new_routes(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("/v1/analyses/{analysis_id}/store", "/v1/jobs/{job_id}/store", "/v1/jobs/{job_id}/cancel"):
        assert set(paths[path]) == {"post"}, path
        assert "404" in paths[path]["post"]["responses"]
    assert "409" in paths["/v1/jobs/{job_id}/store"]["post"]["responses"]
    assert "cancelled" in str(http.get("/openapi.json").json()["components"]["schemas"]["Job"])
