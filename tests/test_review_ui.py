"""Reviewing in the web app, in process: the review page, its forms without script, the script's JSON route,
the queue and agreement pages, and the Review buttons of result pages, on a server with API keys.

No model is needed: the corpus holds small hand-made analyses (tests/_review_data.py), and the app is built
on a bundle path that does not exist, so every page renders while analyses wait.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient

import unspin.i18n
from _review_data import analysis, corpus
from test_i18n_web import Bracketing, unmarked_words
from unspin.review.store import decisions_of, review
from unspin.server import Settings, create_app
from unspin.server.ui.common import KEY_COOKIE
from unspin.server.ui.review import layer_entries, paragraph_pieces, review_items
from unspin.store import Store

LOCAL = "http://localhost:8000"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
ANA, BEN = (secrets.token_urlsafe(24) for _ in range(2))
CORRUPT = {"start": 4, "end": 11, "technique": "Loaded_Language"}  # "corrupt" in "The corrupt regime lies again today."


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TestClient]:
    """The web app on a corpus of four articles, with two keys (ana, Ben Jones); nobody signed in yet."""
    db = tmp_path / "corpus.db"
    with Store(db) as store:
        store.add(corpus())
    keys = tmp_path / "keys.txt"
    keys.write_text(f"{ANA} ana\n{BEN} Ben Jones\n", encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", db=str(db), model=tmp_path / "no-model", rate_limit=0, api_keys=keys
    )
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        yield client


def signed_in(client: TestClient, key: str = ANA) -> TestClient:
    response = client.post("/signin", data={"key": key, "next": "/review"}, follow_redirects=False)
    assert response.status_code == 303 and KEY_COOKIE in response.cookies, response.text
    return client


@pytest.fixture
def client(app: TestClient) -> TestClient:
    return signed_in(app)


def store_of(client: TestClient) -> Store:
    return client.app.state.runtime.corpus  # type: ignore[attr-defined,no-any-return]


def article_ids(client: TestClient) -> dict[str, int]:
    response = client.get("/v1/review-queue", headers={"Authorization": f"Bearer {ANA}"})
    return {item["title"]: item["id"] for item in response.json()["items"]}


def hash_of(client: TestClient, article_id: int) -> str:
    response = client.get("/v1/reviews", params={"article": article_id}, headers={"Authorization": f"Bearer {ANA}"})
    return str(response.json()["content_hash"])


class Marks(HTMLParser):
    """The highlighted pieces of a review page's text: (classes, items, text)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[str, str, str]] = []
        self._open: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "mark" and "data-items" in attributes:
            self._open = attributes

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.marks.append((self._open["class"], self._open["data-items"], data))
            self._open = None


def looks(html: str) -> dict[str, str]:
    """Each highlighted text of the page and its look (pending, accepted, added, rejected, model)."""
    found = {}
    for classes, _items, text in Marks(html).marks:
        [look] = [c.removeprefix("rv-") for c in classes.split() if c.startswith("rv-") and c != "rv-add-start"]
        found[text] = look
    return found


def post_form(client: TestClient, article_id: int, **fields: Any) -> httpx.Response:
    return client.post(f"/corpus/articles/{article_id}/review", data=fields, follow_redirects=False)


# ---------------------------------------------------------------------------- signing in


def test_a_keyed_server_asks_for_sign_in_and_records_nothing_without_it(app: TestClient) -> None:
    for path in ("/review", "/review/agreement?a=x&b=y", "/corpus/articles/1/review"):
        response = app.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next="), path
    refused = post_form(app, 1, kind="accept", **CORRUPT)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/signin")
    script = app.post(
        "/corpus/articles/1/review/decisions",
        json={"decisions": [{"kind": "accept", "span": CORRUPT}]},
        follow_redirects=False,
    )
    assert script.status_code == 303  # to sign in; the page's script says so
    app.cookies.set(KEY_COOKIE, "not-a-key-not-a-key-not-a-key")
    assert app.get("/review", follow_redirects=False).status_code == 303
    assert review(store_of(app), hash_of(app, 1), "ana") is None


def test_the_sign_in_cookie_does_not_open_the_api(client: TestClient) -> None:
    """The review page posts to its own route: the API still wants a key in a header."""
    body = {"article": 1, "decisions": [{"kind": "accept", "span": CORRUPT}]}
    response = client.post("/v1/reviews", json=body, headers=SAME_ORIGIN)
    assert response.status_code == 401
    assert client.get("/v1/reviews", params={"article": 1}).status_code == 401


# ---------------------------------------------------------------------------- the review page


def test_the_review_page_shows_both_layers_and_the_reviewer(client: TestClient) -> None:
    sure = article_ids(client)["sure"]
    page = client.get(f"/corpus/articles/{sure}/review")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1" in page.text and ">sure</h1>" in page.text
    assert looks(page.text) == {"corrupt": "pending"}
    assert "ana" in page.text and "test-model==1" in page.text
    assert 'href="/review" aria-current="page"' in page.text  # the nav's Review entry
    assert 'id="review-data"' in page.text and 'type="application/json"' in page.text
    assert "<script>" not in page.text  # only the server's scripts, by address (the CSP allows nothing inline)
    data = json.loads(re.search(r'id="review-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert data["post"] == f"/corpus/articles/{sure}/review/decisions"
    assert [(i["id"], i["state"]) for i in data["items"]] == [("m0", "pending")]
    assert len(data["techniques"]) == 23


def test_unknown_articles_are_404_pages(client: TestClient) -> None:
    for path in ("/corpus/articles/999/review", "/corpus/articles/0/review", "/corpus/articles/abc/review"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    assert post_form(client, 999, kind="accept", **CORRUPT).status_code == 404
    script = client.post(
        "/corpus/articles/999/review/decisions", json={"decisions": [{"kind": "status", "status": "done"}]}
    )
    assert script.status_code == 404 and "999" in script.json()["detail"]


def test_forms_without_script_record_decisions(client: TestClient) -> None:
    ids = article_ids(client)
    sure, middling = ids["sure"], ids["middling"]
    accepted = post_form(client, sure, kind="accept", confidence="0.9", layer="review", **CORRUPT)
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/corpus/articles/{sure}/review?layer=review#review-spans"
    assert looks(client.get(accepted.headers["location"]).text) == {"corrupt": "accepted"}
    # Paragraph techniques, frames, genre and status are forms too.
    assert post_form(client, sure, kind="paragraph", paragraph="2", techniques=["Doubt", "Slogans"]).status_code == 303
    assert post_form(client, sure, kind="frames", frames=["Political", "Economic"]).status_code == 303
    assert post_form(client, sure, kind="genre", genre="reporting").status_code == 303
    assert post_form(client, sure, kind="status", status="done").status_code == 303
    rejected = post_form(client, middling, kind="reject", start="7", end="19", technique="Doubt")
    assert rejected.status_code == 303

    store = store_of(client)
    mine = review(store, hash_of(client, sure), "ana")
    assert mine is not None and mine.status == "done" and mine.model == "test-model==1"
    assert [(s.start, s.end, s.technique, s.origin, s.model_confidence) for s in mine.spans] == [
        (4, 11, "Loaded_Language", "model", 0.9)
    ]
    assert mine.paragraphs == {2: ["Doubt", "Slogans"]}
    assert mine.frames == ["Economic", "Political"] and mine.genre == "reporting"
    history = decisions_of(store, hash_of(client, sure), "ana")
    assert [d.decision.kind for d in history] == ["accept", "paragraph", "frames", "genre", "status"]
    assert {(d.reviewer, d.model) for d in history} == {("ana", "test-model==1")}
    other = review(store, hash_of(client, middling), "ana")
    assert other is not None and [(r.start, r.end, r.technique) for r in other.rejected] == [(7, 19, "Doubt")]
    # What the page shows after them: the statuses, the labels, and a rejected span struck through.
    page = client.get(f"/corpus/articles/{sure}/review").text
    assert 'id="review-status">done<' in page
    assert ">Casting doubt, Slogans<" in page
    assert looks(client.get(f"/corpus/articles/{middling}/review").text) == {"really trust": "rejected"}
    queue = client.get("/review?status=done").text
    assert f'href="/corpus/articles/{sure}/review"' in queue and f"/corpus/articles/{middling}/review" not in queue


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "accept", "start": "4", "end": "900", "technique": "Loaded_Language"}, "past the end"),
        ({"kind": "accept", "start": "x", "end": "11", "technique": "Loaded_Language"}, "whole number"),
        ({"kind": "accept", "start": "4", "end": "11", "technique": "Not_A_Technique"}, "Not_A_Technique"),
        ({"kind": "paragraph", "paragraph": "9", "techniques": "Doubt"}, "no paragraph 9"),
        ({"kind": "genre", "genre": "poetry"}, "poetry"),
        ({"kind": "delete-everything"}, "no decision"),
    ],
)
def test_a_form_that_does_not_fit_says_why_and_writes_nothing(
    client: TestClient, fields: dict[str, str], words: str
) -> None:
    sure = article_ids(client)["sure"]
    response = post_form(client, sure, **fields)
    assert response.status_code == 422
    assert 'role="alert"' in response.text and words in response.text
    assert review(store_of(client), hash_of(client, sure), "ana") is None


def test_the_layers_of_the_page(client: TestClient) -> None:
    # "really trust" (Doubt, 0.55) in "Can we really trust these numbers at all?"
    middling = article_ids(client)["middling"]
    post_form(client, middling, kind="reject", start="7", end="19", technique="Doubt")
    added = {"kind": "add", "span": {"start": 20, "end": 25, "technique": "Loaded_Language"}}  # "these"
    response = client.post(
        f"/corpus/articles/{middling}/review/decisions", json={"decisions": [added]}, headers=SAME_ORIGIN
    )
    assert response.status_code == 200, response.text
    page = f"/corpus/articles/{middling}/review"
    assert looks(client.get(page).text) == {"really trust": "rejected", "these": "added"}
    assert looks(client.get(f"{page}?layer=model").text) == {"really trust": "model"}
    assert looks(client.get(f"{page}?layer=review").text) == {"these": "added"}
    assert client.get(f"{page}?layer=everything").status_code == 404


# ---------------------------------------------------------------------------- the script's route


def test_the_scripts_route_records_and_answers_with_the_items(client: TestClient) -> None:
    sure = article_ids(client)["sure"]
    url = f"/corpus/articles/{sure}/review/decisions"
    decisions = [
        {"kind": "relabel", "span": CORRUPT, "technique": "Name_Calling-Labeling", "model_confidence": 0.9},
        {"kind": "adjust", "span": {**CORRUPT, "technique": "Name_Calling-Labeling"}, "start": 4, "end": 18},
    ]
    response = client.post(url, json={"decisions": decisions}, headers=SAME_ORIGIN)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    view = response.json()
    assert view["review"]["reviewer"] == "ana" and view["review"]["model"] == "test-model==1"
    [item] = view["items"]
    assert (item["id"], item["state"], item["start"], item["end"], item["technique"]) == (
        "m0",
        "accepted",
        4,
        18,
        "Name_Calling-Labeling",
    )
    assert item["model"] == {**CORRUPT, "confidence": 0.9}
    history = decisions_of(store_of(client), hash_of(client, sure), "ana")
    assert [d.decision.kind for d in history] == ["relabel", "adjust"]


def test_the_scripts_route_takes_json_from_this_site_only(client: TestClient) -> None:
    sure = article_ids(client)["sure"]
    url = f"/corpus/articles/{sure}/review/decisions"
    body = {"decisions": [{"kind": "status", "status": "done"}]}
    # A form (what another site's page could make a browser send) is refused before anything is read.
    assert client.post(url, data={"decisions": "x"}, headers=SAME_ORIGIN).status_code == 415
    cross = client.post(url, json=body, headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert review(store_of(client), hash_of(client, sure), "ana") is None
    for bad, status in (
        ({"decisions": []}, 422),
        ({"decisions": [{"kind": "accept"}]}, 422),
        ({"decisions": [{"kind": "accept", "span": {"start": 4, "end": 900, "technique": "Doubt"}}]}, 422),
        ({"decisions": [{"kind": "status", "status": "done"}], "reviewer": "ben"}, 422),
    ):
        response = client.post(url, json=bad, headers=SAME_ORIGIN)
        assert response.status_code == status, (bad, response.text)
        assert response.json()["detail"]
    assert review(store_of(client), hash_of(client, sure), "ana") is None
    assert client.post(url, json=body, headers=SAME_ORIGIN).json()["review"]["status"] == "done"


# ---------------------------------------------------------------------------- the layers, as data


def test_review_items_follow_spans_that_were_moved_or_relabelled() -> None:
    from unspin.review.model import Decision, Review, SpanRef, apply_decision

    article = analysis(
        [("A corrupt and evil regime.", [], [("Loaded_Language", "corrupt", 0.8), ("Loaded_Language", "evil", 0.4)])],
        source="x",
    )
    corrupt, evil = (SpanRef(start=s.start, end=s.end, technique=s.technique) for s in article.spans)
    layer = Review(content_hash="0" * 64, reviewer="ana")
    for decision in (
        Decision(kind="adjust", span=corrupt, start=2, end=13),  # "corrupt and"
        Decision(kind="reject", span=evil),
        Decision(kind="add", span=SpanRef(start=19, end=25, technique="Doubt")),  # "regime"
    ):
        layer = apply_decision(layer, decision, len(article.article.text))
    items = review_items(article, layer)
    assert [(i["id"], i["state"], i["start"], i["end"]) for i in items] == [
        ("m0", "accepted", 2, 13),
        ("m1", "rejected", 14, 18),
        ("r-19-25-Doubt", "accepted", 19, 25),
    ]
    text = article.article.text
    pieces = paragraph_pieces(text, 0, len(text), layer_entries(items, "both"))
    assert "".join(p["text"] for p in pieces) == text
    shown = [(p["text"], p["mark"]["cls"].split()[1]) for p in pieces if p["mark"]]
    assert shown == [("corrupt and", "rv-accepted"), ("evil", "rv-rejected"), ("regime", "rv-added")]
    model = paragraph_pieces(text, 0, len(text), layer_entries(items, "model"))
    assert [p["text"] for p in model if p["mark"]] == ["corrupt", "evil"]


# ---------------------------------------------------------------------------- the Review buttons


def test_review_buttons_on_result_pages(client: TestClient) -> None:
    sure = article_ids(client)["sure"]
    corpus_page = client.get(f"/corpus/articles/{sure}").text
    assert f'<form method="get" action="/corpus/articles/{sure}/review">' in corpus_page
    runtime = client.app.state.runtime  # type: ignore[attr-defined]

    # A single analysis: the button stores it in the corpus, then opens its review page.
    new = analysis([("They will never stop lying to us.", [], [("Loaded_Language", "lying", 0.7)])], source="Post")
    analysis_id = runtime.analyses.save(new.to_dict())
    page = client.get(f"/a/{analysis_id}").text
    assert f'<form method="post" action="/a/{analysis_id}/review">' in page
    opened = client.post(f"/a/{analysis_id}/review", follow_redirects=False)
    assert opened.status_code == 303
    stored = int(re.fullmatch(r"/corpus/articles/(\d+)/review", opened.headers["location"]).group(1))  # type: ignore[union-attr]
    assert looks(client.get(opened.headers["location"]).text) == {"lying": "pending"}
    again = client.post(f"/a/{analysis_id}/review", follow_redirects=False)
    assert again.headers["location"] == opened.headers["location"]  # stored once
    assert client.post("/a/0123456789abcdef0123456789abcdef/review").status_code == 404

    # A job's result: the same, for the job's owner only.
    job = runtime.jobs.create(io.BytesIO(b"http://example.org/a\n"), "urls", owner=runtime.keys.identify(ANA))
    other = analysis([("Only cowards doubt our victory.", [], [("Doubt", "doubt", 0.5)])], source="Wire")
    runtime.jobs.results_path(job["id"]).write_text(json.dumps(other.to_dict()) + "\n", encoding="utf-8")
    result = f"/jobs/{job['id']}/results/1"
    assert f'<form method="post" action="{result}/review">' in client.get(result).text
    opened = client.post(f"{result}/review", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] != f"/corpus/articles/{stored}/review"
    assert looks(client.get(opened.headers["location"]).text) == {"doubt": "pending"}
    assert client.post(f"/jobs/{job['id']}/results/2/review").status_code == 404
    signed_in(client, BEN)
    assert client.post(f"{result}/review").status_code == 404  # not Ben's job


# ---------------------------------------------------------------------------- queue and agreement


def test_the_queue_page_lists_the_least_certain_first_and_filters(client: TestClient) -> None:
    ids = article_ids(client)
    page = client.get("/review")
    assert page.status_code == 200
    links = re.findall(r'<a href="/corpus/articles/(\d+)/review" dir="auto">([^<]+)</a>', page.text)
    assert links == [(str(ids[t]), t) for t in ("unsure", "middling", "sure", "none")]
    assert "4 articles" in page.text and "test-model==1" in page.text
    only = client.get("/review", params={"source": "Beacon", "language": "en", "technique": "Loaded_Language"})
    assert re.findall(r'/corpus/articles/\d+/review" dir="auto">([^<]+)<', only.text) == ["sure"]
    assert ">1 article ·" in only.text
    mine = client.get("/review", params={"mine": "mine"}).text
    assert "0 articles" in mine and "No article matches" in mine
    client.post("/v1/review-queue/assign", json={"articles": [ids["none"]]}, headers={"Authorization": f"Bearer {ANA}"})
    mine = client.get("/review", params={"mine": "mine"}).text
    assert re.findall(r'/corpus/articles/\d+/review" dir="auto">([^<]+)<', mine) == ["none"]
    assert client.get("/review", params={"status": "finished"}).status_code == 404


def test_the_queue_page_hands_its_slice_to_label_studio(client: TestClient) -> None:
    sure = article_ids(client)["sure"]
    post_form(client, sure, kind="status", status="done")
    page = client.get("/review", params={"source": "Beacon"}).text
    link = re.search(r'<a href="(/review/label-studio-tasks.json[^"]*)" download>', page).group(1)  # type: ignore[union-attr]
    assert link == "/review/label-studio-tasks.json?source=Beacon" and "up to 100 articles" in page
    tasks = client.get(link)
    assert "attachment" in tasks.headers["content-disposition"]
    assert [task["data"]["text"] for task in tasks.json()] == ["The council met on Tuesday.\n\nIt adjourned at noon."]
    everything = client.get("/review/label-studio-tasks.json").json()
    assert len(everything) == 3 and all("annotations" not in task for task in everything)  # not Ana's reviewed one
    config = client.get("/review/label-studio-config.xml")
    assert config.status_code == 200 and config.text.startswith("<View>")
    signed_out = TestClient(client.app, base_url=LOCAL)
    assert signed_out.get("/review/label-studio-tasks.json", follow_redirects=False).status_code == 303


def test_the_agreement_page_shows_the_figures(client: TestClient) -> None:
    sure = article_ids(client)["sure"]
    post_form(client, sure, kind="accept", **CORRUPT)
    post_form(client, sure, kind="status", status="done")
    signed_in(client, BEN)
    wider = {"kind": "add", "span": {"start": 4, "end": 18, "technique": "Loaded_Language"}}  # "corrupt regime"
    url = f"/corpus/articles/{sure}/review/decisions"
    done = {"kind": "status", "status": "done"}
    assert client.post(url, json={"decisions": [wider, done]}, headers=SAME_ORIGIN).status_code == 200
    page = client.get("/review/agreement", params={"a": "ana", "b": "Ben Jones"})
    assert page.status_code == 200
    total = re.search(r'<tr class="total">(.*?)</tr>', page.text).group(1)  # type: ignore[union-attr]
    assert re.findall(r'<td class="num">([^<]*)</td>', total) == ["0.50", "1.00", "0.67", "1", "1"]
    assert "Loaded language" in page.text and "1 article" in page.text
    assert "Mean kappa: 1.00" in page.text
    assert '<option value="Ben Jones">' in page.text  # the reviewers to choose from
    missing = client.get("/review/agreement", params={"a": "ana"})
    assert missing.status_code == 200 and 'role="alert"' in missing.text
    assert "Spans of A" not in client.get("/review/agreement").text


# ---------------------------------------------------------------------------- every word translated


def test_every_word_of_the_review_pages_is_marked(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(unspin.i18n, "translations", lambda code: Bracketing())
    ids = article_ids(client)
    post_form(client, ids["sure"], kind="accept", **CORRUPT)
    content = {"ana", "Ben", "Jones", "test-model==1", "F1", "¶"}
    for article in corpus():
        content |= set(re.findall(r"[^\s.,:;()!?…/]+", f"{article.article.text} {article.article.title}"))
        content |= {article.article.source or "", article.article.language or ""}
    pages = [
        f"/corpus/articles/{ids['sure']}/review",
        f"/corpus/articles/{ids['middling']}/review?layer=model",
        "/review",
        "/review?technique=Doubt&status=done",
        "/review/agreement?a=ana&b=Ben+Jones&status=any",
    ]
    for path in pages:
        response = client.get(path, headers={"Accept-Language": "fr"})
        assert response.status_code == 200, path
        left = {w for w in unmarked_words(response) - content if re.search(r"[^\W\d]{2,}", w)}
        assert left == set(), path
