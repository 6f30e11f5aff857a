"""The REST API's contract, in process (``TestClient(create_app(settings, analyzer=...))``).

What only a process shows (readiness while the model loads, jobs resumed after a SIGKILL,
the app under uvicorn) runs against ``unspin serve`` on a loopback port.
"""

from __future__ import annotations

import concurrent.futures
import html
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from _live_server import LiveServer
from unspin.schema import AnalysisDocument
from unspin.taxonomy import CATEGORIES, TECHNIQUES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api") / "data"


@pytest.fixture(scope="module")
def client(analyzer: Any, data_dir: Path) -> Iterator[httpx.Client]:
    """The app in process, as a server on localhost (private URLs allowed: pages come from a local web server)."""
    from fastapi.testclient import TestClient

    from unspin.server import Settings, create_app

    settings = Settings(data_dir=data_dir, allow_private_urls=True, rate_limit=0)
    with TestClient(create_app(settings, analyzer=analyzer), base_url="http://localhost:8000") as http:
        deadline = time.monotonic() + 60
        while http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the app did not get ready"
            time.sleep(0.05)
        yield http


@pytest.fixture(scope="module")
def example_text() -> str:
    return (EXAMPLES / "article-en.txt").read_text(encoding="utf-8")


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    return problem


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def jsonl(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


# ---------------------------------------------------------------------------- health, reference, docs


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_is_503_until_the_model_loads(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "meta.json").write_text('{"format_version": 1}')
    live = LiveServer("--model", str(broken), data_dir=tmp_path / "data", log_path=tmp_path / "log")
    live.start(ready=False)
    try:
        problem = assert_problem(httpx.get(live.url + "/readyz"), 503)
        assert "could not be loaded" in problem["detail"] or "loading" in problem["detail"]
        response = httpx.post(live.url + "/v1/analyze", json={"text": "They lie."})
        assert_problem(response, 503)
        assert response.headers["retry-after"]
    finally:
        live.stop()


def test_taxonomy_lists_techniques_categories_definitions_and_colours(client: httpx.Client) -> None:
    taxonomy = client.get("/v1/taxonomy").json()
    assert {t["label"] for t in taxonomy["techniques"]} == set(TECHNIQUES)
    assert {c["key"] for c in taxonomy["categories"]} == set(CATEGORIES)
    assert all(c["colour"].startswith("#") for c in taxonomy["categories"])
    assert all(t["definition"] for t in taxonomy["techniques"])
    assert len(taxonomy["frames"]) == 14 and len(taxonomy["genres"]) == 3


def test_model_reports_version_and_validation_metrics(client: httpx.Client, model_path: Path) -> None:
    meta = json.loads((model_path / "meta.json").read_text())
    model = client.get("/v1/model").json()
    assert (model["name"], model["version"]) == (meta["name"], meta["version"])
    assert model["metrics"] == meta.get("metrics", {})
    assert set(model["thresholds"]) >= {"technique"}


def test_openapi_documents_every_endpoint(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {
        "/v1/analyze",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/results",
        "/v1/analyses/{analysis_id}",
        "/v1/taxonomy",
        "/v1/model",
        "/healthz",
        "/readyz",
    } <= set(paths)
    analyze = paths["/v1/analyze"]["post"]
    assert analyze["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnalysisDocument")
    assert set(analyze["responses"]["422"]["content"]) == {PROBLEM}
    assert {p["name"] for p in analyze["parameters"]} >= {"threshold", "categories", "store"}
    assert set(paths["/v1/jobs"]["post"]["requestBody"]["content"]) == {"multipart/form-data", "application/json"}


def test_docs_page_works_offline(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/v1/analyze" in page.text and "AnalysisDocument" in page.text
    assert "<script" not in page.text and "http://" not in page.text and "https://" not in page.text
    assert client.get("/docs/style.css").headers["content-type"].startswith("text/css")
    assert client.get("/docs/icon.svg").headers["content-type"] == "image/svg+xml"
    assert 'rel="icon"' in page.text and 'href="/"' in page.text  # the app's icon, and the way back to it
    assert page.text.count('class="example"') == page.text.count('class="method"') // 2  # one per route (nav + h2)


def test_docs_render_markdown_without_raw_html_and_build_example_requests() -> None:
    from unspin.server.routers.docs import render_reference

    spec = {
        "info": {
            "title": "t",
            "version": "1",
            "description": "Uses `text`; <script>alert(1)</script> [x](javascript:y)",
        },
        "paths": {
            "/v1/things/{thing_id}": {
                "post": {
                    "operationId": "make",
                    "summary": "Make",
                    "description": "First paragraph.\n\n- one\n- **two**",
                    "parameters": [
                        {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "kind", "in": "query", "required": True, "schema": {"enum": ["big", "small"]}},
                    ],
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Body"}}}},
                    "responses": {},
                }
            }
        },
        "components": {
            "schemas": {
                "Body": {
                    "type": "object",
                    "required": ["name", "n"],
                    "properties": {"name": {"type": "string", "examples": ["O'Brien"]}, "n": {"type": "integer"}},
                }
            }
        },
    }
    page = render_reference(spec, base="127.0.0.1:9", keys=True)
    assert "<code>text</code>" in page and "<li><strong>two</strong></li>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page and 'href="javascript:' not in page
    assert "export UNSPIN_URL=127.0.0.1:9" in page and "export UNSPIN_KEY=" in page
    example = html.unescape(page.split('<pre class="example"><code>')[1].split("</code>")[0])
    assert example == (
        'curl -s "$UNSPIN_URL/v1/things/THING_ID?kind=big" \\\n'
        '     -H "Authorization: Bearer $UNSPIN_KEY" \\\n'
        """     -H 'Content-Type: application/json' -d '{"name": "O'"'"'Brien", "n": 1}'"""
    )


# ---------------------------------------------------------------------------- POST /v1/analyze


def test_analyze_text_returns_the_published_schema_and_a_permalink(client: httpx.Client, example_text: str) -> None:
    response = client.post("/v1/analyze", json={"text": example_text, "source": "Example Times"})
    assert response.status_code == 200, response.text
    document = response.json()
    AnalysisDocument.model_validate(document)
    assert document["article"]["text"] == example_text
    assert document["article"]["source"] == "Example Times"
    assert document["article"]["date"] == "2022-03-11"
    for paragraph in document["paragraphs"]:
        for span in paragraph["spans"]:
            assert example_text[span["start"] : span["end"]] == span["text"]
    analysis_id = response.headers["x-analysis-id"]
    assert response.headers["content-location"] == f"/v1/analyses/{analysis_id}"
    stored = client.get(f"/v1/analyses/{analysis_id}")
    assert stored.status_code == 200 and stored.json() == document


def test_analyze_keeps_given_metadata(client: httpx.Client) -> None:
    body = {
        "text": "They lie to you every day.\n\nThey will never stop.",
        "title": "A title",
        "date": "2021-05-04",
        "language": "en",
        "id": "doc-7",
    }
    article = client.post("/v1/analyze", json=body).json()["article"]
    assert (article["title"], article["date"], article["language"], article["id"]) == (
        "A title",
        "2021-05-04",
        "en",
        "doc-7",
    )


def test_store_false_keeps_nothing(client: httpx.Client, data_dir: Path) -> None:
    before = set((data_dir / "analyses").iterdir())
    response = client.post("/v1/analyze", params={"store": "false"}, json={"text": "They lie."})
    assert response.status_code == 200
    assert "x-analysis-id" not in response.headers
    assert set((data_dir / "analyses").iterdir()) == before


def test_threshold_option(client: httpx.Client, example_text: str) -> None:
    default = client.post("/v1/analyze", params={"store": False}, json={"text": example_text}).json()
    everything = client.post(
        "/v1/analyze", params={"threshold": 0.0, "store": False}, json={"text": example_text}
    ).json()
    for low, usual in zip(
        everything["paragraphs"], default["paragraphs"], strict=False
    ):  # every candidate shows, none is hidden
        assert low["candidates"] == {"techniques": [], "spans": []}
        assert len(low["techniques"]) == len(usual["techniques"]) + len(usual["candidates"]["techniques"])
        assert len(low["spans"]) == len(usual["spans"]) + len(usual["candidates"]["spans"])
    assert everything["thresholds"] == {"technique": 0.0, "span": 0.0}
    nothing = client.post("/v1/analyze", params={"threshold": 1.0, "store": False}, json={"text": example_text}).json()
    assert nothing["summary"]["spans"] == 0
    assert_problem(client.post("/v1/analyze", params={"threshold": 1.5}, json={"text": example_text}), 422)


def test_categories_option(client: httpx.Client, example_text: str) -> None:
    keep = ["attack_on_reputation", "manipulative_wording"]
    params = {"threshold": 0.0, "categories": keep, "store": False}
    document = client.post("/v1/analyze", params=params, json={"text": example_text}).json()
    found = {TECHNIQUES[t["technique"]].category for p in document["paragraphs"] for t in p["techniques"]}
    assert found == set(keep)
    assert {s["category"] for p in document["paragraphs"] for s in p["spans"]} <= set(keep)
    assert set(document["summary"]["categories"]) <= set(keep)
    problem = assert_problem(client.post("/v1/analyze", params={"categories": "nonsense"}, json={"text": "x"}), 422)
    assert "categories" in problem["detail"]


def test_analyze_a_url(client: httpx.Client) -> None:
    from _local_web import LocalWeb, article_page

    with LocalWeb() as web:
        url = web.add("/news/1", article_page(title="Sanctions will hit ordinary people"))
        response = client.post("/v1/analyze", json={"url": url, "source": "Given Source"})
    assert response.status_code == 200, response.text
    article = response.json()["article"]
    assert article["url"] == url
    assert article["title"] == "Sanctions will hit ordinary people"
    assert article["source"] == "Given Source"
    assert "unprecedented sanctions pressure" in article["text"]


def test_url_problems_are_422_with_the_reason(client: httpx.Client) -> None:
    from _local_web import LocalWeb

    with LocalWeb() as web:
        problem = assert_problem(client.post("/v1/analyze", json={"url": web.url("/missing")}), 422)
    assert "404" in problem["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": "x", "url": "http://127.0.0.1/"},
        {"text": 7},
        {"text": "x", "colour": "red"},
        {"text": "x", "date": "yesterday"},
        {"text": "x", "language": "English"},
    ],
)
def test_invalid_bodies_are_422_problems(client: httpx.Client, body: dict[str, Any]) -> None:
    problem = assert_problem(client.post("/v1/analyze", json=body), 422)
    assert problem["detail"].startswith("invalid request")
    assert problem["errors"] and all({"loc", "msg"} <= set(e) for e in problem["errors"])


@pytest.mark.parametrize("text", ["", "   \n\n ", "date 2022-03-11"])
def test_empty_articles_are_422_problems(client: httpx.Client, text: str) -> None:
    assert_problem(client.post("/v1/analyze", json={"text": text}), 422)


def test_malformed_json_is_a_422_problem(client: httpx.Client) -> None:
    response = client.post("/v1/analyze", content=b'{"text": ', headers={"content-type": "application/json"})
    assert_problem(response, 422)


def test_unknown_routes_and_ids_are_404_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)
    assert_problem(client.get("/v1/analyses/0123456789abcdef0123456789abcdef"), 404)
    assert_problem(client.get("/v1/analyses/..%2F..%2Fetc%2Fpasswd"), 404)
    assert_problem(client.get("/v1/jobs/not-a-job"), 404)
    assert_problem(client.get("/v1/jobs/not-a-job/results"), 404)


def test_wrong_method_is_a_405_problem(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/analyze"), 405)


def test_concurrent_requests_are_batched_and_all_answered(client: httpx.Client) -> None:
    texts = [f"They lie to you, number {i}.\n\nThe so-called experts will never admit it." for i in range(12)]

    def analyse(text: str) -> dict[str, Any]:
        response = client.post("/v1/analyze", params={"store": False}, json={"text": text})
        assert response.status_code == 200, response.text
        return response.json()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        documents = list(pool.map(analyse, texts))
    assert [d["article"]["text"] for d in documents] == texts


# ---------------------------------------------------------------------------- jobs


def _jsonl_upload(texts: list[str]) -> bytes:
    return "".join(json.dumps({"id": f"doc-{i}", "text": t}) + "\n" for i, t in enumerate(texts)).encode()


def test_jsonl_job_runs_to_the_end_and_streams_results(client: httpx.Client, example_text: str) -> None:
    texts = [f"{example_text}\n\nCopy {i}." for i in range(5)]
    upload = _jsonl_upload(texts) + b"this line is not JSON\n"
    response = client.post("/v1/jobs", files={"file": ("batch.jsonl", upload)})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running") and job["total"] == 6
    job = wait_for_job(client, job["id"])
    assert (job["status"], job["analysed"], job["failed"], job["done"], job["progress"]) == ("done", 5, 1, 6, 1.0)
    results = client.get(job["links"]["results"])
    assert results.headers["content-type"].startswith("application/x-ndjson")
    assert results.headers["x-job-status"] == "done"
    documents = jsonl(results)
    assert sorted(d["article"]["id"] for d in documents) == [f"doc-{i}" for i in range(5)]
    for document in documents:
        AnalysisDocument.model_validate(document)
    [error] = jsonl(client.get(job["links"]["errors"]))
    assert error["name"] == "batch.jsonl:6" and "JSON" in error["reason"]
    assert job["id"] in {j["id"] for j in client.get("/v1/jobs").json()["jobs"]}


def test_csv_job_with_options(client: httpx.Client, example_text: str) -> None:
    rows = "id,title,text\n" + "".join(
        f'r{i},Title {i},"{example_text.replace(chr(34), chr(39))} {i}"\n' for i in range(3)
    )
    response = client.post(
        "/v1/jobs",
        params={"threshold": 0.0, "categories": ["call"]},
        files={"file": ("rows.csv", rows.encode(), "text/csv")},
    )
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert (job["status"], job["analysed"], job["options"]["categories"]) == ("done", 3, ["call"])
    documents = jsonl(client.get(job["links"]["results"]))
    assert sorted(d["article"]["title"] for d in documents) == ["Title 0", "Title 1", "Title 2"]
    assert {
        TECHNIQUES[t["technique"]].category for d in documents for p in d["paragraphs"] for t in p["techniques"]
    } == {"call"}


def test_url_list_job(client: httpx.Client) -> None:
    from _local_web import LocalWeb, article_page

    with LocalWeb() as web:
        urls = [web.add(f"/a/{i}", article_page(title=f"Page {i}")) for i in range(3)] + [web.url("/gone")]
        response = client.post("/v1/jobs", json={"urls": urls})
        assert response.status_code == 202, response.text
        job = wait_for_job(client, response.json()["id"])
    assert (job["status"], job["format"], job["total"], job["analysed"], job["failed"]) == ("done", "urls", 4, 3, 1)
    titles = sorted(d["article"]["title"] for d in jsonl(client.get(job["links"]["results"])))
    assert titles == ["Page 0", "Page 1", "Page 2"]
    [error] = jsonl(client.get(job["links"]["errors"]))
    assert error["name"] == web.url("/gone") and "404" in error["reason"]


@pytest.mark.parametrize(
    ("files", "data"),
    [
        ({"file": ("empty.jsonl", b"")}, {}),
        ({"file": ("notes.txt", b"just some text")}, {}),
        ({"file": ("a.jsonl", b'{"text": "x"}\n')}, {"format": "xml"}),
        ({"other": ("a.jsonl", b'{"text": "x"}\n')}, {}),
    ],
)
def test_bad_uploads_are_422_problems(client: httpx.Client, files: dict[str, Any], data: dict[str, str]) -> None:
    assert_problem(client.post("/v1/jobs", files=files, data=data), 422)


def test_upload_format_is_sniffed_or_given(client: httpx.Client) -> None:
    sniffed = client.post("/v1/jobs", files={"file": ("upload", b'{"text": "They lie."}\n')})
    assert sniffed.status_code == 202 and sniffed.json()["format"] == "jsonl"
    given = client.post("/v1/jobs", files={"file": ("upload", b"text\nThey lie.\n")}, data={"format": "csv"})
    assert given.status_code == 202 and given.json()["format"] == "csv"
    for job in (sniffed.json(), given.json()):
        assert wait_for_job(client, job["id"])["analysed"] == 1


@pytest.mark.parametrize("body", [{"urls": []}, {"urls": ["file:///etc/passwd"]}, {"urls": "http://a/"}, {"url": []}])
def test_bad_url_lists_are_422_problems(client: httpx.Client, body: dict[str, Any]) -> None:
    assert_problem(client.post("/v1/jobs", json=body), 422)


def test_other_content_types_are_415_problems(client: httpx.Client) -> None:
    response = client.post("/v1/jobs", content=b'{"text": "x"}\n', headers={"content-type": "application/x-ndjson"})
    assert_problem(response, 415)


def test_jobs_resume_after_a_restart(model_path: Path, tmp_path: Path, example_text: str) -> None:
    """A server killed mid-job picks the job up on restart, without losing or repeating documents."""
    texts = [f"{example_text}\n\nVariant {i}." for i in range(48)]
    server = LiveServer(
        "--model", str(model_path), "--rate-limit", "off", data_dir=tmp_path / "data", log_path=tmp_path / "server.log"
    )
    with server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            job_id = http.post("/v1/jobs", files={"file": ("big.jsonl", _jsonl_upload(texts))}).json()["id"]
            deadline = time.monotonic() + 120
            while http.get(f"/v1/jobs/{job_id}").json()["done"] < 8 and time.monotonic() < deadline:
                time.sleep(0.1)
        server.stop(signal.SIGKILL)
    results = server.data_dir / "jobs" / job_id / "results.jsonl"
    assert 0 < len(results.read_bytes().splitlines()) < len(texts), "the job should have been cut off midway"
    with server, httpx.Client(base_url=server.url, timeout=60) as http:
        job = wait_for_job(http, job_id)
        documents = jsonl(http.get(f"/v1/jobs/{job_id}/results"))
    assert (job["status"], job["analysed"], job["failed"]) == ("done", len(texts), 0)
    assert sorted(d["article"]["id"] for d in documents) == sorted(f"doc-{i}" for i in range(len(texts)))


def test_create_app_embeds_an_already_loaded_analyzer(analyzer: Any, tmp_path: Path) -> None:
    """``create_app(settings, analyzer=...)`` under uvicorn in a thread: no second model load."""
    import threading

    import uvicorn

    from _live_server import free_port
    from unspin.server import Settings, create_app

    port = free_port()
    app = create_app(Settings(port=port, data_dir=tmp_path), analyzer=analyzer)
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        response = httpx.post(f"http://127.0.0.1:{port}/v1/analyze", json={"text": "They lie."}, timeout=60)
        assert response.status_code == 200, response.text
        assert response.json()["model"] == analyzer.model_info
    finally:
        uvicorn_server.should_exit = True
        thread.join(30)
