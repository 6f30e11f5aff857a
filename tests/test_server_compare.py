"""Comparing two articles on the server: the Compare page, its permalink, the corpus path and ``GET /v1/compare``.

In process with FastAPI's TestClient, and once in a real headless Chromium (skipped without
Playwright or /usr/bin/chromium).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from unspin.compare import COMPARISON_SCHEMA
from unspin.server import Settings, create_app
from unspin.store.articles import list_articles

LOCAL = "http://localhost:8000"
PROBLEM = "application/problem+json"
FIRST = (
    "date 2022-03-11 The West has launched an unprecedented sanctions pressure. They will never break us!\n\n"
    "But all the statements only confirm that the traitors in Brussels will not give up their lies."
)
SECOND = "Ministers met on Friday to discuss the budget. <script>alert(1)</script>\n\nThe talks go on next week."


@pytest.fixture(scope="module")
def client(analyzer: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("compare-server")
    app = create_app(Settings(data_dir=root / "data", db=str(root / "corpus.db")), analyzer=analyzer)
    with TestClient(app, base_url=LOCAL) as http:
        deadline = time.monotonic() + 60
        while http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the app did not get ready"
            time.sleep(0.05)
        yield http


def post_compare(client: TestClient, a_text: str = "", b_text: str = "", **fields: str) -> httpx.Response:
    """The Compare form as a browser posts it: multipart, with empty file parts for files not chosen."""
    data = {"a_text": a_text, "a_url": "", "b_text": b_text, "b_url": "", **fields}
    files = {"a_file": ("", b"", "application/octet-stream"), "b_file": ("", b"", "application/octet-stream")}
    return client.post("/compare", data=data, files=files, follow_redirects=False)


@pytest.fixture(scope="module")
def compared(client: TestClient) -> tuple[str, str]:
    response = post_compare(client, FIRST, SECOND)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/compare/([^/]+)/([^/]+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1), match.group(2)


def test_the_compare_page_is_in_the_nav_and_offers_paste_file_and_url(client: TestClient) -> None:
    assert 'href="/compare"' in client.get("/").text
    page = client.get("/compare")
    assert page.status_code == 200
    for name in ("a_text", "a_file", "a_url", "b_text", "b_file", "b_url"):
        assert f'name="{name}"' in page.text
    assert 'aria-current="page"' in page.text


def test_the_permalink_shows_both_articles_escaped_with_the_difference_table(
    client: TestClient, compared: tuple[str, str]
) -> None:
    id_a, id_b = compared
    page = client.get(f"/compare/{id_a}/{id_b}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="rates"' in html and "B − A" in html and "Only in A" in html and "Only in B" in html
    assert 'id="a-p1"' in html and 'id="b-p1"' in html
    assert f"/compare/{id_a}/{id_b}/comparison.json" in html and f"/a/{id_a}" in html
    assert 'href="/ui/compare.css' in html and client.get("/ui/compare.css").status_code == 200


def test_json_from_the_page_and_the_api_is_the_same_comparison(client: TestClient, compared: tuple[str, str]) -> None:
    id_a, id_b = compared
    api = client.get("/v1/compare", params={"a": id_a, "b": id_b})
    assert api.status_code == 200
    document = api.json()
    assert document["schema"] == COMPARISON_SCHEMA
    assert (document["a"]["analysis_id"], document["b"]["analysis_id"]) == (id_a, id_b)
    assert document["a"]["paragraphs"] == 2 and document["b"]["paragraphs"] == 2
    download = client.get(f"/compare/{id_a}/{id_b}/comparison.json")
    assert "attachment" in download.headers["content-disposition"]
    assert download.json() == document
    page = client.get(f"/compare/{id_a}/{id_b}/comparison.html")
    assert page.text.startswith("<!DOCTYPE html>") and "<style>" in page.text  # self-contained


def test_the_api_answers_unknown_ids_with_a_404_problem_and_is_documented(
    client: TestClient, compared: tuple[str, str]
) -> None:
    response = client.get("/v1/compare", params={"a": compared[0], "b": "nosuchanalysis"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "nosuchanalysis" in response.json()["detail"]
    assert client.get("/v1/compare", params={"a": compared[0]}).status_code == 422
    operation = client.get("/openapi.json").json()["paths"]["/v1/compare"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"a", "b"}
    assert {"200", "404"} <= set(operation["responses"])
    assert client.get(f"/compare/{compared[0]}/nosuchanalysis").status_code == 404


def test_a_missing_article_is_named_and_the_other_text_is_kept(client: TestClient) -> None:
    response = post_compare(client, FIRST, "")
    assert response.status_code == 422
    assert "article B" in response.text
    assert "traitors in Brussels" in response.text  # A's text stays in the form


def test_a_batch_file_is_refused_for_its_side(client: TestClient) -> None:
    files = {
        "a_file": ("many.jsonl", b'{"text": "One."}\n', "application/json"),
        "b_file": ("", b"", "application/octet-stream"),
    }
    response = client.post("/compare", data={"b_text": SECOND}, files=files, follow_redirects=False)
    assert response.status_code == 422
    assert "article A" in response.text and "many.jsonl" in response.text


def test_two_stored_corpus_articles_can_be_compared(client: TestClient, analyzer: Any) -> None:
    corpus = client.app.state.runtime.corpus  # type: ignore[attr-defined]
    corpus.add(analyzer.analyze_many([FIRST, SECOND]))
    first, second = sorted(row.id for row in list_articles(corpus))[-2:]
    assert "/corpus/compare" in client.get("/corpus").text
    article = client.get(f"/corpus/articles/{first}")
    assert f"/corpus/compare?a={first}" in article.text
    form = client.get("/corpus/compare", params={"a": first})
    assert form.status_code == 200 and f'value="{first}"' in form.text
    page = client.get("/corpus/compare", params={"a": first, "b": second})
    assert page.status_code == 200
    assert 'id="rates"' in page.text and "traitors in Brussels" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert client.get("/corpus/compare", params={"a": first, "b": 2**40}).status_code == 404


# ---------------------------------------------------------------------------- in a real browser


def test_comparing_two_pasted_articles_in_a_browser(model_path: Path, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from _live_server import LiveServer

    with LiveServer(
        "--model", str(model_path), "--rate-limit", "off", data_dir=tmp_path / "data", log_path=tmp_path / "server.log"
    ) as live:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live.url + "/")
        page.get_by_role("link", name="Compare").click()
        page.fill("#a_text", FIRST)
        page.fill("#b_text", SECOND)
        page.get_by_role("button", name="Compare").click()
        page.wait_for_url(re.compile(r".*/compare/[^/]+/[^/]+$"))
        for side in ("a", "b"):
            expect(page.locator(f".pair-cell.side-{side} p.text").first).to_be_visible()
        # Both texts' candidates are on the page; the slider reveals those under the model's threshold.
        page.locator("#min-confidence").focus()
        page.keyboard.press("Home")
        expect(page.locator(".side-a mark.hl[data-show]").first).to_be_visible()
        rates = page.locator("#rates")
        expect(rates).to_be_visible()
        expect(rates.locator("thead")).to_contain_text("B − A")
        assert rates.locator("tbody tr").count() >= 7  # six categories and at least one technique
        expect(page.locator(".side-b p.text").first).to_contain_text("<script>alert(1)</script>")
        mark = page.locator(".side-a mark.hl[data-show]").first
        mark.hover()
        expect(page.locator(f"#tip-{mark.get_attribute('id')}")).to_be_visible()
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: A's paragraph above B's
        first_a, first_b = page.locator(".pair-cell.side-a").first, page.locator(".pair-cell.side-b").first
        box_a, box_b = first_a.bounding_box(), first_b.bounding_box()
        assert box_a and box_b and box_b["y"] >= box_a["y"] + box_a["height"] - 1
        assert errors == []
