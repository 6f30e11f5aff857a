"""The corpus dashboard in a real headless Chromium: on ``unspin serve`` and as the offline file.

A person opens /corpus, sees the charts, narrows the filters and sees the charts change,
clicks a heat-map cell and gets its articles, opens one; with the keyboard and without
script too. The offline file opens from disk, loads nothing, and lists a cell's articles
from its own index. Hostile titles and source names never run. Needs the ``playwright``
Python package (its bundled driver; no browser download) and /usr/bin/chromium; skips
cleanly without either. Set UNSPIN_SCREENSHOT=1 to also save docs/dashboard-screenshot.png
(the demo corpus).
"""

from __future__ import annotations

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

from _live_server import LiveServer
from test_dashboard import HOSTILE_SOURCE, HOSTILE_TITLE, hostile_corpus
from unspin.cli.corpus import write_dashboard
from unspin.store import CorpusFilter, Store
from unspin.store.narratives import build_narratives

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["Outlet 1", "Outlet 2", "Outlet 3", "Outlet 4", "Outlet 5", HOSTILE_SOURCE]


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard-corpus") / "corpus.db"
    with Store(path) as store:
        store.add(hostile_corpus())
        build_narratives(store)
    return path


def serve_corpus(db: Path, root: Path) -> LiveServer:
    """``unspin serve`` on a corpus, without a model: the dashboard needs none, and loading one costs CPU."""
    no_model = root / "no-model"
    no_model.mkdir()
    (no_model / "meta.json").write_text("{}")  # passes the start-up check, then fails to load, at once
    return LiveServer(
        "--model",
        str(no_model),
        "--db",
        str(db),
        "--rate-limit",
        "off",
        data_dir=root / "data",
        log_path=root / "server.log",
    ).start(ready=False)


@pytest.fixture(scope="module")
def server(corpus_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = serve_corpus(corpus_db, tmp_path_factory.mktemp("dashboard-server"))
    yield live
    live.stop()


class Tab:
    """A browser tab, with everything it tried to do recorded."""

    def __init__(self, context: sync_api.BrowserContext) -> None:
        self.page = context.new_page()
        self.page.set_default_timeout(15_000)
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def chart(self, key: str, expression: str) -> Any:
        """Evaluate ``expression`` on the ECharts instance of a chart (``chart``) once it has drawn."""
        self.page.wait_for_function(f"() => echarts.getInstanceByDom(document.getElementById('chart-{key}'))")
        return self.page.evaluate(
            f"() => {{ const chart = echarts.getInstanceByDom(document.getElementById('chart-{key}')); "
            f"return {expression}; }}"
        )

    def heat_rows(self) -> list[str]:
        return self.chart("heatmap", "chart.getOption().yAxis[0].data")

    def click(self, key: str, x: int, y: float) -> None:
        """Click a chart's value as a person would: at its place on the canvas (``x``, ``y`` in data units)."""
        self.chart(key, "chart.getDom().scrollIntoView({block: 'center'})")
        left, top = self.chart(
            key,
            f"(() => {{ const [x, y] = chart.convertToPixel({{seriesIndex: 0}}, [{x}, {y}]);"
            "const box = chart.getDom().getBoundingClientRect(); "
            "return [box.left + x, box.top + y]; })()",
        )
        self.page.mouse.click(left, top)

    def click_heat_cell(self, row: int, column: int) -> None:
        self.click("heatmap", column, row)

    def listed(self) -> list[str]:
        return self.page.locator("#articles-list li").all_inner_texts()

    def assert_clean(self, *, origin: str) -> None:
        """No script error, no blocked script or style (CSP reports are console errors), nothing fetched elsewhere."""
        assert self.errors == []
        assert self.dialogs == []
        assert [url for url in self.requests if not url.startswith(origin)] == []


@pytest.fixture
def tab(browser: sync_api.Browser) -> Iterator[Callable[..., Tab]]:
    contexts = []

    def tab(*, width: int = 1280, height: int = 900, **options: Any) -> Tab:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        return Tab(context)

    yield tab
    for context in contexts:
        context.close()


# ---------------------------------------------------------------------------- the web UI


def test_corpus_page_draws_every_chart(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab()
    visit.page.goto(server.url + "/corpus")
    assert visit.heat_rows() == sorted(SOURCES)
    assert visit.chart("trends", "chart.getOption().series.length") == 6
    assert visit.chart("frames", "chart.getOption().yAxis[0].data.length") == len(SOURCES)
    assert visit.page.locator("#table-heatmap button.cell-button").count() > 20  # the table, for the keyboard
    expect(visit.page.get_by_role("link", name="Corpus")).to_have_attribute("aria-current", "page")
    visit.assert_clean(origin=server.url)


def test_changing_a_filter_redraws_the_charts_and_keeps_the_address(
    tab: Callable[..., Tab], server: LiveServer
) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    assert len(visit.heat_rows()) == len(SOURCES)
    page.get_by_label("Sources", exact=True).select_option(["Outlet 2", "Outlet 4"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().yAxis[0].data.length === 2"
    )
    assert visit.heat_rows() == ["Outlet 2", "Outlet 4"]
    assert page.locator("[data-summary=articles]").inner_text() == "120"
    page.get_by_label("Techniques", exact=True).select_option(["Doubt"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().xAxis[0].data.join() === 'Casting doubt'"
    )
    assert re.search(r"source=Outlet\+2&source=Outlet\+4&technique=Doubt", page.url)
    page.reload()  # the address keeps the filters, and the server draws the same
    assert visit.heat_rows() == ["Outlet 2", "Outlet 4"]
    expect(page.get_by_label("Sources", exact=True)).to_have_values(["Outlet 2", "Outlet 4"])
    assert page.locator("#f-source option").count() == len(SOURCES)  # the options stay, to widen again
    visit.assert_clean(origin=server.url)


def test_clicking_a_heat_map_cell_lists_its_articles(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    technique = visit.chart("heatmap", "chart.getOption().xAxis[0].data[0]")
    label = visit.page.evaluate(
        "() => JSON.parse(document.getElementById('dashboard-data').textContent).heatmap.columns[0]"
    )
    visit.click_heat_cell(row=1, column=0)
    expect(page.locator("#articles-heading")).to_have_text(f"Articles: {technique} in Outlet 1")
    expected = httpx.get(
        f"{server.url}/v1/corpus/articles", params={"source": "Outlet 1", "technique": label, "limit": 25}
    ).json()
    listed = visit.listed()
    assert len(listed) == len(expected) > 0
    assert all("Outlet 1" in item for item in listed)
    first = page.locator("#articles-list a").first
    href = first.get_attribute("href")
    assert href == f"/corpus/articles/{expected[0]['id']}"
    first.click()
    page.wait_for_url(server.url + href)
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the corpus")).to_be_visible()
    assert page.locator("mark.hl").count() > 0  # the stored analysis, highlighted by the report renderer
    visit.assert_clean(origin=server.url)


def test_clicking_a_narrative_point_lists_its_articles(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    narratives = page.evaluate("() => JSON.parse(document.getElementById('dashboard-data').textContent).narratives")
    largest = narratives["items"][0]
    counts = [point["articles"] for point in largest["timeline"]]
    busiest = counts.index(max(counts))
    visit.click("narratives", busiest, counts[busiest])
    expect(page.locator("#articles-heading")).to_have_text(
        f"Articles: the narrative {largest['label']}, {narratives['periods'][busiest]} to {narratives['ends'][busiest]}"
    )
    expect(page.locator("#articles-list li")).to_have_count(min(25, counts[busiest]))
    visit.assert_clean(origin=server.url)


def test_the_keyboard_reaches_every_value_through_the_tables(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    page.locator(".chart-frames summary").click()
    button = page.locator("#table-frames tbody tr").filter(has_text="Outlet 1").locator("button").first
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#articles-heading")).to_contain_text("frame in Outlet 1")
    assert visit.listed() and page.evaluate("document.activeElement.id") == "articles"
    visit.assert_clean(origin=server.url)


def test_without_script_the_filters_still_work(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab(java_script_enabled=False)
    page = visit.page
    page.goto(server.url + "/corpus")
    page.get_by_label("Sources", exact=True).select_option(["Outlet 3"])
    page.get_by_role("button", name="Apply the filters").click()
    page.wait_for_url(re.compile(r"/corpus\?source=Outlet\+3"))
    rows = page.locator("#table-heatmap tbody th").all_inner_texts()
    assert rows == ["Outlet 3"]
    page.locator("#table-heatmap tbody a").first.click()  # a cell narrows the page to its articles
    page.wait_for_url(re.compile(r"source=Outlet\+3&technique=\w+"))
    assert visit.listed() and all("Outlet 3" in item for item in visit.listed())


def test_hostile_titles_and_sources_stay_text(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    page.get_by_label("Sources", exact=True).select_option([HOSTILE_SOURCE, "Outlet 1"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().yAxis[0].data.length === 2"
    )
    expect(page.locator("#articles-list").get_by_text(HOSTILE_TITLE).first).to_be_visible()
    assert page.locator("#dashboard img").count() == 0
    page.locator("#articles-list a", has_text=HOSTILE_TITLE).first.click()
    expect(page.locator("h1")).to_have_text(HOSTILE_TITLE)
    page.wait_for_timeout(200)
    visit.assert_clean(origin=server.url)


# ---------------------------------------------------------------------------- the offline file


@pytest.fixture(scope="module")
def offline_file(corpus_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("offline-dashboard") / "dashboard.html"
    with Store(corpus_db) as store:
        write_dashboard(store, CorpusFilter(), path)
    return path


def test_offline_file_works_from_disk_without_network(tab: Callable[..., Tab], offline_file: Path) -> None:
    visit = tab()
    page = visit.page
    page.goto(offline_file.as_uri())
    assert visit.heat_rows() == sorted(SOURCES)
    assert len(visit.listed()) == 25  # the newest articles, from the file's own index
    hostile = page.locator("#articles-list li").filter(has_text=HOSTILE_TITLE).filter(has_text="Outlet 1 ·")
    assert hostile.count() == 1 and hostile.locator("a").count() == 0  # a javascript: URL is no link
    technique = visit.chart("heatmap", "chart.getOption().xAxis[0].data[0]")
    visit.click_heat_cell(row=1, column=0)
    expect(page.locator("#articles-heading")).to_have_text(f"Articles: {technique} in Outlet 1")
    expected = page.evaluate("""() => { const data = JSON.parse(document.getElementById('dashboard-data').textContent);
        return data.articles.articles.filter(a => a.source === 'Outlet 1' && a.techniques.includes(data.heatmap.columns[0]))
            .length; }""")
    assert len(visit.listed()) == min(25, expected) > 0
    assert all("Outlet 1 ·" in item for item in visit.listed())
    page.get_by_label("Sources", exact=True).select_option(["Outlet 2"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().yAxis[0].data.join() === 'Outlet 2'"
    )
    page.get_by_label("Languages", exact=True).select_option(["de"])  # Outlet 2 writes in French
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().yAxis[0].data.length === 0"
    )
    visit.assert_clean(origin=offline_file.as_uri())
    assert visit.requests == [offline_file.as_uri()]


# ---------------------------------------------------------------------------- the README's picture


@pytest.mark.skipif(not os.environ.get("UNSPIN_SCREENSHOT"), reason="set UNSPIN_SCREENSHOT=1 to update the docs image")
def test_save_screenshot(tab: Callable[..., Tab], tmp_path: Path) -> None:
    """The dashboard of the demo corpus, with a heat-map cell's articles listed."""
    from unspin.store.demo import demo_analyses

    with Store(tmp_path / "demo.db") as store:
        store.add(demo_analyses())
        build_narratives(store)
    live = serve_corpus(tmp_path / "demo.db", tmp_path)
    try:
        visit = tab(width=1440, height=1700)
        visit.page.goto(live.url + "/corpus")
        row, column = visit.chart(
            "heatmap",
            """(() => { const values = chart.getOption().series[0].data.map(c => c.value);
            const top = values.reduce((best, v) => v[2] > best[2] ? v : best); return [top[1], top[0]]; })()""",
        )
        visit.click_heat_cell(row, column)
        visit.page.locator("#articles-list li").first.wait_for()
        visit.page.mouse.move(0, 0)  # no tooltip over the cells
        visit.page.evaluate("window.scrollTo(0, 0)")
        bottom = visit.page.evaluate(
            "Math.ceil(document.getElementById('chart-trends').getBoundingClientRect().bottom + 16)"
        )
        (ROOT / "docs").mkdir(exist_ok=True)
        visit.page.screenshot(
            path=str(ROOT / "docs" / "dashboard-screenshot.png"), clip={"x": 0, "y": 0, "width": 1440, "height": bottom}
        )
    finally:
        live.stop()


OVERLAPPING_TEXT = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const parent = node.parentElement;
    const style = getComputedStyle(parent);
    if (style.visibility === "hidden" || parent.closest(".visually-hidden, [hidden], details:not([open]) > :not(summary)")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 1 && r.height > 1) boxes.push({text: node.textContent.trim().slice(0, 30), x: r.left, y: r.top, r: r.right, b: r.bottom});
    }
  }
  const clashes = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const w = Math.min(a.r, b.r) - Math.max(a.x, b.x), h = Math.min(a.b, b.b) - Math.max(a.y, b.y);
      if (w > 2 && h > 2) clashes.push(a.text + " / " + b.text);
    }
  }
  return clashes;
}"""


def test_on_a_phone_no_text_overlaps(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab(width=360, height=740)
    visit.page.goto(server.url + "/corpus")
    visit.page.wait_for_function("document.querySelectorAll('canvas').length > 0")
    assert visit.page.evaluate(OVERLAPPING_TEXT) == []
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways"
    visit.assert_clean(origin=server.url)
    # The check sees an overlap when there is one: a label laid over the heading.
    visit.page.evaluate(
        "() => { const h = document.querySelector('h1'); const s = document.createElement('span');"
        " s.textContent = 'laid over'; s.style.cssText = 'position:absolute;left:0;top:0';"
        " h.style.position = 'relative'; h.appendChild(s); }"
    )
    assert visit.page.evaluate(OVERLAPPING_TEXT) != []
