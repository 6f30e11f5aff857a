"""Security of the server: API keys, exposure, rate limits, body caps, headers, CORS, URL fetching, uploads."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from _live_server import LiveServer
from unspin.errors import InputError
from unspin.server.security import KeyRing, RateLimiter, check_exposure, is_loopback

PROBLEM = "application/problem+json"
MAX_BODY_MB = 0.05  # 51 KiB: small, to test the cap cheaply
RATE_LIMIT = 200  # the other tests stay far below it; the rate-limit test has its own key
ORIGIN = "https://newsroom.example"


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    return {name: secrets.token_urlsafe(32) for name in ("main", "rate", "other")}


@pytest.fixture(scope="module")
def server(model_path: Path, keys: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("secure-server")
    key_file = root / "keys.txt"
    key_file.write_text("# newsroom keys\n\n" + "\n".join(keys.values()) + "\n")
    with LiveServer(
        "--model",
        str(model_path),
        "--api-keys",
        str(key_file),
        "--max-body-mb",
        str(MAX_BODY_MB),
        "--rate-limit",
        f"{RATE_LIMIT}/min",
        "--cors-origin",
        ORIGIN,
        data_dir=root / "data",
        log_path=root / "server.log",
    ) as live:
        yield live


@pytest.fixture(scope="module")
def client(server: LiveServer, keys: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {keys['main']}"}) as http:
        yield http


@pytest.fixture
def web() -> Iterator[Any]:
    from _local_web import LocalWeb, article_page

    with LocalWeb() as local:
        local.add("/article", article_page())
        yield local


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


# ---------------------------------------------------------------------------- exposure


def test_a_non_loopback_host_without_keys_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "unspin", "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "refusing to listen on 0.0.0.0 without API keys" in message and "--api-keys" in message
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.8.9.10", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_exposure_check(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    if loopback:
        check_exposure(host, None)
    else:
        with pytest.raises(InputError, match="--api-keys"):
            check_exposure(host, None)
        check_exposure(host, KeyRing(["a" * 32]))


# ---------------------------------------------------------------------------- keys


def test_keys_are_held_only_as_sha256_digests(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(32)
    (tmp_path / "keys").write_text(f"{key}\n")
    ring = KeyRing.from_file(tmp_path / "keys")
    held = repr(vars(ring)) + repr(ring)
    assert key not in held and key.encode() not in b"".join(ring._digests)
    assert all(len(d) == 32 for d in ring._digests)
    assert ring.identify(key) is not None and ring.identify(key + "x") is None


def test_keys_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr("unspin.server.security.hmac.compare_digest", spy)
    ring = KeyRing(["k" * 20, "q" * 20, "z" * 20])
    assert ring.identify("q" * 20) is not None
    assert len(calls) == 3, "every stored key is compared, with hmac.compare_digest, even after a match"


@pytest.mark.parametrize(
    ("content", "message"), [("", "no API keys"), ("# only a comment\n", "no API keys"), ("short\n", "shorter than 16")]
)
def test_weak_or_missing_key_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "keys").write_text(content)
    with pytest.raises(InputError, match=message):
        KeyRing.from_file(tmp_path / "keys")


def test_requests_without_a_valid_key_are_401_problems(server: LiveServer, keys: dict[str, str]) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong-key-wrong-key"},
        {"X-API-Key": "wrong-key-wrong-key"},
        {"Authorization": f"Basic {keys['main']}"},
    ):
        response = httpx.post(server.url + "/v1/analyze", json={"text": "They lie."}, headers=headers)
        problem = assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "API key" in problem["detail"]
    for path in ("/v1/taxonomy", "/v1/model", "/v1/jobs", "/v1/analyses/0123456789abcdef0123456789abcdef"):
        assert_problem(httpx.get(server.url + path), 401)


def test_valid_keys_work_as_bearer_token_or_header(server: LiveServer, keys: dict[str, str]) -> None:
    for headers in ({"Authorization": f"Bearer {keys['main']}"}, {"X-API-Key": keys["other"]}):
        response = httpx.post(server.url + "/v1/analyze", json={"text": "They lie."}, headers=headers, timeout=60)
        assert response.status_code == 200, response.text


def test_health_and_docs_need_no_key(server: LiveServer) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert httpx.get(server.url + path).status_code == 200


def test_jobs_are_listed_only_for_their_key(server: LiveServer, keys: dict[str, str]) -> None:
    upload = {"file": ("mine.jsonl", b'{"text": "They lie."}\n')}
    mine = httpx.post(server.url + "/v1/jobs", files=upload, headers={"X-API-Key": keys["main"]}).json()["id"]
    listed = httpx.get(server.url + "/v1/jobs", headers={"X-API-Key": keys["other"]}).json()["jobs"]
    assert mine not in {job["id"] for job in listed}
    listed = httpx.get(server.url + "/v1/jobs", headers={"X-API-Key": keys["main"]}).json()["jobs"]
    assert mine in {job["id"] for job in listed}
    assert all("owner" not in job for job in listed)


def test_keys_are_never_logged_nor_echoed(server: LiveServer, client: httpx.Client, keys: dict[str, str]) -> None:
    wrong = "wrong-" + secrets.token_urlsafe(24)
    responses = [
        client.post("/v1/analyze", json={"text": "They lie."}),
        client.post("/v1/analyze", json={"text": 5}),
        httpx.post(server.url + "/v1/analyze", json={"text": "x"}, headers={"Authorization": f"Bearer {wrong}"}),
        httpx.get(server.url + "/v1/taxonomy", headers={"X-API-Key": wrong}),
    ]
    log = server.log()
    assert "POST /v1/analyze" in log, "the access log is on, and still holds no key"
    for secret in (*keys.values(), wrong):
        assert secret not in log
        assert all(secret not in r.text and secret not in str(r.headers) for r in responses)


# ---------------------------------------------------------------------------- rate limits, body caps


class FakeClock:
    """Monotonic seconds that move only when the test moves them."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_the_request_over_the_limit_waits_for_the_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock)  # one request a second, in bursts of 60
    assert [limiter.acquire("alice") for _ in range(60)] == [0.0] * 60
    assert limiter.acquire("alice") == 1.0
    assert limiter.acquire("bob") == 0.0, "another caller has its own bucket"
    clock.advance(0.5)
    assert limiter.acquire("alice") == 0.5
    clock.advance(0.5)
    assert limiter.acquire("alice") == 0.0
    assert limiter.acquire("alice") == 1.0


def test_an_idle_bucket_refills_only_up_to_the_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(15, clock=clock)  # one request every 4 s
    assert [limiter.acquire("alice") for _ in range(16)] == [0.0] * 15 + [4.0]
    clock.advance(3600)
    assert [limiter.acquire("alice") for _ in range(16)] == [0.0] * 15 + [4.0]


def test_the_compute_budget_charges_each_requests_cost() -> None:
    clock = FakeClock()
    budget = RateLimiter(3000, clock=clock)  # 50 model tokens a second
    assert budget.acquire("alice", 1300) == 0.0 and budget.acquire("alice", 1300) == 0.0
    assert budget.acquire("alice", 1300) == 18.0, "400 tokens left, 900 short"
    clock.advance(17)
    assert budget.acquire("alice", 1300) == 1.0
    clock.advance(1)
    assert budget.acquire("alice", 1300) == 0.0
    assert budget.acquire("bob", 10_000) == 0.0, "a request over a full bucket goes when the bucket is full"
    assert budget.acquire("bob", 1) > 0


def test_a_limit_of_zero_is_off() -> None:
    limiter = RateLimiter(0, clock=FakeClock())
    assert all(limiter.acquire("alice", 10**9) == 0.0 for _ in range(1000))


def test_a_flood_of_new_callers_does_not_refill_a_drained_bucket() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, max_callers=2, clock=clock)  # one request a minute
    assert limiter.acquire("alice") == 0.0
    clock.advance(30)
    assert limiter.acquire("mallory-1") == 0.0 and limiter.acquire("mallory-2") == 0.0
    assert limiter.acquire("alice") == pytest.approx(30.0), "alice's bucket is still half empty"
    clock.advance(60)
    assert limiter.acquire("mallory-3") == 0.0
    assert list(limiter._buckets) == ["mallory-3"], "buckets idle for a minute are full: forgotten"


def test_the_request_over_the_limit_is_a_429_problem_until_the_bucket_refills(tmp_path: Path) -> None:
    """The whole app over HTTP, in process, with its limiter on a fake clock: exact at any machine load."""
    from fastapi.testclient import TestClient

    from unspin.server import Settings, create_app

    alice, bob = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    (tmp_path / "keys.txt").write_text(f"{alice}\n{bob}\n")
    settings = Settings(
        data_dir=tmp_path / "data", model=tmp_path / "no-model", api_keys=tmp_path / "keys.txt", rate_limit=15
    )
    app = create_app(settings)
    clock = FakeClock()
    app.state.runtime.limiter = RateLimiter(settings.rate_limit, clock=clock)  # one request every 4 s
    with TestClient(app, base_url="http://localhost:8000") as http:

        def get(key: str) -> httpx.Response:
            return http.get("/v1/taxonomy", headers={"X-API-Key": key})

        assert [get(alice).status_code for _ in range(15)] == [200] * 15
        over = get(alice)
        problem = assert_problem(over, 429)
        assert over.headers["retry-after"] == "4" and "rate limit of 15 requests a minute" in problem["detail"]
        assert get(bob).status_code == 200, "another key has its own bucket"
        clock.advance(3)
        still = get(alice)
        assert_problem(still, 429)
        assert still.headers["retry-after"] == "1"
        clock.advance(1)
        assert get(alice).status_code == 200
        assert get(alice).headers["retry-after"] == "4"


def test_the_live_server_enforces_its_rate_limit_per_key(server: LiveServer, keys: dict[str, str]) -> None:
    """``--rate-limit`` over real HTTP, with bounds that hold however fast the machine answers.

    The bucket starts full, so the first RATE_LIMIT requests pass however slowly they go; after
    them no more may pass than the refill since the first one allows, and the first refusal
    comes when less than one request is in the bucket, so it says to retry in 1 s (the refill
    is one request every 0.3 s). Only a server slower than its own refill would never refuse;
    the loop gives up after another RATE_LIMIT requests (a minute or more of them) and says so.
    """
    with httpx.Client(base_url=server.url, headers={"X-API-Key": keys["rate"]}) as http:
        started = time.monotonic()
        assert [http.get("/v1/taxonomy").status_code for _ in range(RATE_LIMIT)] == [200] * RATE_LIMIT
        passed = RATE_LIMIT
        for _ in range(RATE_LIMIT):
            response = http.get("/v1/taxonomy")
            if response.status_code != 200:
                break
            passed += 1
            refilled = (time.monotonic() - started) * RATE_LIMIT / 60
            assert passed <= RATE_LIMIT + refilled + 1, (
                f"{passed} requests passed in {time.monotonic() - started:.1f} s"
            )
        else:
            pytest.fail(
                f"no request refused in {time.monotonic() - started:.0f} s: the server was slower than its refill"
            )
        problem = assert_problem(response, 429)
        assert response.headers["retry-after"] == "1" and "rate limit" in problem["detail"]
    other = httpx.get(server.url + "/v1/taxonomy", headers={"X-API-Key": keys["other"]})
    assert other.status_code == 200, "another key has its own bucket"


def test_bodies_over_the_cap_are_413_problems(client: httpx.Client) -> None:
    big = "They lie. " * int(MAX_BODY_MB * 2**20 / 9)
    problem = assert_problem(client.post("/v1/analyze", json={"text": big}), 413)
    assert "limit" in problem["detail"]
    upload = {"file": ("big.jsonl", json.dumps({"text": big}).encode() + b"\n")}
    assert_problem(client.post("/v1/jobs", files=upload), 413)


def test_streamed_bodies_over_the_cap_are_413_problems(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(int(MAX_BODY_MB * 2**20 / 4096) + 2):
            yield b"x" * 4096
        yield b'"}'

    response = client.post("/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_streamed_bodies_under_the_cap_go_through(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "They lie.'
        yield b' They always lie."}'

    response = client.post("/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------------------- headers and CORS


def test_every_response_has_a_content_security_policy(server: LiveServer, client: httpx.Client) -> None:
    responses = [
        httpx.get(server.url + "/healthz"),
        httpx.get(server.url + "/docs"),
        httpx.get(server.url + "/openapi.json"),
        httpx.get(server.url + "/nothing"),
        httpx.get(server.url + "/v1/taxonomy"),
        client.post("/v1/analyze", json={}),
        client.post("/v1/analyze", json={"text": "They lie."}),
        client.post("/v1/analyze", content=b"x" * int(MAX_BODY_MB * 2**20 + 10)),
        httpx.get(server.url + "/", follow_redirects=False),
    ]
    for response in responses:
        policy = response.headers.get("content-security-policy", "")
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'", (response.request.url, policy)
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_has_no_inline_or_external_script(server: LiveServer) -> None:
    page = httpx.get(server.url + "/docs").text
    assert not re.search(r"<script|\son\w+=|javascript:", page, re.IGNORECASE)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page, re.IGNORECASE)


def test_cors_allows_only_the_configured_origin(server: LiveServer, keys: dict[str, str]) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            server.url + "/v1/analyze",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )

    assert preflight(ORIGIN).headers.get("access-control-allow-origin") == ORIGIN
    assert "access-control-allow-origin" not in preflight("https://evil.example").headers
    response = httpx.get(server.url + "/v1/taxonomy", headers={"Origin": ORIGIN, "X-API-Key": keys["other"]})
    assert response.headers.get("access-control-allow-origin") == ORIGIN
    assert "x-analysis-id" in response.headers.get("access-control-expose-headers", "").lower()
    too_large = httpx.post(
        server.url + "/v1/analyze",
        content=b"x" * int(MAX_BODY_MB * 2**20 + 10),
        headers={"Origin": ORIGIN, "X-API-Key": keys["other"]},
    )
    assert too_large.status_code == 413
    assert too_large.headers.get("access-control-allow-origin") == ORIGIN, "a browser client can read the 413"


# ---------------------------------------------------------------------------- fetching URLs


BLOCKED_URLS = [
    "file:///etc/passwd",
    "/etc/passwd",
    "examples/article-en.txt",
    "-",
    "etc/passwd",
    "http:/etc/passwd",
    "https:examples/article-en.txt",
    "ftp://127.0.0.1/x",
    "gopher://127.0.0.1:70/",
    "data:text/plain,They lie",
    "http://10.0.0.1/",
    "http://192.168.0.1/",
    "http://172.16.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://224.0.0.1/",
]


def _loopback_urls(web: Any) -> list[str]:
    port = web.url("/").rsplit(":", 1)[1].split("/")[0]
    return [
        web.url("/article"),
        f"http://localhost:{port}/article",
        f"http://[::1]:{port}/article",
        f"http://2130706433:{port}/article",
        f"http://0.0.0.0:{port}/article",
        f"http://127.1:{port}/article",
        f"http://[::ffff:127.0.0.1]:{port}/article",
    ]


def test_analyze_refuses_non_http_and_non_public_urls(client: httpx.Client, web: Any) -> None:
    """Not even a local file: a "URL" that is a path must never be read from the server's disk."""
    for url in BLOCKED_URLS + _loopback_urls(web):
        problem = assert_problem(client.post("/v1/analyze", json={"url": url}), 422)
        assert "not fetched" in problem["detail"] or "only http and https" in problem["detail"], (url, problem)
    assert web.requests == [], "nothing reached the local web server"


def test_jobs_refuse_non_public_urls(client: httpx.Client, web: Any) -> None:
    urls = [u for u in BLOCKED_URLS + _loopback_urls(web) if re.match("https?://", u)]
    job_id = client.post("/v1/jobs", json={"urls": urls}).json()["id"]
    for _ in range(300):
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] == "done":
            break
        time.sleep(0.2)
    assert (job["status"], job["analysed"], job["failed"]) == ("done", 0, len(urls))
    errors = [json.loads(line) for line in client.get(f"/v1/jobs/{job_id}/errors").text.splitlines()]
    assert all("not fetched" in e["reason"] for e in errors), errors
    assert web.requests == []


def test_uploaded_url_lists_never_read_local_files(client: httpx.Client, web: Any) -> None:
    lines = ["/etc/passwd", "file:///etc/passwd", "examples/article-en.txt", web.url("/article")]
    upload = {"file": ("links.txt", "\n".join(lines).encode())}
    job_id = client.post("/v1/jobs", files=upload, data={"format": "urls"}).json()["id"]
    for _ in range(300):
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] == "done":
            break
        time.sleep(0.2)
    assert (job["status"], job["analysed"], job["failed"]) == ("done", 0, len(lines))
    reasons = [json.loads(line)["reason"] for line in client.get(f"/v1/jobs/{job_id}/errors").text.splitlines()]
    assert reasons[:3] == ["only http and https URLs can be read"] * 3
    assert "not fetched" in reasons[3]
    assert web.requests == []


def test_redirects_to_private_addresses_are_refused(monkeypatch: pytest.MonkeyPatch, web: Any) -> None:
    """Every connection is checked, so a public page redirecting to a private one is refused too."""
    from unspin.formats import inputs
    from unspin.formats import web as fetching  # where the guard looks the address up

    real_check = fetching.public_address
    monkeypatch.setattr(
        fetching,
        "public_address",
        lambda host, port: "127.0.0.1" if host == "pretend-public.test" else real_check(host, port),
    )
    port = int(web.url("/").rsplit(":", 1)[1].split("/")[0])
    web.add("/redirect", b"", status=302, headers={"Location": f"http://localhost:{port}/article"})
    with inputs.Fetcher(inputs.ReadOptions(allow_private_addresses=False)) as fetcher:
        page = fetcher.get(f"http://pretend-public.test:{port}/article")
        assert b"sanctions" in page.content, "the pretend-public host is fetched"
        with pytest.raises(InputError, match="not fetched: localhost"):
            fetcher.get(f"http://pretend-public.test:{port}/redirect")
    assert web.requests == ["/article", "/redirect"]


# ---------------------------------------------------------------------------- uploads


@pytest.mark.parametrize(
    "filename",
    [
        "../../escape.jsonl",
        "/tmp/absolute-escape.jsonl",
        "..\\..\\win-escape.jsonl",
        "sub/dir/../../nested-escape.jsonl",
    ],
)
def test_uploads_are_never_written_to_user_derived_paths(
    client: httpx.Client, server: LiveServer, filename: str
) -> None:
    response = client.post("/v1/jobs", files={"file": (filename, b'{"text": "They lie."}\n')})
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["name"] == Path(filename.replace("\\", "/")).name
    root = server.data_dir.parent
    escaped = list(root.rglob("*escape*")) + list(Path("/tmp").glob("*escape.jsonl"))
    assert escaped == []
    folder = server.data_dir / "jobs" / job["id"]
    assert re.fullmatch(r"[0-9a-f]{32}", job["id"])
    being_replaced = re.compile(r"\.job\.json\.[0-9a-f]{8}\.tmp")  # files.replaced_atomically's scratch name
    files = {p.name for p in folder.iterdir() if not being_replaced.fullmatch(p.name)}
    assert files <= {"job.json", "input.jsonl", "results.jsonl", "errors.jsonl"}
    names = {p.relative_to(server.data_dir).parts[0] for p in server.data_dir.iterdir()}
    assert names <= {"jobs", "analyses"}
