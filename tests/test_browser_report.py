"""The HTML report in a real headless Chromium: highlights, tooltips, filters, safety, phones.

Needs the ``playwright`` Python package (its bundled driver; no browser download) and the
system browser at /usr/bin/chromium; skips cleanly without either. Set UNSPIN_SCREENSHOT=1
to also save docs/report-screenshot.png (the example article, analysed by the model).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from unspin import Analysis
from unspin.render.html import render_html, render_index
from unspin.taxonomy import TECHNIQUES

ROOT = Path(__file__).resolve().parents[1]

from _browser import require_browser

sync_api = require_browser()

# Imported after the skips above; tests/ is on sys.path under pytest's default import mode.
from _live_server import BrowserTab, browser_contexts
from test_render_html import EVIDENCE, example_analysis, hostile_analysis

ORANGE = "rgb(230, 159, 0)"  # manipulative wording, #E69F00
YELLOW = "rgb(240, 228, 66)"  # simplification, #F0E442
SKY_BLUE = "rgb(86, 180, 233)"  # justification, #56B4E9
TRANSPARENT = "rgba(0, 0, 0, 0)"


class Report(BrowserTab):
    """An opened report page, with everything it tried to do recorded."""

    def __init__(self, context: sync_api.BrowserContext, path: Path) -> None:
        super().__init__(context)
        self.url = path.as_uri()
        self.page.goto(self.url)

    def mark(self, text: str) -> sync_api.Locator:
        return self.page.locator("mark.hl", has_text=text).first

    def background(self, locator: sync_api.Locator) -> str:
        return locator.evaluate("element => getComputedStyle(element).backgroundColor")

    def tip(self, mark: sync_api.Locator) -> sync_api.Locator:
        return self.page.locator(f"#{mark.get_attribute('data-tip')}")


@pytest.fixture
def open_report(browser: sync_api.Browser, tmp_path: Path) -> Iterator[Callable[..., Report]]:
    with browser_contexts(browser, {"width": 1280, "height": 900}) as new_context:

        def open_report(
            html: str, *, width: int = 1280, height: int = 900, name: str = "report.html", javascript: bool = True
        ) -> Report:
            path = tmp_path / name
            path.write_text(html, encoding="utf-8")
            context = new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
            return Report(context, path)

        yield open_report


@pytest.fixture(scope="module")
def example() -> Analysis:
    return example_analysis()


def test_highlights_are_visible_and_text_is_exact(open_report: Callable[..., Report], example: Analysis) -> None:
    report = open_report(render_html(example))
    marks = report.page.locator("mark.hl")
    assert marks.count() > 10
    for index in range(marks.count()):
        box = marks.nth(index).bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
    assert report.background(report.mark("unprecedented sanctions pressure")) == ORANGE
    texts = report.page.locator("main p.text").evaluate_all("nodes => nodes.map(node => node.textContent)")
    assert texts == [example.article.text[p.start : p.end] for p in example.paragraphs]
    assert report.errors == [], "console errors (a blocked inline style or script shows here)"
    assert report.requests == [report.url]


def test_tooltip_appears_on_hover(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    mark = report.mark("unprecedented sanctions pressure")
    tip = report.tip(mark)
    assert tip.is_hidden()
    mark.hover()
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "Loaded language" in text and "87% confidence" in text
    assert "Choosing words with strong emotional charge" in text
    tip_box, mark_box = tip.bounding_box(), mark.bounding_box()  # in viewport coordinates
    below = tip_box["y"] >= mark_box["y"] + mark_box["height"] - 1
    above = tip_box["y"] + tip_box["height"] <= mark_box["y"] + 1
    assert below or above, "the tooltip covers the highlight"
    assert tip_box["y"] >= 0 and tip_box["y"] + tip_box["height"] <= 900
    report.page.mouse.move(5, 5)
    tip.wait_for(state="hidden")


def test_tooltip_appears_on_keyboard_focus(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    page = report.page
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('mark.hl')"):
            break
    else:
        pytest.fail("no highlight reached with the Tab key")
    focused = page.locator("mark.hl:focus")
    assert focused.inner_text() == "unprecedented sanctions pressure"
    tip = report.tip(focused)
    tip.wait_for(state="visible")
    assert "Loaded language" in tip.inner_text()
    page.keyboard.press("Tab")
    tip.wait_for(state="hidden")
    assert "Appeal to authority" in report.tip(page.locator("mark.hl:focus")).inner_text()
    page.keyboard.press("Escape")
    report.tip(page.locator("mark.hl:focus")).wait_for(state="hidden")


def test_highlight_tells_assistive_technology_what_it_is(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    cdp = report.page.context.new_cdp_session(report.page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send(
        "DOM.querySelector", {"nodeId": root, "selector": "#" + report.mark("suicidal course").get_attribute("id")}
    )
    ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node["nodeId"], "fetchRelatives": False})["nodes"][0]
    assert ax["name"]["value"] == "suicidal course"  # the words themselves, then what they do
    description = ax["description"]["value"]
    assert description.startswith(
        "Loaded language likely (83% confidence) Category: Manipulative Wording Choosing words"
    )
    assert "False dilemma or no choice likely (74% confidence)" in description


def test_tooltip_says_why(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    mark = report.mark("even its own experts admit doesnot work")
    mark.hover()
    tip = report.tip(mark)
    tip.wait_for(state="visible")
    text = tip.inner_text()
    authority = TECHNIQUES["Appeal_to_Authority"]
    assert "Appeal to authority unlikely (31% confidence)" in text
    assert authority.definition in text
    assert f"Example: {authority.example}" in text
    assert "Cue words: experts, admit, doesnot, work" in text


def evidence_outline(report: Report) -> str:
    return report.page.locator("#p4-e1").evaluate("element => getComputedStyle(element).outlineStyle")


def test_label_without_span_outlines_its_evidence_on_focus(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    page = report.page
    assert page.locator("#p4-e1").inner_text() == EVIDENCE
    assert evidence_outline(report) == "none"
    report.mark("so-called partners").focus()
    for _ in range(10):  # the keyboard goes on from paragraph 4's last highlight to its margin labels
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('li[data-evidence]')"):
            break
    else:
        pytest.fail("no label with evidence reached with the Tab key")
    assert "Repetition" in page.evaluate("document.activeElement.textContent")
    assert evidence_outline(report) == "dashed"
    page.keyboard.press("Enter")  # the label opens to say why
    assert page.locator("li[data-evidence] .why-def").is_visible()
    page.keyboard.press("Tab")  # on to the quoted sentence's link: still outlined
    assert evidence_outline(report) == "dashed"
    page.keyboard.press("Tab")
    assert evidence_outline(report) == "none"
    assert report.errors == []


def test_evidence_link_works_without_javascript(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()), javascript=False)
    assert evidence_outline(report) == "none"
    report.page.locator("a.evidence").click()
    report.page.wait_for_url("**#p4-e1")
    assert evidence_outline(report) == "dashed"  # the sentence is the link's target


def test_confidence_slider_hides_low_confidence_spans(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    page = report.page
    slider = page.locator("#min-confidence")
    slider.focus()
    page.keyboard.press("End")
    assert slider.input_value() == "1"
    assert page.locator("#min-confidence-value").inner_text() == "100%"
    assert page.locator("#shown-spans").inner_text() == "Showing 0 of 12 spans"
    assert page.locator("mark.hl[data-show]").count() == 0
    assert page.locator("mark.hl[tabindex]").count() == 0  # hidden spans leave the tab order
    mark = report.mark("unprecedented sanctions pressure")
    assert report.background(mark) == TRANSPARENT
    mark.hover()
    assert report.tip(mark).is_hidden()

    page.keyboard.press("Home")
    slider.focus()
    for _ in range(140):  # 0.5% steps
        page.keyboard.press("ArrowRight")
    assert slider.input_value() == "0.7"
    assert page.locator("#shown-spans").inner_text() == "Showing 7 of 12 spans"
    assert report.background(report.mark("even its own experts")) == TRANSPARENT  # 31%
    assert report.background(report.mark("unprecedented sanctions pressure")) == ORANGE  # 87%
    fear = report.mark("it will freeze in the dark next winter")  # false dilemma 74%, appeal to fear 66%
    assert fear.get_attribute("data-end") == "S"
    fear.hover()
    tip = report.tip(fear)
    tip.wait_for(state="visible")
    assert "False dilemma" in tip.inner_text() and "Appeal to fear" not in tip.inner_text()


def test_category_toggle_hides_its_spans(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    page = report.page
    overlap = report.mark("suicidal course")  # loaded language 83% inside a false dilemma 74%
    assert report.background(overlap) == ORANGE
    page.get_by_label("Manipulative Wording").uncheck()
    assert report.background(report.mark("unprecedented sanctions pressure")) == TRANSPARENT
    assert report.background(report.mark("blackmail")) == SKY_BLUE  # inside the flag waving span
    assert report.background(overlap) == YELLOW  # still highlighted: its other span shows through
    assert page.locator("#shown-spans").inner_text() == "Showing 9 of 12 spans"
    note = page.locator("#p2 + .notes li", has_text="Loaded language")
    assert "filtered" in note.get_attribute("class")
    page.get_by_label("Manipulative Wording").check()
    assert report.background(report.mark("unprecedented sanctions pressure")) == ORANGE


def test_hostile_article_runs_no_script(open_report: Callable[..., Report]) -> None:
    analysis = hostile_analysis()
    report = open_report(render_html(analysis))
    page = report.page
    for index in range(page.locator("mark.hl").count()):
        page.locator("mark.hl").nth(index).hover()
        page.keyboard.press("Tab")
    page.locator("dd", has_text="javascript:").first.click()  # shown as text, not as a link
    page.wait_for_timeout(200)
    assert report.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img, textarea, b, iframe").count() == 0
    assert page.locator("script").count() == 1
    assert report.requests == [report.url]
    assert page.title() == analysis.article.title + " · unspin report"
    texts = page.locator("main p.text").evaluate_all("nodes => nodes.map(node => node.textContent)")
    assert texts == [analysis.article.text[p.start : p.end] for p in analysis.paragraphs]  # CRs included
    assert "<script>alert(1)</script>" in report.tip(page.locator("mark.hl").first).inner_text()


def test_index_page_links_open_the_articles(open_report: Callable[..., Report], tmp_path: Path) -> None:
    (tmp_path / "example.html").write_text(render_html(example_analysis()), encoding="utf-8")
    report = open_report(render_index([example_analysis()], ["example.html"]), name="index.html")
    assert report.page.locator("table.chart").count() == 4
    report.page.get_by_role("link", name="Sanctions pressure backfires").click()
    report.page.wait_for_url("**/example.html")
    assert report.page.locator("mark.hl").count() > 10
    assert report.errors == [] and report.dialogs == []


def test_phone_width(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()), width=360, height=740)
    page = report.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    text_box = page.locator("#p3").bounding_box()
    notes_box = page.locator("#p3 + .notes").bounding_box()
    assert notes_box["y"] >= text_box["y"] + text_box["height"] - 1  # the margin goes below on phones
    mark = report.mark("Brussels bureaucrats")
    mark.click()  # a tap focuses the highlight
    tip = report.tip(mark)
    tip.wait_for(state="visible")
    box = tip.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360


def test_article_comes_first_on_a_phone(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()), width=390, height=844)
    page = report.page
    first = page.locator("main p.text").first
    box = first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, "the first paragraph is below the first screen"
    assert page.locator(".glance-line").inner_text() == "Genre: Opinion (90%) · Frames: Political, Economic"
    frames = page.locator("h2", has_text="Frames")
    assert frames.is_hidden()
    page.get_by_text("Genre, frames and techniques in charts").click()  # the charts unfold
    assert frames.is_visible()


def test_print_keeps_highlights_and_drops_controls(open_report: Callable[..., Report]) -> None:
    report = open_report(render_html(example_analysis()))
    report.page.emulate_media(media="print")
    assert report.page.locator("#min-confidence").is_hidden()
    assert report.background(report.mark("unprecedented sanctions pressure")) == ORANGE
    assert report.page.locator(".notes").first.is_visible()
    assert report.page.pdf()[:5] == b"%PDF-"


@pytest.mark.skipif(not os.environ.get("UNSPIN_SCREENSHOT"), reason="set UNSPIN_SCREENSHOT=1 to update the docs image")
def test_save_screenshot(open_report: Callable[..., Report], analyzer) -> None:
    """The report of the repository's example article, analysed by the shipped model."""
    analysis = analyzer((ROOT / "examples" / "article-en.txt").read_text(encoding="utf-8"))
    report = open_report(render_html(analysis), width=1200, height=1500)
    mark = report.page.locator("mark.hl").nth(2)
    mark.hover()
    report.tip(mark).wait_for(state="visible")
    (ROOT / "docs").mkdir(exist_ok=True)
    report.page.screenshot(path=str(ROOT / "docs" / "report-screenshot.png"), full_page=True)


@pytest.mark.skipif(not os.environ.get("UNSPIN_SCREENSHOT"), reason="set UNSPIN_SCREENSHOT=1 to update the docs image")
def test_save_french_screenshot(open_report: Callable[..., Report], analyzer) -> None:
    """The report in French, of the French article written for the dense-propaganda fixtures."""
    text = (ROOT / "tests" / "fixtures" / "propaganda" / "fr-energie.txt").read_text(encoding="utf-8")
    report = open_report(render_html(analyzer(text), ui_language="fr"), width=1200, height=1300)
    assert report.page.locator("html").get_attribute("lang") == "fr"
    mark = report.page.locator("mark.hl").nth(1)
    mark.hover()
    report.tip(mark).wait_for(state="visible")
    report.page.screenshot(path=str(ROOT / "docs" / "report-fr-screenshot.png"), full_page=True)
