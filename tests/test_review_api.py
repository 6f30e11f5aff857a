"""The review API in process: reviewer identity from the key file, own reviews only, problems, queue, agreement."""

from __future__ import annotations

import getpass
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from _review_data import corpus
from unspin.errors import InputError
from unspin.review.identity import local_reviewer
from unspin.server import Settings, create_app
from unspin.server.security import KeyRing
from unspin.store import Store

PROBLEM = "application/problem+json"
LOCAL = "http://localhost:8000"
ANA, BEN, ANON = (secrets.token_urlsafe(24) for _ in range(3))
ANON_NAME = f"key-{hashlib.sha256(ANON.encode()).hexdigest()[:6]}"


def server(tmp_path: Path, **settings: Any) -> TestClient:
    """The app on a corpus of four articles; no model (it fails to load at once: reviews do not need it)."""
    db = tmp_path / "corpus.db"
    with Store(db) as store:
        store.add(corpus())
    app = create_app(
        Settings(data_dir=tmp_path / "data", db=str(db), model=tmp_path / "no-model", rate_limit=0, **settings)
    )
    return TestClient(app, base_url=LOCAL)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# the team\n{ANA} ana\n{BEN}\tBen Jones  \n{ANON}\n", encoding="utf-8")
    with server(tmp_path, api_keys=keys) as http:
        yield http


def as_(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def problem(response: httpx.Response, status: int, words: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert words in response.json()["detail"], response.json()["detail"]
    return dict(response.json())


def queue(client: TestClient, key: str = ANA, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/review-queue", params=params, headers=as_(key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(client: TestClient) -> dict[str, int]:
    return {item["title"]: item["id"] for item in queue(client)["items"]}


def accept(start: int, end: int, technique: str = "Loaded_Language", kind: str = "accept") -> dict[str, Any]:
    return {"kind": kind, "span": {"start": start, "end": end, "technique": technique}}


DONE = {"kind": "status", "status": "done"}


def post(client: TestClient, key: str, article: int | str, *decisions: dict[str, Any]) -> httpx.Response:
    return client.post("/v1/reviews", json={"article": article, "decisions": list(decisions)}, headers=as_(key))


# -- identity -----------------------------------------------------------------------------------------


def test_every_review_route_needs_a_key(client: TestClient) -> None:
    article = ids(client)["sure"]
    calls = [
        ("GET", "/v1/reviews", {"params": {"article": article}}),
        ("POST", "/v1/reviews", {"json": {"article": article, "decisions": [DONE]}}),
        ("GET", "/v1/review-queue", {}),
        ("POST", "/v1/review-queue/assign", {"json": {"articles": [article]}}),
        ("GET", "/v1/agreement", {"params": {"a": "ana", "b": "Ben Jones"}}),
    ]
    for method, path, options in calls:
        for headers in ({}, as_("not-a-key-not-a-key")):
            response = client.request(method, path, headers=headers, **options)
            problem(response, 401, "API key")
    assert client.get("/v1/reviews", params={"article": article}, headers=as_(ANA)).json()["reviews"] == []


def test_each_reviewer_writes_only_their_own_review(client: TestClient) -> None:
    article = ids(client)["sure"]  # "The corrupt regime lies again today.": "corrupt" is 4-11
    mine = post(client, ANA, article, accept(4, 11))
    assert mine.status_code == 200, mine.text
    assert mine.json()["reviewer"] == "ana" and mine.json()["model"] == "test-model==1"
    theirs = post(client, BEN, article, accept(4, 11, kind="reject"))
    assert theirs.json()["reviewer"] == "Ben Jones" and theirs.json()["spans"] == []
    # a body naming another reviewer is refused, and nothing is written
    forged = {"article": article, "reviewer": "ana", "decisions": [accept(4, 11, kind="remove")]}
    problem(client.post("/v1/reviews", json=forged, headers=as_(BEN)), 422, "reviewer")
    listed = client.get("/v1/reviews", params={"article": article}, headers=as_(ANON)).json()
    assert listed["you"] == ANON_NAME
    by_name = {r["reviewer"]: r for r in listed["reviews"]}
    assert list(by_name) == ["Ben Jones", "ana"]
    assert [s["start"] for s in by_name["ana"]["spans"]] == [4] and by_name["ana"]["rejected"] == []
    assert by_name["Ben Jones"]["rejected"] == [{"start": 4, "end": 11, "technique": "Loaded_Language"}]
    # the same reviews by content hash
    content_hash = listed["content_hash"]
    assert client.get("/v1/reviews", params={"article": content_hash}, headers=as_(ANA)).json() == {
        **listed,
        "you": "ana",
    }
    anon = post(client, ANON, content_hash, DONE)
    assert anon.json()["reviewer"] == ANON_NAME and anon.json()["status"] == "done"


def test_unknown_articles_are_404_and_odd_references_422(client: TestClient) -> None:
    for article in ("999999", "0" * 64):
        problem(client.get("/v1/reviews", params={"article": article}, headers=as_(ANA)), 404, "no stored article")
        problem(post(client, ANA, article, DONE), 404, "no stored article")
        problem(client.get("/v1/agreement", params={"a": "x", "b": "y", "article": article}, headers=as_(ANA)), 404)
    known = ids(client)["sure"]
    assign = client.post("/v1/review-queue/assign", json={"articles": [known, 999999]}, headers=as_(ANA))
    problem(assign, 404, "no stored article 999999")
    assert queue(client, mine="true")["items"] == []  # nothing assigned
    problem(client.get("/v1/reviews", params={"article": "'; DROP TABLE reviews"}, headers=as_(ANA)), 422, "neither")
    problem(post(client, ANA, "x" * 65, DONE), 422)
    other_model = client.post(
        "/v1/reviews", json={"article": known, "model": "test-model==7", "decisions": [DONE]}, headers=as_(ANA)
    )
    problem(other_model, 404, "no analysis of this article by model")


@pytest.mark.parametrize(
    ("decision", "words"),
    [
        ({"kind": "approve", "span": {"start": 0, "end": 3, "technique": "Doubt"}}, "decisions.1.kind"),
        ({"kind": "accept"}, "needs span"),
        (accept(0, 3, "Made_Up_Technique"), "technique"),
        (accept(5, 2), "end must come after its start"),
        (accept(-1, 2), "greater than or equal to 0"),
        ({"kind": "relabel", "span": {"start": 4, "end": 11, "technique": "Doubt"}}, "needs technique"),
        ({"kind": "frames", "frames": ["Astrology"]}, "unknown labels"),
        ({"kind": "status", "status": "finished"}, "status"),
        (accept(30, 5000), "decision 2 (accept): span 30-5000 runs past the end of the text"),
        (
            {"kind": "paragraph", "paragraph": 9, "techniques": []},
            "decision 2 (paragraph): the article has no paragraph 9",
        ),
    ],
)
def test_a_malformed_decision_is_422_and_writes_nothing(client: TestClient, decision: dict, words: str) -> None:
    article = ids(client)["sure"]
    problem(post(client, ANA, article, accept(4, 11), decision), 422, words)
    assert client.get("/v1/reviews", params={"article": article}, headers=as_(ANA)).json()["reviews"] == []


def test_request_bodies_are_checked(client: TestClient) -> None:
    article = ids(client)["sure"]
    problem(client.post("/v1/reviews", json={"article": article, "decisions": []}, headers=as_(ANA)), 422)
    problem(
        client.post("/v1/reviews", content=b"{not json", headers={**as_(ANA), "content-type": "application/json"}), 422
    )
    both = {"articles": [article], "filter": {"sources": ["Beacon"]}}
    problem(client.post("/v1/review-queue/assign", json=both, headers=as_(ANA)), 422, "either articles or filter")
    problem(client.post("/v1/review-queue/assign", json={}, headers=as_(ANA)), 422, "either articles or filter")


# -- queue and assignment -------------------------------------------------------------------------------


def test_queue_with_filters_paging_and_assignment(client: TestClient) -> None:
    page = queue(client)
    assert [(i["title"], i["confidence"], i["status"]) for i in page["items"]] == [
        ("unsure", 0.3, "unreviewed"),
        ("middling", 0.6, "unreviewed"),
        ("sure", 0.9, "unreviewed"),
        ("none", None, "unreviewed"),
    ]
    assert (page["reviewer"], page["total"], page["model"]) == ("ana", 4, "test-model==1")
    article = ids(client)
    lead = client.post(
        "/v1/review-queue/assign", json={"articles": [article["sure"], article["none"]]}, headers=as_(ANA)
    )
    assert lead.json() == {"reviewer": "ana", "assigned": 2, "unassigned": 0}
    to_ben = client.post(
        "/v1/review-queue/assign", json={"filter": {"sources": ["Herald"]}, "reviewer": "Ben Jones"}, headers=as_(ANA)
    )
    assert to_ben.json()["assigned"] == 2
    assert [i["title"] for i in queue(client, mine="true")["items"]] == ["sure", "none"]
    assert [i["title"] for i in queue(client, BEN, mine="true")["items"]] == ["unsure", "middling"]
    assert [i["title"] for i in queue(client, BEN, assigned_to="ana")["items"]] == ["sure", "none"]
    problem(client.get("/v1/review-queue", params={"mine": "true", "assigned_to": "x"}, headers=as_(ANA)), 422)
    post(client, ANA, article["sure"], accept(4, 11), DONE)
    assert [i["title"] for i in queue(client, status="done")["items"]] == ["sure"]
    assert [i["title"] for i in queue(client, status=["unreviewed", "in_progress"])["items"]] == [
        "unsure",
        "middling",
        "none",
    ]
    assert queue(client, BEN, source="Beacon")["items"][0]["reviews"] == {"ana": "done"}
    assert [i["title"] for i in queue(client, min_confidence=0.5, max_confidence=0.6)["items"]] == ["middling"]
    assert [i["title"] for i in queue(client, language="de")["items"]] == ["middling"]
    assert [i["title"] for i in queue(client, technique="Doubt")["items"]] == ["middling"]
    paged = queue(client, limit=1, offset=1)
    assert (paged["total"], [i["title"] for i in paged["items"]]) == (4, ["middling"])
    problem(client.get("/v1/review-queue", params={"min_confidence": 2}, headers=as_(ANA)), 422)
    problem(client.get("/v1/review-queue", params={"status": "finished"}, headers=as_(ANA)), 422)
    off = client.post(
        "/v1/review-queue/assign", json={"articles": [article["none"]], "unassign": True}, headers=as_(ANA)
    )
    assert off.json() == {"reviewer": "ana", "assigned": 0, "unassigned": 1}
    assert [i["title"] for i in queue(client, mine="true")["items"]] == ["sure"]


# -- agreement ------------------------------------------------------------------------------------------


def test_agreement_endpoint_figures(client: TestClient) -> None:
    article = ids(client)["sure"]
    post(client, ANA, article, accept(4, 11), DONE)  # "corrupt"
    post(client, BEN, article, accept(4, 18, kind="add"), DONE)  # "corrupt regime": 7 of its 14 characters shared
    response = client.get("/v1/agreement", params={"a": "ana", "b": "Ben Jones"}, headers=as_(ANON))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["a"], result["b"], result["articles"], result["paragraphs"]) == ("ana", "Ben Jones", 1, 2)
    # P = 7/14 of B's span is A's, R = 7/7 of A's is B's, F1 = 2 * 0.5 * 1 / 1.5 = 2/3
    assert result["spans"]["precision"] == pytest.approx(0.5)
    assert result["spans"]["recall"] == pytest.approx(1.0)
    assert result["spans"]["f1"] == pytest.approx(2 / 3)
    # both label paragraph 1 only: kappa 1
    assert [(k["technique"], k["kappa"]) for k in result["kappa"]] == [("Loaded_Language", 1.0)]
    one = client.get("/v1/agreement", params={"a": "ana", "b": "Ben Jones", "article": article}, headers=as_(ANA))
    assert one.json() == result
    post(client, BEN, ids(client)["middling"], accept(4, 16, "Doubt", kind="add"))
    post(client, ANA, ids(client)["middling"], accept(4, 16, "Doubt", kind="add"))
    assert client.get("/v1/agreement", params={"a": "ana", "b": "Ben Jones"}, headers=as_(ANA)).json()["articles"] == 1
    every = client.get("/v1/agreement", params={"a": "ana", "b": "Ben Jones", "status": "any"}, headers=as_(ANA))
    assert every.json()["articles"] == 2 and every.json()["spans"]["recall"] == pytest.approx(1.0)
    assert client.get("/v1/agreement", params={"a": "ana", "b": "zed"}, headers=as_(ANA)).json()["articles"] == 0
    problem(client.get("/v1/agreement", params={"a": "ana"}, headers=as_(ANA)), 422)


# -- servers without keys, the key file, the docs -----------------------------------------------------


def test_without_keys_the_reviewer_is_the_local_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNSPIN_REVIEWER", "cleo")
    with server(tmp_path) as http:
        article = ids(http)["sure"]
        written = http.post("/v1/reviews", json={"article": article, "decisions": [DONE]})
        assert written.status_code == 200, written.text
        assert written.json()["reviewer"] == "cleo"
        assert http.get("/v1/reviews", params={"article": article}).json()["you"] == "cleo"
        assert http.get("/v1/review-queue").json()["items"][2]["status"] == "done"
    monkeypatch.delenv("UNSPIN_REVIEWER")
    assert local_reviewer() == getpass.getuser()
    monkeypatch.setenv("UNSPIN_REVIEWER", "bad\x1bname")
    assert local_reviewer() == "local"


def test_key_files_name_their_reviewers(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"{ANA}   Ana María  \n{ANON}\n", encoding="utf-8")
    ring = KeyRing.from_file(keys)
    ana, anon = ring.identify(ANA), ring.identify(ANON)
    assert ana is not None and anon is not None
    assert ring.reviewer(ana) == "Ana María" and ring.reviewer(anon) == ANON_NAME
    assert ring.reviewer("no-such-key-id") is None
    held = repr(vars(ring))
    assert ANA not in held and ANON not in held  # still digests only
    keys.write_text(f"{ANA} {'x' * 201}\n", encoding="utf-8")
    with pytest.raises(InputError, match="reviewer name"):
        KeyRing.from_file(keys)
    keys.write_text(f"short ana\n{BEN} ben\n", encoding="utf-8")
    with pytest.raises(InputError, match="shorter than 16"):  # the name is not part of the key
        KeyRing.from_file(keys)


def test_the_routes_are_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method in [
        ("/v1/reviews", "get"),
        ("/v1/reviews", "post"),
        ("/v1/review-queue", "get"),
        ("/v1/review-queue/assign", "post"),
        ("/v1/agreement", "get"),
    ]:
        operation = spec["paths"][path][method]
        assert operation["tags"] == ["reviews"] and operation["summary"] and operation["description"]
        assert "401" in operation["responses"] and "422" in operation["responses"]
    assert "Decision" in spec["components"]["schemas"] and "Agreement" in spec["components"]["schemas"]
