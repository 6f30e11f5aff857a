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

from _live_server import BrowserTab, LiveServer
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


class Tab(BrowserTab):
    """A browser tab on the dashboard, with everything it tried to do recorded."""

    def __init__(self, context: sync_api.BrowserContext) -> None:
        super().__init__(context, timeout_ms=15_000)

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

    def choose(self, group: str, values: list[str]) -> None:
        """Tick these boxes of a filter's checkbox list (by their label), as a person would."""
        boxes = self.page.get_by_role("group", name=group, exact=True)
        for value in values:
            boxes.get_by_role("checkbox", name=value, exact=True).check()

    def chosen(self, group: str) -> list[str]:
        boxes = self.page.get_by_role("group", name=group, exact=True).locator("input[type=checkbox]:checked")
        return boxes.evaluate_all("boxes => boxes.map(b => b.value)")

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
    visit.choose("Sources", ["Outlet 2", "Outlet 4"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().yAxis[0].data.length === 2"
    )
    assert visit.heat_rows() == ["Outlet 2", "Outlet 4"]
    assert page.locator("[data-summary=articles]").inner_text() == "120"
    visit.choose("Techniques", ["Casting doubt"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().xAxis[0].data.join() === 'Casting doubt'"
    )
    assert re.search(r"source=Outlet\+2&source=Outlet\+4&technique=Doubt", page.url)
    page.reload()  # the address keeps the filters, and the server draws the same
    assert visit.heat_rows() == ["Outlet 2", "Outlet 4"]
    assert visit.chosen("Sources") == ["Outlet 2", "Outlet 4"]
    assert page.locator("#f-source input[type=checkbox]").count() == len(SOURCES)  # the options stay, to widen again
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
    visit.choose("Sources", ["Outlet 3"])
    page.get_by_role("button", name="Apply the filters").click()
    page.wait_for_url(re.compile(r"/corpus\?source=Outlet\+3"))
    rows = page.locator("#table-heatmap tbody th").all_inner_texts()
    assert rows == ["Outlet 3"]
    expect(page.locator("#chosen-source")).to_have_text("Chosen: Outlet 3")  # what is chosen, in sight
    page.locator("#table-heatmap tbody a").first.click()  # a cell narrows the page to its articles
    page.wait_for_url(re.compile(r"source=Outlet\+3&technique=\w+"))
    assert visit.listed() and all("Outlet 3" in item for item in visit.listed())


def test_hostile_titles_and_sources_stay_text(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    visit.choose("Sources", [HOSTILE_SOURCE, "Outlet 1"])
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
    visit.choose("Sources", ["Outlet 2"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().yAxis[0].data.join() === 'Outlet 2'"
    )
    visit.choose("Languages", ["de"])  # Outlet 2 writes in French
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
    // What a scrolling box (a checkbox list, a table's scroller) clips away is not on the screen.
    const clips = [];
    for (let a = parent; a; a = a.parentElement) {
      const st = getComputedStyle(a);
      if (st.overflowX !== "visible" || st.overflowY !== "visible") clips.push(a.getBoundingClientRect());
    }
    for (const r of range.getClientRects()) {
      let x = r.left, y = r.top, right = r.right, bottom = r.bottom;
      for (const c of clips) { x = Math.max(x, c.left); y = Math.max(y, c.top); right = Math.min(right, c.right); bottom = Math.min(bottom, c.bottom); }
      if (right - x > 1 && bottom - y > 1) boxes.push({text: node.textContent.trim().slice(0, 30), x, y, r: right, b: bottom});
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


# ---------------------------------------------------------------------------- layout (issue 14)


TEXT_CLASHES = """(key) => {
  // Every text a chart drew (axis names, cell values) as the four corners of its box on the canvas, rotation
  // included, and the pairs whose boxes overlap by more than a pixel (a separating-axis test). Labels that
  // ECharts hid for want of room are not drawn, so they do not count.
  const chart = echarts.getInstanceByDom(document.getElementById('chart-' + key));
  const shown = el => { for (let p = el; p; p = p.parent || p.__hostTarget) { if (p.ignore || p.invisible) return false; } return true; };
  const boxes = chart.getZr().storage.getDisplayList(true)
    .filter(el => (el.type === 'tspan' || el.type === 'text') && el.style && el.style.text && shown(el))
    .map(el => {
      const r = el.getBoundingRect(), size = parseFloat((/(\\d+(?:\\.\\d+)?)px/.exec(el.style.font || '') || [0, 12])[1]);
      const height = Math.max(r.height, size), top = r.y + r.height / 2 - height / 2;
      const m = el.getComputedTransform() || [1, 0, 0, 1, 0, 0];
      const corners = [[r.x, top], [r.x + r.width, top], [r.x + r.width, top + height], [r.x, top + height]]
        .map(([x, y]) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]]);
      return {text: String(el.style.text), corners};
    });
  const apart = (a, b) => [a, b].some(poly => poly.some((p, i) => {
    const q = poly[(i + 1) % 4], axis = [q[1] - p[1], p[0] - q[0]], length = Math.hypot(axis[0], axis[1]) || 1;
    const project = points => points.map(([x, y]) => (x * axis[0] + y * axis[1]) / length);
    const pa = project(a), pb = project(b);
    return Math.min(Math.max(...pa), Math.max(...pb)) - Math.max(Math.min(...pa), Math.min(...pb)) <= 1;
  }));
  const clashes = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => { if (!apart(a.corners, b.corners)) clashes.push(a.text + ' / ' + b.text); }));
  return {texts: boxes.length, clashes};
}"""


def test_on_a_phone_the_heat_maps_labels_and_values_do_not_overlap(tab: Callable[..., Tab], server: LiveServer) -> None:
    visit = tab(width=360, height=740)
    page = visit.page
    page.goto(server.url + "/corpus")
    for key in ("heatmap", "frames"):
        columns = visit.chart(key, "chart.getOption().xAxis[0].data.length")
        found = page.evaluate(TEXT_CLASHES, key)
        assert found["texts"] > columns > 5 and found["clashes"] == [], key
        scroller = page.locator(f".chart-{key} .chart-scroll")  # the map scrolls sideways in its box...
        assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # ...not the page
    visit.assert_clean(origin=server.url)
    # The check sees overlaps when there are some: the heat map squeezed into the phone's width, as it was drawn.
    page.evaluate(
        "() => { const box = document.getElementById('chart-heatmap'); box.style.minWidth = '0px';"
        " echarts.getInstanceByDom(box).resize(); }"
    )
    assert page.evaluate(TEXT_CLASHES, "heatmap")["clashes"] != []


def test_the_heat_map_has_a_colour_legend_and_zeros_look_like_no_value(
    tab: Callable[..., Tab], server: LiveServer
) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    cells = visit.chart("heatmap", "chart.getOption().series[0].data.map(c => [c.value[2], c.zero, c.itemStyle.color])")
    zeros = [colour for value, zero, colour in cells if zero]
    values = [colour for value, zero, colour in cells if not zero]
    assert zeros and values  # the one-article source uses few techniques
    assert set(zeros) == {"rgba(0,0,0,0)"} and "rgba(0,0,0,0)" not in values  # a 0 is never a pale value
    legend = page.locator("#legend-heatmap")
    expect(legend.locator(".legend-item")).to_have_count(6)  # 0, then five steps up to the highest value
    expect(legend.locator(".legend-zero")).to_have_text("0: none")
    steps = legend.locator(".legend-item:not(.legend-zero) .swatch").evaluate_all(
        "swatches => swatches.map(s => getComputedStyle(s).backgroundColor)"
    )
    assert len(set(steps)) == 5
    top = max(value for value, zero, _ in cells if not zero)
    assert legend.locator(".legend-item").last.inner_text().endswith(f"{top:.1f}")
    page.locator(".chart-heatmap summary").click()
    zero_cells = page.locator("#table-heatmap td.zero")
    assert zero_cells.count() == len(zeros) and set(zero_cells.all_inner_texts()) == {"0"}
    assert zero_cells.locator("button").count() == 0  # nothing to list behind a zero
    assert zero_cells.first.evaluate("td => getComputedStyle(td).color") != page.locator(
        "#table-heatmap td button"
    ).first.evaluate("b => getComputedStyle(b).color")
    visit.assert_clean(origin=server.url)


def test_offline_numbers_tables_stay_clear_of_the_newest_articles(tab: Callable[..., Tab], offline_file: Path) -> None:
    visit = tab(width=1440, height=900)
    page = visit.page
    page.goto(offline_file.as_uri())
    visit.chart("heatmap", "true")
    for summary in page.locator("details.chart-table summary").all():
        summary.click()
    found = page.evaluate(
        """() => {
        const panel = document.getElementById('articles').getBoundingClientRect();
        const charts = document.getElementById('charts').getBoundingClientRect();
        const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0
            && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0;
        const tables = Array.from(document.querySelectorAll('.chart-table table')).map(table => {
            const t = table.getBoundingClientRect(), w = table.closest('.table-wrap').getBoundingClientRect();
            const seen = {left: Math.max(t.left, w.left), right: Math.min(t.right, w.right), top: t.top, bottom: t.bottom};
            return {id: table.id, overlaps: overlap(seen, panel), scrolls: table.closest('.table-wrap').scrollWidth > w.width + 1};
        });
        return {beside: panel.left >= charts.right, tables};
    }"""
    )
    assert found["beside"]  # the wide layout: the article list in a column beside the charts
    assert [t["id"] for t in found["tables"] if t["overlaps"]] == []
    assert any(t["scrolls"] for t in found["tables"])  # the heat map's table is wider than its card: it scrolls there
    visit.assert_clean(origin=offline_file.as_uri())


def test_checkbox_filters_keep_the_chosen_in_sight_and_filter_the_page(
    tab: Callable[..., Tab], server: LiveServer
) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/corpus")
    data = page.evaluate("() => JSON.parse(document.getElementById('dashboard-data').textContent)")
    order = page.locator("#f-technique input[type=checkbox]").evaluate_all("boxes => boxes.map(b => b.value)")
    label = [value for value in order if value in data["heatmap"]["columns"]][-1]  # used, and far down the list
    box = page.locator(f"#f-technique input[value='{label}']")
    box.check()
    name = page.locator(f"#f-technique label:has(input[value='{label}'])").inner_text().strip()
    page.wait_for_function(
        "(name) => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().xAxis[0].data.join() === name",
        arg=name,
    )
    assert f"technique={label}" in page.url
    page.locator("#f-technique .checklist").evaluate("list => { list.scrollTop = 0; }")
    hidden = box.evaluate(
        "box => { const l = box.closest('.checklist').getBoundingClientRect(), b = box.getBoundingClientRect();"
        " return b.top >= l.bottom || b.bottom <= l.top; }"
    )
    assert hidden  # the ticked box has scrolled out of its list...
    chip = page.locator("#chosen-technique .chip")
    expect(chip).to_have_text(f"{name} ×")  # ...but the choice stays in sight above it
    expect(chip).to_be_in_viewport()
    chip.click()  # and takes it off again
    expect(box).not_to_be_checked()
    expect(page.locator("#chosen-technique")).to_have_text("All: no choice")
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap')).getOption().xAxis[0].data.length > 1"
    )
    visit.assert_clean(origin=server.url)


def test_offline_checkbox_filters_show_the_chosen_and_reset(tab: Callable[..., Tab], offline_file: Path) -> None:
    visit = tab()
    page = visit.page
    page.goto(offline_file.as_uri())
    visit.choose("Sources", ["Outlet 2", "Outlet 5"])
    expect(page.locator("#chosen-source .chip")).to_have_text(["Outlet 2 ×", "Outlet 5 ×"])
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
        ".getOption().yAxis[0].data.join() === 'Outlet 2,Outlet 5'"
    )
    assert all("Outlet 2 ·" in item or "Outlet 5 ·" in item for item in visit.listed())
    page.get_by_role("button", name="Clear them").click()
    expect(page.locator("#chosen-source")).to_have_text("All: no choice")
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-heatmap')).getOption().yAxis[0].data.length > 2"
    )
    visit.assert_clean(origin=offline_file.as_uri())


def test_the_api_reference_links_back_and_shows_an_example_per_route(
    tab: Callable[..., Tab], server: LiveServer
) -> None:
    visit = tab()
    page = visit.page
    page.goto(server.url + "/docs")
    back = page.get_by_role("link", name="← Back to unspin")
    expect(back).to_have_attribute("href", "/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and httpx.get(server.url + icon).headers["content-type"] == "image/svg+xml"
    assert f"{server.url}{icon}" in visit.requests  # the browser fetched it
    routes = page.locator("section.operation[id]:has(h2 .method)")
    assert routes.count() > 30 and page.locator("section.operation pre.example").count() == routes.count()
    rates = page.locator("#get_rates_v1_corpus_rates_get pre.example").inner_text()
    assert rates.startswith('curl -s "$UNSPIN_URL/v1/corpus/rates?')
    address = page.locator("header pre").inner_text().removeprefix("export UNSPIN_URL=")
    url = "http://" + rates.split('"')[1].replace("$UNSPIN_URL", address)
    assert httpx.get(url).json()  # the example answers, here on this server
    code = page.locator("#get_articles_v1_corpus_articles_get .description code")
    assert "technique" in code.all_inner_texts()  # Markdown rendered: `technique` is code, not backticks
    back.click()
    page.wait_for_url(server.url + "/")
    visit.assert_clean(origin=server.url)
