"""The web UI in a real headless Chromium, against ``unspin serve`` on a loopback port.

A person pastes the example article, sees the highlights and a tooltip, moves the slider,
opens the permalink in a fresh browser, uploads a file or a URL, starts a small batch and
watches it finish; on a phone-width screen and with the keyboard too. Needs the
``playwright`` Python package (its bundled driver; no browser download) and the system
browser at /usr/bin/chromium, and skips cleanly without either. Set UNSPIN_SCREENSHOT=1
to also save docs/ui-screenshot.png.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
from _browser import require_browser

sync_api = require_browser()

# tests/ is on sys.path under pytest's default import mode
from playwright.sync_api import expect

from _live_server import BrowserTab, LiveServer
from unspin.taxonomy import CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "article-en.txt"
TRANSPARENT = "rgba(0, 0, 0, 0)"
JOB_TIMEOUT_MS = 180_000
ANALYSIS_TIMEOUT_MS = 120_000


def rgb(colour: str) -> str:
    """``#E69F00`` as a computed style says it: ``rgb(230, 159, 0)``."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


@pytest.fixture(scope="module")
def server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("ui-server")
    # Private URLs are allowed so that a page from a local web server can be fetched.
    with LiveServer(
        "--model",
        str(model_path),
        "--allow-private-urls",
        "--rate-limit",
        "off",
        data_dir=root / "data",
        log_path=root / "server.log",
        env={"UNSPIN_DB": str(root / "corpus.db")},  # a corpus of this module's own
    ) as live:
        yield live


class Visit(BrowserTab):
    """A browser tab on the server, with everything it tried to do recorded."""

    def __init__(self, context: sync_api.BrowserContext, base_url: str) -> None:
        super().__init__(context)
        self.base_url = base_url

    def goto(self, path: str) -> sync_api.Response | None:
        return self.page.goto(path if path.startswith("http") else self.base_url + path)

    def mark(self, index: int = 0) -> sync_api.Locator:
        """The ``index``-th highlight shown at the model's default threshold (fixed, whatever the slider does)."""
        mark_id = self.page.locator("mark.hl[data-show]").nth(index).get_attribute("id")
        return self.page.locator(f"#{mark_id}")

    def tip(self, mark: sync_api.Locator) -> sync_api.Locator:
        return self.page.locator(f"#{mark.get_attribute('data-tip')}")

    def background(self, locator: sync_api.Locator) -> str:
        return locator.evaluate("element => getComputedStyle(element).backgroundColor")

    def paste_and_analyse(self, text: str, **fields: str) -> None:
        self.goto("/")
        self.page.get_by_label("Article text").fill(text)
        if fields:
            self.page.get_by_text("Title, date, source and language").click()
            for label, value in fields.items():
                self.page.get_by_label(label.capitalize(), exact=True).fill(value)
        self.page.get_by_role("button", name="Analyse", exact=True).click()
        self.page.wait_for_url(re.compile(r"/a/[0-9a-f]{32}$"), timeout=ANALYSIS_TIMEOUT_MS)

    def assert_clean(self) -> None:
        """No script error, no blocked style or script (CSP reports show as console errors), nothing fetched elsewhere."""
        assert self.errors == []
        assert self.dialogs == []
        assert [url for url in self.requests if not url.startswith(self.base_url)] == []


@pytest.fixture
def visit(browser: sync_api.Browser, server: LiveServer) -> Iterator[Callable[..., Visit]]:
    contexts = []

    def visit(*, width: int = 1280, height: int = 900, base_url: str | None = None) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        contexts.append(context)
        return Visit(context, base_url or server.url)

    yield visit
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example_page(browser: sync_api.Browser, server: LiveServer, example_text: str) -> Iterator[Visit]:
    """The example article, pasted and analysed once for the tests that look at its page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Visit(context, server.url)
    tab.paste_and_analyse(example_text)
    yield tab
    context.close()


def stored(server: LiveServer, page_url: str) -> dict[str, Any]:
    """The analysis behind a permalink page, from the REST API."""
    analysis_id = page_url.rstrip("/").rsplit("/", 1)[-1]
    response = httpx.get(f"{server.url}/v1/analyses/{analysis_id}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def paragraph_texts(page: sync_api.Page) -> list[str]:
    return page.locator("main p.text").evaluate_all("nodes => nodes.map(node => node.textContent)")


# ---------------------------------------------------------------------------- one article


def test_paste_the_example_and_see_highlights(example_page: Visit, server: LiveServer, example_text: str) -> None:
    page = example_page.page
    document = stored(server, page.url)
    text = document["article"]["text"]
    assert text == example_text  # the form's CRLF line breaks are given back as the article's own
    assert paragraph_texts(page) == [text[p["start"] : p["end"]] for p in document["paragraphs"]]
    spans = document["summary"]["spans"]
    assert spans > 0, "the model found nothing to highlight in the example article"
    marks = page.locator("mark.hl")
    assert marks.count() >= 1
    first = example_page.mark(0)
    expected = rgb(CATEGORIES[first.get_attribute("data-show")].colour)
    assert example_page.background(first) == expected
    total = int(page.locator("#shown-spans").get_attribute("data-total"))
    candidates = sum(len(p["candidates"]["spans"]) for p in document["paragraphs"])
    assert total == spans + candidates  # the candidates below the threshold wait behind the slider
    assert page.locator("#shown-spans").inner_text() == f"Showing {spans} of {total} spans"
    assert page.locator(".glance-line").inner_text().startswith("Genre: ")  # genre and frames in one line,
    assert page.locator("h2", has_text="Frames").is_hidden()  # their charts folded under it
    assert page.locator(".notes .pnum").count() == len(document["paragraphs"])  # paragraph labels in the margin
    example_page.assert_clean()


def test_tooltip_names_the_technique_with_its_confidence(example_page: Visit, server: LiveServer) -> None:
    page = example_page.page
    mark = example_page.mark(0)
    tip = example_page.tip(mark)
    assert tip.is_hidden()
    mark.hover()
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert re.search(r"\(\d+% confidence\)", text)
    assert "Category:" in text
    page.mouse.move(2, 2)
    tip.wait_for(state="hidden")
    example_page.assert_clean()


def test_slider_hides_and_shows_spans(example_page: Visit) -> None:
    page = example_page.page
    total = page.locator("#shown-spans").get_attribute("data-total")
    first = example_page.mark(0)
    slider = page.locator("#min-confidence")
    assert 0.0 < float(slider.input_value()) < 1.0  # starts at the model's threshold
    slider.focus()
    page.keyboard.press("End")
    assert page.locator("#min-confidence-value").inner_text() == "100%"
    assert page.locator("#shown-spans").inner_text() == f"Showing 0 of {total} spans"
    assert page.locator("mark.hl[data-show]").count() == 0
    assert example_page.background(first) == TRANSPARENT
    page.keyboard.press("Home")
    assert page.locator("#shown-spans").inner_text() == f"Showing {total} of {total} spans"
    assert example_page.background(first) != TRANSPARENT
    example_page.assert_clean()


def test_category_toggle_hides_its_highlights(example_page: Visit) -> None:
    page = example_page.page
    mark = example_page.mark(0)
    category = CATEGORIES[mark.get_attribute("data-show")]
    toggle = page.get_by_label(category.name)
    toggle.uncheck()
    assert page.locator(f'mark.hl[data-show="{category.key}"]').count() == 0
    toggle.check()
    assert mark.get_attribute("data-show") == category.key
    example_page.assert_clean()


def test_the_article_comes_first_on_a_phone(example_page: Visit, visit: Callable[..., Visit]) -> None:
    """On the served page too: the navigation is short and the permalink and downloads follow the article."""
    phone = visit(width=360, height=740)
    phone.goto(example_page.page.url)
    box = phone.page.locator("main p.text").first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740, f"the first paragraph starts at {box}"
    assert phone.page.locator("#permalink").is_visible()  # still there, after the article
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360


def test_permalink_opens_in_a_fresh_browser(example_page: Visit, visit: Callable[..., Visit]) -> None:
    permalink = example_page.page.locator("#permalink").input_value()
    assert permalink == example_page.page.url
    other = visit()  # another person, with nothing of the first session
    response = other.goto(permalink)
    assert response is not None and response.status == 200
    page = other.page
    assert page.title() == example_page.page.title()
    assert paragraph_texts(page) == paragraph_texts(example_page.page)
    assert page.locator("mark.hl").count() == example_page.page.locator("mark.hl").count()
    for _ in range(40):  # the keyboard reaches the highlights and their tooltips
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('mark.hl')"):
            break
    else:
        pytest.fail("no highlight reached with the Tab key")
    other.tip(page.locator("mark.hl:focus")).wait_for(state="visible")
    with page.expect_download() as download:
        page.get_by_role("link", name="JSON", exact=True).click()
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [saved["article"]["text"][p["start"] : p["end"]] for p in saved["paragraphs"]] == paragraph_texts(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="HTML report", exact=True).click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and 'http-equiv="Content-Security-Policy"' in report
    other.assert_clean()


def test_result_page_runs_only_the_servers_scripts(visit: Callable[..., Visit]) -> None:
    hostile = (
        "<script>window.__pwned = 1</script> The West has launched an unprecedented sanctions pressure.\n\n"
        '<img src=x onerror="window.__pwned = 2"> javascript:alert(1) "quoted" & <b>bold</b>'
    )
    title = '</title><script>alert("title")</script>'
    tab = visit()
    tab.paste_and_analyse(hostile, title=title)
    page = tab.page
    response = page.reload()
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.title().startswith(title)
    assert paragraph_texts(page) == hostile.split("\n\n")
    scripts = page.locator("script").evaluate_all("nodes => nodes.map(node => node.getAttribute('src'))")
    assert len(scripts) == 2 and all(src and src.startswith("/ui/") for src in scripts)
    assert page.locator("img, b").count() == 0
    for index in range(page.locator("mark.hl[data-show]").count()):
        tab.mark(index).hover()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    tab.assert_clean()


def test_a_problem_keeps_the_text_and_says_what_is_wrong(visit: Callable[..., Visit]) -> None:
    tab = visit()
    tab.goto("/")
    tab.page.get_by_label("Article text").fill("   \n\n   ")
    tab.page.get_by_role("button", name="Analyse", exact=True).click()
    alert = tab.page.get_by_role("alert")
    expect(alert).to_contain_text("empty")
    assert tab.page.get_by_label("Article text").input_value() == "   \n\n   "
    tab.page.set_input_files(
        "#file", files=[{"name": "batch.jsonl", "mimeType": "application/x-ndjson", "buffer": b'{"text": "One."}\n'}]
    )
    tab.page.get_by_role("button", name="Analyse the file").click()
    expect(tab.page.get_by_role("alert")).to_contain_text("Jobs page")


def test_upload_an_article_file(visit: Callable[..., Visit], example_text: str) -> None:
    tab = visit()
    tab.goto("/")
    tab.page.set_input_files("#file", str(EXAMPLE))
    tab.page.get_by_role("button", name="Analyse the file").click()
    tab.page.wait_for_url(re.compile(r"/a/[0-9a-f]{32}$"), timeout=ANALYSIS_TIMEOUT_MS)
    texts = paragraph_texts(tab.page)
    assert len(texts) > 1 and all(text in example_text for text in texts)
    assert tab.page.locator("dd", has_text="2022-03-11").count() == 1
    assert tab.page.locator("dd", has_text="article-en").count() == 1  # named after the upload, never stored so
    tab.assert_clean()


def test_analyse_a_web_page_by_its_url(visit: Callable[..., Visit]) -> None:
    from _local_web import LocalWeb, article_page

    with LocalWeb() as web:
        url = web.add("/news/1", article_page(title="Sanctions will hit ordinary people"))
        tab = visit()
        tab.goto("/")
        tab.page.get_by_label("Address of the article").fill(url)
        tab.page.get_by_role("button", name="Fetch and analyse").click()
        tab.page.wait_for_url(re.compile(r"/a/[0-9a-f]{32}$"), timeout=ANALYSIS_TIMEOUT_MS)
    assert tab.page.locator("h1").inner_text() == "Sanctions will hit ordinary people"
    assert tab.page.get_by_role("link", name=url).get_attribute("href") == url
    assert "unprecedented sanctions pressure" in " ".join(paragraph_texts(tab.page))


# ---------------------------------------------------------------------------- phones and keyboards


def test_phone_width_with_the_keyboard_only(visit: Callable[..., Visit], example_text: str) -> None:
    tab = visit(width=360, height=740)
    page = tab.page
    tab.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "text":
            break
    else:
        pytest.fail("the article field was not reached with the Tab key")
    page.keyboard.insert_text(example_text)
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Analyse":
            break
    else:
        pytest.fail("the Analyse button was not reached with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/a/[0-9a-f]{32}$"), timeout=ANALYSIS_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    mark = tab.mark(0)
    mark.click()  # a tap focuses the highlight
    tip = tab.tip(mark)
    tip.wait_for(state="visible")
    box = tip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    tab.goto("/jobs")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tab.assert_clean()


# ---------------------------------------------------------------------------- batch jobs


def batch_file(example_text: str) -> bytes:
    """Four articles made of the example's paragraphs, and one record without text."""
    paragraphs = example_text.split("\n\n")[1:]
    records = [
        {"id": f"a{n}", "title": f"Article {n}", "text": "\n\n".join(paragraphs[n - 1 :: 4])} for n in range(1, 5)
    ]
    lines = [json.dumps(record) for record in records]
    lines.insert(2, json.dumps({"id": "empty", "title": "No text here"}))
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_upload_a_batch_and_watch_it_finish(visit: Callable[..., Visit], example_text: str) -> None:
    tab = visit()
    page = tab.page
    tab.goto("/jobs")
    page.set_input_files(
        "#batch-file",
        files=[{"name": "batch.jsonl", "mimeType": "application/x-ndjson", "buffer": batch_file(example_text)}],
    )
    page.locator("form", has=page.locator("#batch-file")).get_by_role("button", name="Start the job").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    assert page.locator("h1").inner_text() == "batch.jsonl"
    assert page.locator("#job-status").inner_text() in ("queued", "running", "done")
    expect(page.locator("#job-status")).to_have_text("done", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#job-counts")).to_have_text("5 of 5 documents handled: 4 analysed, 1 failed, 0 duplicates")
    assert page.locator("#job-progress").get_attribute("value") == "1.0"
    rows = page.locator("table.listing tbody tr")
    expect(rows).to_have_count(4)
    assert rows.first.locator("th").inner_text() == "Article 1"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the results (JSON Lines)").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["article"]["id"] for line in lines) == ["a1", "a2", "a3", "a4"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the failed documents and why").click()
    failed = [json.loads(line) for line in Path(download.value.path()).read_text(encoding="utf-8").splitlines()]
    assert len(failed) == 1 and failed[0]["name"].startswith("batch.jsonl")

    rows.first.locator("th").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}/results/1$"))
    assert page.locator("h1").inner_text() == "Article 1"
    assert paragraph_texts(page)  # the same report view as a pasted article
    page.get_by_role("link", name="Back to the job").click()
    page.get_by_role("link", name="Batch jobs").first.click()
    expect(page.locator("table.listing tbody tr").first).to_contain_text("batch.jsonl")
    tab.assert_clean()


def test_store_a_jobs_results_in_the_corpus_with_one_click(visit: Callable[..., Visit], example_text: str) -> None:
    paragraphs = example_text.split("\n\n")[1:]
    records = [
        {"title": f"Corpus piece {n}", "date": f"2031-01-0{n}", "text": "\n\n".join(paragraphs[n - 1 :: 3])}
        for n in (1, 2, 3)
    ]
    tab = visit()
    page = tab.page
    tab.goto("/jobs")
    upload = "".join(json.dumps(record) + "\n" for record in records).encode("utf-8")
    page.set_input_files(
        "#batch-file", files=[{"name": "corpus.jsonl", "mimeType": "application/x-ndjson", "buffer": upload}]
    )
    page.locator("form", has=page.locator("#batch-file")).get_by_role("button", name="Start the job").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    expect(page.locator("#job-status")).to_have_text("done", timeout=JOB_TIMEOUT_MS)

    page.get_by_role("button", name="Store in corpus").click()
    expect(page.get_by_role("status").filter(has_text="Stored in the corpus")).to_have_text(
        "Stored in the corpus: 3 added, 0 already stored. Open the corpus dashboard"
    )
    page.get_by_role("link", name="Open the corpus dashboard").click()
    page.wait_for_url(re.compile(r"/corpus$"))
    newest = page.locator("#articles-list li a")
    expect(newest.first).to_have_text("Corpus piece 3")
    assert newest.all_inner_texts()[:3] == ["Corpus piece 3", "Corpus piece 2", "Corpus piece 1"]
    page.go_back()
    page.get_by_role("button", name="Store in corpus").click()  # a second click stores nothing twice
    expect(page.get_by_role("status").filter(has_text="Stored in the corpus")).to_contain_text(
        "0 added, 3 already stored"
    )
    tab.assert_clean()


def test_an_upload_name_is_shown_as_text(visit: Callable[..., Visit]) -> None:
    name = "<img src=x onerror=window.__pwned=1>.jsonl"
    tab = visit()
    tab.goto("/jobs")
    tab.page.set_input_files(
        "#batch-file",
        files=[{"name": name, "mimeType": "application/x-ndjson", "buffer": b'{"text": "Our land, our rules!"}\n'}],
    )
    tab.page.locator("form", has=tab.page.locator("#batch-file")).get_by_role("button", name="Start the job").click()
    tab.page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    assert tab.page.locator("h1").inner_text() == name
    tab.goto("/jobs")
    expect(tab.page.locator("table.listing tbody tr").first).to_contain_text(name)
    assert tab.page.locator("img").count() == 0
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"
    tab.assert_clean()


def test_a_bad_url_list_is_explained(visit: Callable[..., Visit]) -> None:
    tab = visit()
    tab.goto("/jobs")
    tab.page.get_by_label("Web pages, one URL a line").fill("https://example.org/a\nfile:///etc/passwd\n")
    tab.page.locator("form", has=tab.page.locator("#urls")).get_by_role("button", name="Start the job").click()
    expect(tab.page.get_by_role("alert")).to_contain_text("not an http(s) URL: file:///etc/passwd")
    assert tab.page.get_by_label("Web pages, one URL a line").input_value().startswith("https://example.org/a")


# ---------------------------------------------------------------------------- a server with API keys


def test_a_server_with_keys_asks_people_to_sign_in(
    browser: sync_api.Browser, model_path: Path, tmp_path: Path, example_text: str
) -> None:
    key = "ui-test-key-0123456789abcdef"
    (tmp_path / "keys.txt").write_text(f"{key}\n", encoding="utf-8")
    with LiveServer(
        "--model",
        str(model_path),
        "--api-keys",
        str(tmp_path / "keys.txt"),
        "--rate-limit",
        "off",
        data_dir=tmp_path / "data",
        log_path=tmp_path / "server.log",
    ) as live:
        context = browser.new_context()
        tab = Visit(context, live.url)
        page = tab.page
        tab.goto("/")
        page.wait_for_url(re.compile(r"/signin\?next=%2F$"))
        page.get_by_label("API key").fill("not-the-key-at-all-0000")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not valid")
        assert tab.errors == ["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]
        tab.errors.clear()
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("h1")).to_have_text("Analyse an article")
        [cookie] = context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # out of reach of any script

        tab.paste_and_analyse(example_text)
        permalink = page.url
        assert httpx.get(permalink, follow_redirects=False).status_code == 303  # no key, no page
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/signin$"))
        tab.goto(permalink)
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(permalink)  # back where the link pointed
        assert page.locator("mark.hl").count() >= 1
        tab.assert_clean()
        context.close()


# ---------------------------------------------------------------------------- the README's picture


@pytest.mark.skipif(not os.environ.get("UNSPIN_SCREENSHOT"), reason="set UNSPIN_SCREENSHOT=1 to update the docs image")
def test_save_screenshot(visit: Callable[..., Visit], example_text: str) -> None:
    tab = visit(width=1280, height=2200)  # the whole page at once: no scrolling, so no sticky bar mid-page
    tab.paste_and_analyse(example_text)
    page = tab.page
    # The first highlight with techniques of two categories behind it (its tooltip shows both), else the first.
    index = page.evaluate("""() => Math.max(0, Array.from(document.querySelectorAll('mark.hl')).findIndex(mark =>
        new Set(Array.from(document.getElementById(mark.dataset.tip).querySelectorAll('li'),
                           entry => entry.dataset.category)).size > 1))""")
    mark = tab.mark(index)
    mark.hover()
    tab.tip(mark).wait_for(state="visible")
    (ROOT / "docs").mkdir(exist_ok=True)
    bottom = page.evaluate("Math.ceil(document.querySelector('.page').getBoundingClientRect().bottom)")
    page.screenshot(
        path=str(ROOT / "docs" / "ui-screenshot.png"), clip={"x": 0, "y": 0, "width": 1280, "height": bottom}
    )
