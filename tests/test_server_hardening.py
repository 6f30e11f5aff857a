"""The server against the attacks of the hardening review (issue 13), in process where the app
decides and over real HTTP where the process does (threads, proxies, slow upstreams).

Each test fails on the server as it was before the fix it names.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from unspin.article import Article
from unspin.server import Settings, create_app
from unspin.server.inference import InferenceQueue
from unspin.server.jobs import JobStore, QuotaExceeded
from unspin.server.security import RateLimiter

PROBLEM = "application/problem+json"
LOCAL = "http://localhost:8000"


def client_for(analyzer: Any, tmp_path: Path, **settings: Any) -> TestClient:
    """The app in process, answering as a server on localhost:8000 would."""
    app = create_app(Settings(data_dir=tmp_path / "data", **settings), analyzer=analyzer)
    return TestClient(app, base_url=LOCAL)


def wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 60
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the app did not get ready"
        time.sleep(0.05)


@pytest.fixture
def client(analyzer: Any, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(analyzer, tmp_path) as http:
        wait_ready(http)
        yield http


def keyed_client(analyzer: Any, tmp_path: Path, keys: list[str], **settings: Any) -> TestClient:
    key_file = tmp_path / "keys.txt"
    key_file.write_text("\n".join(keys) + "\n")
    return client_for(analyzer, tmp_path, api_keys=key_file, **settings)


def assert_problem(response: httpx.Response, status: int, words: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    assert words in response.json()["detail"], response.json()["detail"]
    return dict(response.json())


# ---------------------------------------------------------------------------- 7, 10: DNS rebinding and CSRF


@pytest.mark.parametrize("host", ["rebind.attacker.example:8000", "rebind.attacker.example", "10.0.0.5:8000"])
def test_a_foreign_host_name_is_refused(client: TestClient, host: str) -> None:
    assert_problem(client.get("/v1/jobs", headers={"Host": host}), 400, "host name")
    assert_problem(client.get("/", headers={"Host": host}), 400, "host name")


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_loopback_names_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/v1/jobs", headers={"Host": host}).status_code == 200


def test_allowed_hosts_are_configurable(analyzer: Any, tmp_path: Path) -> None:
    with client_for(analyzer, tmp_path, allowed_hosts=["unspin.newsroom.example"]) as http:
        assert http.get("/healthz", headers={"Host": "unspin.newsroom.example"}).status_code == 200
        assert_problem(http.get("/healthz", headers={"Host": "localhost:8000"}), 400)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://attacker.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost:9999", "Sec-Fetch-Site": "same-site"},
        {"Origin": "http://localhost:9999"},
    ],
)
@pytest.mark.parametrize("path", ["/jobs", "/analyze", "/signin", "/v1/jobs"])
def test_a_cross_site_post_changes_nothing(client: TestClient, headers: dict[str, str], path: str) -> None:
    before = client.get("/v1/jobs").json()["total"]
    response = client.post(path, data={"urls": "http://example.org/a", "text": "They lie."}, headers=headers)
    assert_problem(response, 403, "another site")
    assert client.get("/v1/jobs").json()["total"] == before


@pytest.mark.parametrize("origin", [LOCAL, "null"])  # the pages' no-referrer policy makes a browser send null
def test_a_same_origin_form_post_goes_through(client: TestClient, origin: str) -> None:
    response = client.post(
        "/jobs",
        data={"urls": "http://example.org/a"},
        follow_redirects=False,
        headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303, response.text


def test_a_cors_origin_may_post(analyzer: Any, tmp_path: Path) -> None:
    with client_for(analyzer, tmp_path, cors_origins=["https://newsroom.example"]) as http:
        wait_ready(http)
        response = http.post(
            "/v1/analyze",
            json={"text": "They lie."},
            headers={"Origin": "https://newsroom.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert response.status_code == 200, response.text


# ---------------------------------------------------------------------------- 9, 14: keys


def test_jobs_are_invisible_to_other_keys(analyzer: Any, tmp_path: Path) -> None:
    alice, bob = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with keyed_client(analyzer, tmp_path, [alice, bob]) as http:
        created = http.post("/v1/jobs", json={"urls": ["http://example.org/a"]}, headers={"X-API-Key": alice}).json()[
            "id"
        ]
        as_bob = {"X-API-Key": bob}
        for path in (f"/v1/jobs/{created}", f"/v1/jobs/{created}/results", f"/v1/jobs/{created}/errors"):
            assert_problem(http.get(path, headers=as_bob), 404, "no job")
            assert http.get(path, headers={"X-API-Key": alice}).status_code == 200
        assert_problem(http.delete(f"/v1/jobs/{created}", headers=as_bob), 404)
        http.cookies.set("unspin_key", bob)
        for page in (f"/jobs/{created}", f"/jobs/{created}/status", f"/jobs/{created}/results.jsonl"):
            assert http.get(page).status_code == 404, page
        assert http.get("/v1/jobs", headers=as_bob).json()["total"] == 0
        assert http.get(f"/v1/jobs/{created}", headers={"X-API-Key": alice}).status_code == 200


def test_wrong_keys_are_throttled(analyzer: Any, tmp_path: Path) -> None:
    with keyed_client(analyzer, tmp_path, [secrets.token_urlsafe(24)], rate_limit=5) as http:
        http.app.state.runtime.limiter = RateLimiter(5, clock=lambda: 0.0)  # no refill, however slow the machine
        statuses = [http.get("/v1/jobs", headers={"X-API-Key": f"guess-{i:012d}"}).status_code for i in range(8)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}, statuses


# ---------------------------------------------------------------------------- 3: compute budget


def test_an_article_over_the_token_cap_gets_413(analyzer: Any, tmp_path: Path) -> None:
    with client_for(analyzer, tmp_path, max_request_tokens=2_000) as http:
        wait_ready(http)
        started = time.monotonic()
        assert_problem(http.post("/v1/analyze", json={"text": "a " * 20_000}), 413, "model tokens")
        assert_problem(http.post("/v1/analyze", json={"text": "a\n\n" * 5_000}), 413, "model tokens")
        assert time.monotonic() - started < 20
        assert http.post("/v1/analyze", json={"text": "They lie to you every day."}).status_code == 200


def test_the_minute_budget_per_caller_gets_429(analyzer: Any, tmp_path: Path) -> None:
    with client_for(analyzer, tmp_path, tokens_per_minute=3_000, max_request_tokens=3_000) as http:
        wait_ready(http)
        http.app.state.runtime.budget = RateLimiter(3_000, clock=lambda: 0.0)  # no refill during slow analyses
        text = " ".join(["The regime lies to its people and the world."] * 120)  # about 1,300 tokens
        assert http.post("/v1/analyze", json={"text": text}).status_code == 200
        assert http.post("/v1/analyze", json={"text": text}).status_code == 200
        response = http.post("/v1/analyze", json={"text": text})
        assert_problem(response, 429, "compute budget")
        assert int(response.headers["Retry-After"]) >= 1


def test_a_short_request_passes_long_ones_in_the_queue(analyzer: Any) -> None:
    queue = InferenceQueue(analyzer)
    finished: list[str] = []
    try:
        long_text = Article.from_text("\n\n".join(["The West lies about everything it does."] * 400))
        futures = [queue.submit([long_text], cost=analyzer.cost(long_text)) for _ in range(3)]
        short = queue.submit([Article.from_text("They lie.")], cost=5)
        short.add_done_callback(lambda _: finished.append("short"))
        for future in futures:
            future.add_done_callback(lambda _: finished.append("long"))
        for future in [*futures, short]:
            future.result(timeout=300)
    finally:
        queue.close()
    assert finished.index("short") <= 1, finished  # behind at most the long one already running


# ---------------------------------------------------------------------------- 8: jobs index, pages, retention, quota


def test_jobs_are_listed_a_page_at_a_time_and_deleted(client: TestClient) -> None:
    ids = [client.post("/v1/jobs", json={"urls": [f"http://example.org/{n}"]}).json()["id"] for n in range(3)]
    page = client.get("/v1/jobs", params={"limit": 2}).json()
    assert page["total"] == 3 and [j["id"] for j in page["jobs"]] == ids[:0:-1]
    rest = client.get(page["next"]).json()
    assert [j["id"] for j in rest["jobs"]] == ids[:1] and rest["next"] is None
    assert client.delete(f"/v1/jobs/{ids[0]}").status_code == 204
    assert_problem(client.get(f"/v1/jobs/{ids[0]}"), 404)
    assert client.get("/v1/jobs").json()["total"] == 2
    assert_problem(client.get("/v1/jobs", params={"limit": 10_000}), 422)


def test_old_and_surplus_finished_jobs_are_pruned(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    states = [store.create(io.BytesIO(b"http://example.org/\n"), "urls") for _ in range(5)]
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).isoformat(timespec="seconds")
    recent = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for number, state in enumerate(states):
        store.save({**state, "status": "done" if number else "queued", "finished": long_ago if number == 1 else recent})
    assert store.prune(max_age_days=30, max_jobs=2) == 2  # the 40-day-old one, and one beyond the newest 2
    left = {s["id"] for s in store.all()}
    assert left == {states[0]["id"], states[3]["id"], states[4]["id"]}  # the queued job is never pruned


def test_a_key_cannot_fill_the_disk_with_jobs(analyzer: Any, tmp_path: Path) -> None:
    store = JobStore(tmp_path, quota_bytes=1000)
    store.create(io.BytesIO(b"x" * 600), "urls", owner="alice")
    with pytest.raises(QuotaExceeded, match="delete finished jobs"):
        store.create(io.BytesIO(b"x" * 600), "urls", owner="alice")
    store.create(io.BytesIO(b"x" * 600), "urls", owner="bob")
    assert len(store.all()) == 2
    with client_for(analyzer, tmp_path, job_quota_mb=0.001) as http:
        upload = {"file": ("big.jsonl", b'{"text": "They lie."}\n' * 100)}
        assert_problem(http.post("/v1/jobs", files=upload), 413, "MiB")


def test_the_idle_worker_does_not_reread_every_job(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    for _ in range(50):
        store.create(io.BytesIO(b"http://example.org/\n"), "urls")
    store.all()
    reads = 0
    real_read = Path.read_text

    def counting(self: Path, *args: Any, **kwargs: Any) -> str:
        nonlocal reads
        reads += 1
        return real_read(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "read_text", counting)
        assert len(store.all()) == 50
    assert reads == 0


def test_jobs_are_refused_by_a_server_whose_model_failed(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", model=tmp_path / "no-such-model"))
    with TestClient(app, base_url=LOCAL) as http:
        deadline = time.monotonic() + 30
        while "could not be loaded" not in http.get("/readyz").text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert_problem(http.post("/v1/jobs", json={"urls": ["http://example.org/a"]}), 503, "could not be loaded")
        page = http.post("/jobs", data={"urls": "http://example.org/a"})  # the jobs page, keeping the list
        assert page.status_code == 503 and "could not be loaded" in page.text and "http://example.org/a" in page.text
        assert http.get("/v1/jobs").json()["total"] == 0


# ---------------------------------------------------------------------------- 12, 15: extremes and the paste limit


def test_an_enormous_result_number_is_a_422_page(client: TestClient) -> None:
    job = client.post("/v1/jobs", json={"urls": ["http://example.org/a"]}).json()["id"]
    response = client.get(f"/jobs/{job}/results/9223372036854775808")
    assert response.status_code == 422 and "result numbers" in response.text


def test_a_paste_over_1_mib_gets_an_answer_that_keeps_the_text(client: TestClient) -> None:
    from unspin.analyzer import MAX_ARTICLE_CHARS

    paragraph = "Они лгут нам каждый день, и все это знают. " * 10
    big = "\n\n".join([paragraph] * 2600)  # 1.1 M characters, 2 MB as UTF-8: over the token cap, not the length
    assert len(big) < MAX_ARTICLE_CHARS and len(big.encode()) > 1 << 20
    response = client.post("/analyze", files={"text": (None, big)}, follow_redirects=False)
    assert response.status_code == 413 and "model tokens" in response.text
    assert big in response.text.replace("\r\n", "\n")
    over = "x" * (MAX_ARTICLE_CHARS + 1)
    response = client.post("/analyze", files={"text": (None, over)}, follow_redirects=False)
    assert response.status_code == 422 and "at most 2000000 characters" in response.text
    assert over in response.text  # the form gives the text back


# ---------------------------------------------------------------------------- 2: slow upstreams, over real HTTP


@pytest.mark.slow
def test_slow_upstreams_never_hold_the_server(analyzer: Any, tmp_path: Path) -> None:
    """40 URL analyses of a page trickling a byte every 50 ms, then health and a plain analysis answer at once."""
    import uvicorn

    from _live_server import free_port
    from _local_web import LocalWeb, article_page

    port = free_port()
    settings = Settings(port=port, data_dir=tmp_path, allow_private_urls=True, fetch_timeout=3, max_fetches=4)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, analyzer=analyzer), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        with LocalWeb() as web, ThreadPoolExecutor(40) as pool:
            slow = web.add("/slow", article_page(), trickle=0.05)
            deadline = time.monotonic() + 60
            while not _answers(base + "/readyz"):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            pending = [
                pool.submit(httpx.post, base + "/v1/analyze", json={"url": slow}, timeout=120) for _ in range(40)
            ]
            time.sleep(1.0)
            started = time.monotonic()
            assert httpx.get(base + "/healthz", timeout=10).status_code == 200
            assert httpx.get(base + "/v1/jobs", timeout=10).status_code == 200
            assert httpx.post(base + "/v1/analyze", json={"text": "They lie."}, timeout=10).status_code == 200
            assert time.monotonic() - started < 8
            answers = [f.result() for f in pending]
        assert {a.status_code for a in answers} == {422}
        assert all("within 3 s" in json.loads(a.text)["detail"] for a in answers)
    finally:
        server.should_exit = True


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow
def test_a_rotating_x_forwarded_for_does_not_escape_the_rate_limit(model_path: Path, tmp_path: Path) -> None:
    """Without --trusted-proxy the header is ignored: the limit counts the real client address."""
    from _live_server import LiveServer

    server = LiveServer(
        "--model",
        str(model_path),
        "--rate-limit",
        "5/min",
        data_dir=tmp_path / "data",
        log_path=tmp_path / "server.log",
    ).start(ready=False)  # the limit needs no model
    try:
        statuses = [
            httpx.get(f"{server.url}/v1/jobs", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(8)
        ]
    finally:
        server.stop()
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}, statuses


@pytest.mark.slow
def test_a_slow_job_does_not_hold_another_callers_job(analyzer: Any, tmp_path: Path) -> None:
    """Alice's URLs trickle for a minute; Bob's upload is analysed meanwhile."""
    from _local_web import LocalWeb, article_page

    alice, bob = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with LocalWeb() as web, keyed_client(analyzer, tmp_path, [alice, bob], allow_private_urls=True) as http:
        wait_ready(http)
        slow = [web.add(f"/slow/{n}", article_page(), trickle=0.05) for n in range(3)]
        http.post("/v1/jobs", json={"urls": slow}, headers={"X-API-Key": alice})
        upload = {"file": ("b.jsonl", b'{"id": "b1", "text": "They lie to you every day."}\n')}
        job = http.post("/v1/jobs", files=upload, headers={"X-API-Key": bob}).json()["id"]
        deadline = time.monotonic() + 30
        while (state := http.get(f"/v1/jobs/{job}", headers={"X-API-Key": bob}).json())["status"] != "done":
            assert time.monotonic() < deadline, f"Bob's job waited behind Alice's: {state}"
            time.sleep(0.2)
        assert state["analysed"] == 1


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--trusted-proxy", "not an ip!", "is no IP address or network"),
        ("--allowed-host", "http://unspin.example", "is no host name"),
        ("--allowed-host", "unspin.example:8000", "is no host name"),
    ],
)
def test_bad_network_settings_are_refused_at_start(option: str, value: str, message: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "unspin", "serve", option, value, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0 and message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr
