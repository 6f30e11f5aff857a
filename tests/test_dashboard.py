"""The corpus dashboard's data and its offline file: the query layer's numbers, one self-contained page, escaped text.

The same page in a real browser is tested in test_dashboard_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from unspin.analysis import Analysis
from unspin.cli.corpus import ARTICLE_INDEX_LIMIT, write_dashboard
from unspin.corpus.views import build_dashboard
from unspin.errors import InputError
from unspin.render.dashboard import dashboard_assets
from unspin.store import EVERYTHING, CorpusFilter, Store
from unspin.store.articles import get_analysis, list_articles
from unspin.store.narratives import build_narratives, narratives
from unspin.store.queries import rates, trend
from unspin.store.synthetic import synthetic_analyses

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_SOURCE = "</script><script>alert(2)</script>"
HOSTILE_URL = "javascript:alert(3)"
VENDOR = Path(__file__).resolve().parents[1] / "src" / "unspin" / "render" / "vendor"


def dashboard_data(store: Store, filters: CorpusFilter = EVERYTHING, **options: object) -> dict:
    """The dashboard's view model as the JSON the API serves and the page embeds."""
    return build_dashboard(store, filters, **options).model_dump(mode="json")


def hostile_corpus(n: int = 300) -> list[Analysis]:
    """The synthetic corpus, plus one article from a source whose name tries to run script; the newest
    "Outlet 1" article has such a title and URL."""
    *analyses, extra = synthetic_analyses(n + 1)
    newest = max((a for a in analyses if a.article.source == "Outlet 1"), key=lambda a: a.article.date)
    analyses[analyses.index(newest)] = replace(
        newest, article=newest.article.with_metadata(title=HOSTILE_TITLE, url=HOSTILE_URL)
    )
    return [*analyses, replace(extra, article=extra.article.with_metadata(source=HOSTILE_SOURCE, title=HOSTILE_TITLE))]


@pytest.fixture(scope="module")
def analyses() -> list[Analysis]:
    return hostile_corpus()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, analyses: list[Analysis]) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("dashboard") / "corpus.db") as store:
        store.add(analyses)
        build_narratives(store)
        yield store


@pytest.fixture(scope="module")
def data(store: Store) -> dict:
    return dashboard_data(store, period="month")


def test_heat_map_holds_the_rates_by_source(store: Store, data: dict) -> None:
    heat = data["heatmap"]
    rows = rates(store, by="source")
    assert rows
    for row in rows:
        i, j = heat["rows"].index(row.group), heat["columns"].index(row.label)
        assert (heat["values"][i][j], heat["counts"][i][j]) == (row.per_1000_words, row.count)
    column_totals = [sum(column) for column in zip(*heat["counts"], strict=False)]
    assert column_totals == sorted(column_totals, reverse=True)  # most used first
    assert sum(heat["articles"]) == data["overview"]["articles"] == 301
    json.dumps(data)  # JSON-ready as it is


def test_trends_follow_the_most_used_techniques(store: Store) -> None:
    data = dashboard_data(store, period="month", top_techniques=3)
    lines, trends = data["trends"]["lines"], data["trends"]
    assert [line["label"] for line in lines] == data["heatmap"]["columns"][:3]
    assert len(trends["periods"]) == 12 and trends["periods"][1] == "2024-02-01" and trends["ends"][1] == "2024-02-29"
    for line in lines:
        [series] = trend(store, line["label"], period="month", by="none").series
        assert line["values"] == [p.value for p in series.points]
        assert line["change_points"] == [d.isoformat() for d in series.change_points]
    assert any(line["change_points"] for line in lines)  # the synthetic corpus doubles its rates in July


@pytest.mark.parametrize("techniques", [[], ["Slogans"]])
def test_frame_shares_are_counted_by_hand(store: Store, analyses: list[Analysis], techniques: list[str]) -> None:
    frames = dashboard_data(store, CorpusFilter(techniques=techniques))["frames"]
    chosen = [
        a
        for a in analyses
        if not techniques or any(t.technique in techniques for p in a.paragraphs for t in p.techniques)
    ]
    articles = Counter(a.article.source for a in chosen)
    with_frame = Counter((a.article.source, f.label) for a in chosen for f in a.frames)
    for i, source in enumerate(frames["rows"]):
        assert frames["articles"][i] == articles[source]
        for j, frame in enumerate(frames["columns"]):
            assert frames["counts"][i][j] == with_frame[source, frame]
            assert frames["values"][i][j] == pytest.approx(with_frame[source, frame] / articles[source], abs=1e-6)


def test_filters_narrow_the_charts_but_not_the_options(store: Store, data: dict) -> None:
    narrowed = dashboard_data(store, CorpusFilter(sources=["Outlet 2"], techniques=["Doubt", "Slogans"]))
    assert narrowed["heatmap"]["rows"] == narrowed["frames"]["rows"] == ["Outlet 2"]
    assert set(narrowed["heatmap"]["columns"]) <= {"Doubt", "Slogans"}
    assert {line["label"] for line in narrowed["trends"]["lines"]} <= {"Doubt", "Slogans"}
    assert narrowed["options"] == data["options"]
    assert len(data["options"]["sources"]) == 6 and data["options"]["source_languages"]["Outlet 2"] == ["fr"]
    assert narrowed["filters"]["sources"] == ["Outlet 2"]


def test_narratives_share_one_time_axis(store: Store, data: dict) -> None:
    shown = data["narratives"]
    expected = narratives(store, period="month")
    assert [item["id"] for item in shown["items"]] == [n.id for n in expected][:8] and len(expected) >= 3
    assert shown["periods"][0] == "2024-01-01" and shown["ends"][0] == "2024-01-31"
    assert all([p["period"] for p in item["timeline"]] == shown["periods"] for item in shown["items"])
    narrowed = dashboard_data(store, CorpusFilter(sources=["Outlet 4"]))["narratives"]["items"]
    assert all([s["source"] for s in item["sources"]] == ["Outlet 4"] for item in narrowed)


def test_the_article_index_is_the_newest_articles_with_their_labels(store: Store) -> None:
    index = dashboard_data(store, articles_limit=40)["articles"]
    assert len(index["articles"]) == 40 and index["capped"]
    dates = [a["date"] for a in index["articles"]]
    assert dates == sorted(dates, reverse=True)
    first = index["articles"][0]
    analysis = get_analysis(store, first["id"])
    assert first["techniques"] == sorted({t.technique for p in analysis.paragraphs for t in p.techniques})
    assert first["frames"] == [f.label for f in analysis.frames]
    assert len(first["narratives"]) == 1
    whole = dashboard_data(store, CorpusFilter(sources=["Outlet 1"]), articles_limit=1000)["articles"]
    assert len(whole["articles"]) == 60 and not whole["capped"]
    assert dashboard_data(store)["articles"] is None  # the web UI asks the API instead


def test_articles_can_be_listed_by_frame_and_narrative(store: Store, analyses: list[Analysis], data: dict) -> None:
    listed = list_articles(store, CorpusFilter(sources=["Outlet 3"]), frame="Economic", limit=500)
    expected = [a for a in analyses if a.article.source == "Outlet 3" and "Economic" in {f.label for f in a.frames}]
    assert len(listed) == len(expected) > 0
    largest = data["narratives"]["items"][0]
    assert len(list_articles(store, narrative=largest["id"], limit=500)) == largest["size"]


class _Page(HTMLParser):
    """Every tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


@pytest.fixture(scope="module")
def offline(store: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, _Page]:
    path = tmp_path_factory.mktemp("offline") / "dashboard.html"
    write_dashboard(store, CorpusFilter(), path)
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


def test_offline_file_loads_nothing_and_runs_only_its_own_scripts(offline: tuple[str, _Page]) -> None:
    _, page = offline
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    [csp] = [
        attrs["content"]
        for tag, attrs in page.tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp.startswith("default-src 'none';") and "unsafe" not in csp
    executable = [text for attrs, text in page.scripts if attrs.get("type") != "application/json"]
    assert len(executable) == 2  # ECharts and the dashboard's script
    allowed = re.search(r"script-src ([^;]+)", csp).group(1).split()
    assert sorted(allowed) == sorted(f"'sha256-{_digest(text)}'" for text in executable)


def test_offline_file_embeds_the_data_and_the_article_index(store: Store, offline: tuple[str, _Page]) -> None:
    _, page = offline
    embedded = {
        attrs["id"]: json.loads(text) for attrs, text in page.scripts if attrs.get("type") == "application/json"
    }
    data = embedded["dashboard-data"]
    assert data["heatmap"] == dashboard_data(store)["heatmap"]
    assert len(data["articles"]["articles"]) == min(301, ARTICLE_INDEX_LIMIT)
    assert embedded["dashboard-labels"]["techniques"]["Loaded_Language"]["name"] == "Loaded language"


def test_offline_file_escapes_hostile_text(offline: tuple[str, _Page]) -> None:
    html, page = offline
    assert HOSTILE_TITLE not in html and HOSTILE_SOURCE not in html
    assert "img" not in {tag for tag, _ in page.tags}
    data = json.loads(next(text for attrs, text in page.scripts if attrs.get("id") == "dashboard-data"))
    assert HOSTILE_SOURCE in data["options"]["sources"]  # kept as it is, only escaped
    assert HOSTILE_TITLE in {a["title"] for a in data["articles"]["articles"]}


def test_an_unwritable_output_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write the dashboard"):
        write_dashboard(store, CorpusFilter(), tmp_path / "missing" / "dashboard.html")


def test_vendored_echarts_can_be_inlined_and_keeps_its_licences() -> None:
    _, _, echarts = dashboard_assets()
    assert "Licensed to the Apache Software Foundation" in echarts[:300]
    assert "</script" not in echarts.lower() and "<!--" not in echarts
    for name in ("echarts-LICENSE.txt", "echarts-NOTICE.txt", "echarts-LICENSE-d3.txt", "zrender-LICENSE.txt"):
        assert (VENDOR / name).stat().st_size > 100


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
