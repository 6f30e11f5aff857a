"""Reviewing an article in a real headless Chromium, against ``unspin serve`` with API keys.

A reviewer signs in and reviews an article the shipped model analysed with the keyboard only
(j, a, j, r, j, l and a technique typed, v and Shift+arrows to choose words, n and a technique,
d), and exactly those decisions are stored under their name with the model's version; at phone
width the action bar and the text share the screen without covering each other, and the bar
works by touch. Needs the ``playwright`` Python package and /usr/bin/chromium; skips cleanly
without either.
"""

from __future__ import annotations

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

from _live_server import BrowserTab, LiveServer, boxes_overlap, browser_contexts, serving_corpus
from unspin.analysis import Analysis
from unspin.article import Article
from unspin.review.store import decisions_of
from unspin.store import Store

ROOT = Path(__file__).resolve().parents[1]
ANA = "review-test-key-ana-0123456789"
BEN = "review-test-key-ben-0123456789"
PHONE = {"width": 360, "height": 740}
WORD = re.compile(r"\w+(?:['’-]\w+)*")


@pytest.fixture(scope="module")
def articles(analyzer: Any) -> list[Analysis]:
    """Two articles with several spans each, analysed by the shipped model."""
    return [
        analyzer.analyze(Article.from_text((ROOT / "examples" / "article-en.txt").read_text(), title="Example")),
        analyzer.analyze(
            Article.from_text((ROOT / "tests/fixtures/propaganda/en-sanctions.txt").read_text(), title="Sanctions")
        ),
    ]


@pytest.fixture(scope="module")
def server(
    model_path: Path, articles: list[Analysis], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The server on a corpus holding the two articles (ids 1 and 2); reviewing needs no model, so no wait for it."""
    root = tmp_path_factory.mktemp("review-server")
    with Store(root / "corpus.db") as store:
        store.add(articles)
    (root / "keys.txt").write_text(f"{ANA} Ana Tester\n{BEN} Ben\n", encoding="utf-8")
    with serving_corpus(root, "--model", str(model_path), "--api-keys", str(root / "keys.txt")) as live:
        yield live


class Reviewer(BrowserTab):
    """A browser tab of one reviewer, with script errors and dialogs recorded."""

    def __init__(self, context: sync_api.BrowserContext, server: LiveServer) -> None:
        super().__init__(context)
        self.server = server

    def sign_in_to(self, path: str, key: str) -> None:
        """Open a page, and sign in on the way with the keyboard (the key field has the focus)."""
        self.page.goto(self.server.url + path)
        self.page.wait_for_url(re.compile(r"/signin\?next="))
        self.page.keyboard.type(key)
        self.page.keyboard.press("Enter")
        self.page.wait_for_url(self.server.url + path)

    @property
    def live(self) -> sync_api.Locator:
        return self.page.locator("#review-live")

    def press(self, key: str, says: str) -> None:
        self.page.keyboard.press(key)
        expect(self.live).to_contain_text(says)


@pytest.fixture
def reviewer(browser: sync_api.Browser, server: LiveServer) -> Iterator[Callable[..., Reviewer]]:
    with browser_contexts(browser, {"width": 1280, "height": 900}) as new_context:

        def reviewer(**options: Any) -> Reviewer:
            return Reviewer(new_context(**options), server)

        yield reviewer


def shown_order(analysis: Analysis) -> list[dict[str, Any]]:
    """The model's spans in the order j goes through them (the page's items m0, m1, ... by place)."""
    spans = sorted(analysis.spans, key=lambda s: (s.start, s.end, s.technique))
    items = [{"id": f"m{i}", "span": s} for i, s in enumerate(spans)]
    return sorted(items, key=lambda i: (i["span"].start, i["span"].end, i["id"]))


def ref(span: Any) -> dict[str, Any]:
    return {"start": span.start, "end": span.end, "technique": span.technique}


def test_review_an_article_with_the_keyboard_only(
    reviewer: Callable[..., Reviewer], server: LiveServer, articles: list[Analysis]
) -> None:
    example = articles[0]
    order = shown_order(example)
    first, second, third = (item["span"] for item in order[:3])
    new_technique, typed = ("Flag_Waving", "flag") if third.technique != "Flag_Waving" else ("Doubt", "doubt")
    text = example.article.text
    paragraph = next(p for p in example.article.paragraphs if p.start <= third.start < p.end)
    after = list(WORD.finditer(text, third.end, paragraph.end))[:3]
    assert len(after) == 3, "the test wants three words after the third span, in its paragraph"
    added = {"start": after[0].start(), "end": after[2].end(), "technique": "Slogans"}

    tab = reviewer()
    tab.sign_in_to("/corpus/articles/1/review", ANA)
    page = tab.page
    expect(page.locator("h1")).to_have_text("Example")
    page.keyboard.press("?")  # the shortcuts
    expect(page.locator("#review-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#review-help")).to_be_hidden()

    tab.press("j", f"Span 1 of {len(example.spans)}")
    assert page.evaluate("document.activeElement.tagName") == "MARK"  # the focus follows the current span
    tab.press("a", "Accepted:")
    tab.press("j", "Span 2 of")
    tab.press("r", "Rejected:")
    tab.press("j", "Span 3 of")
    page.keyboard.press("l")
    picker = page.locator("#technique-picker")
    expect(picker).to_be_visible()
    expect(page.locator("#technique-filter")).to_be_focused()
    page.keyboard.type(typed)
    expect(page.locator("#technique-options [role=option]:visible").first).to_have_attribute("aria-selected", "true")
    tab.press("Enter", "Relabelled as")
    expect(picker).to_be_hidden()

    tab.press("v", "Selected")  # a word after the current span, chosen with the keyboard
    tab.press("Shift+ArrowRight", "Selected")
    tab.press("Shift+ArrowRight", f"Selected “{text[added['start'] : added['end']]}”")
    page.keyboard.press("n")
    expect(picker).to_be_visible()
    page.keyboard.type("slog")
    tab.press("Enter", "Added Slogans")
    tab.press("d", "Review marked done.")
    expect(page.locator("#review-status")).to_have_text("done")

    # Exactly those decisions, in that order, under the reviewer's name and with the model's version.
    model = f"{example.model['name']}=={example.model['version']}"
    with Store(Path(server.data_dir).parent / "corpus.db") as store:
        history = decisions_of(store, example.article.content_hash, "Ana Tester")
    assert [d.decision.model_dump(exclude_none=True) for d in history] == [
        {"kind": "accept", "span": ref(first), "model_confidence": pytest.approx(first.confidence, abs=1e-4)},
        {"kind": "reject", "span": ref(second)},
        {
            "kind": "relabel",
            "span": ref(third),
            "technique": new_technique,
            "model_confidence": pytest.approx(third.confidence, abs=1e-4),
        },
        {"kind": "add", "span": added},
        {"kind": "status", "status": "done"},
    ]
    assert {(d.reviewer, d.model) for d in history} == {("Ana Tester", model)}
    reviews = httpx.get(f"{server.url}/v1/reviews", params={"article": 1}, headers={"X-API-Key": ANA}).json()
    [stored] = reviews["reviews"]
    assert (reviews["you"], stored["reviewer"], stored["status"], stored["model"]) == (
        "Ana Tester",
        "Ana Tester",
        "done",
        model,
    )
    assert {(s["start"], s["technique"], s["origin"]) for s in stored["spans"]} == {
        (first.start, first.technique, "model"),
        (third.start, new_technique, "model"),
        (added["start"], "Slogans", "reviewer"),
    }
    assert stored["rejected"] == [ref(second)]

    # The page shows what was stored: both layers, then each alone.
    page.reload()
    added_id = f"r-{added['start']}-{added['end']}-Slogans"
    expect(page.locator(f'mark[data-items~="{added_id}"]').first).to_be_visible()
    assert (
        "".join(page.locator(f'mark[data-items~="{added_id}"]').all_text_contents())
        == text[added["start"] : added["end"]]
    )
    rejected = page.locator(f'mark[data-items~="{order[1]["id"]}"]')
    assert "".join(rejected.all_text_contents()) == text[second.start : second.end]
    expect(rejected.first).to_have_class(re.compile(r"\brv-rejected\b"))
    page.locator("#review-layer").select_option("model")
    expect(page.locator("#review-text mark.rv-added")).to_have_count(0)
    expect(page.locator("#review-text mark.rv-model").first).to_be_visible()
    page.keyboard.press("t")  # model -> review
    expect(page.locator("#review-layer")).to_have_value("review")
    expect(page.locator("#review-text mark.rv-rejected, #review-text mark.rv-pending")).to_have_count(0)
    assert page.url.endswith("?layer=review")
    assert tab.errors == []


def test_at_phone_width_the_bar_and_the_text_do_not_overlap(reviewer: Callable[..., Reviewer]) -> None:
    tab = reviewer(viewport=PHONE, is_mobile=True, has_touch=True)
    tab.sign_in_to("/corpus/articles/2/review", BEN)
    page = tab.page
    bar = page.locator(".review-bar").bounding_box()
    text = page.locator("#review-scroll").bounding_box()  # the text's part of the screen, which scrolls
    first = page.locator("#p-1").bounding_box()
    assert bar is not None and text is not None and first is not None
    assert not boxes_overlap(bar, text)
    assert bar["y"] + bar["height"] <= PHONE["height"] and bar["y"] > PHONE["height"] / 2  # under the thumb
    assert first["y"] + 20 < bar["y"]  # the article's text is on the first screen
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], "sideways scrolling"
    for button in page.locator(".review-bar button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 40 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # By touch: the bar's buttons go through the spans and decide, and the current span stays in sight.
    for _ in range(6):
        page.locator(".review-bar [data-action=next]").tap()
    expect(tab.live).to_contain_text("Span 6 of")
    current = page.locator("mark.rv.current").first.bounding_box()
    assert current is not None and text["y"] <= current["y"] and current["y"] + current["height"] <= bar["y"]
    page.locator(".review-bar [data-action=accept]").tap()
    expect(tab.live).to_contain_text("Accepted:")
    expect(page.locator("#review-counts")).to_contain_text(", 1 accepted,")
    expect(page.locator("#review-current")).to_contain_text("accepted")
    assert tab.errors == []


SELECT = """([start, end]) => {
  // Select text[start:end] of the article as a mouse would, from inside one word to inside another.
  const point = (offset) => {
    for (const paragraph of document.querySelectorAll("#review-text p.text")) {
      let at = Number(paragraph.dataset.start);
      const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (offset <= at + node.data.length) return [node, offset - at];
        at += node.data.length;
      }
    }
  };
  const [a, b] = [point(start), point(end)];
  window.getSelection().setBaseAndExtent(a[0], a[1], b[0], b[1]);
}"""


def test_add_a_span_with_the_mouse_snaps_to_whole_words(
    reviewer: Callable[..., Reviewer], server: LiveServer, articles: list[Analysis]
) -> None:
    example = articles[0]
    text = example.article.text
    words = "respected economist"
    at = text.index(words)
    tab = reviewer()
    tab.sign_in_to("/corpus/articles/1/review", BEN)
    page = tab.page
    page.evaluate(SELECT, [at + 3, at + len(words) - 3])  # "pected econom"
    page.get_by_role("button", name="Add span").click()
    expect(page.locator("#technique-picker")).to_be_visible()
    page.locator("#technique-options [data-label=Appeal_to_Authority]").click()
    expect(tab.live).to_contain_text(f"“{words}”")
    added = page.locator(f'#review-text mark[data-items~="r-{at}-{at + len(words)}-Appeal_to_Authority"]')
    expect(added).to_have_text(words)
    expect(added).to_have_class(re.compile(r"\brv-added\b.*\brv-add-start\b"))
    with Store(Path(server.data_dir).parent / "corpus.db") as store:
        [decision] = decisions_of(store, example.article.content_hash, "Ben")
    assert decision.decision.model_dump(exclude_none=True) == {
        "kind": "add",
        "span": {"start": at, "end": at + len(words), "technique": "Appeal_to_Authority"},
    }
    assert tab.errors == []
