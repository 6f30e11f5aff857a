"""The corpus dashboard: charts of a slice of the corpus, in the web UI or as one offline file.

Data first: :func:`~unspin.corpus.views.build_dashboard` gives the numbers as a
:class:`~unspin.corpus.views.Dashboard`, and this module only lays it out: the templates (with
a plain table per chart, for screen readers and pages without script), and ``dashboard.js``,
which draws every chart with Apache ECharts, vendored in ``vendor/`` (Apache-2.0; no CDN).
The data travels as JSON in a ``<script type="application/json">`` element, which a browser
never runs (``tojson`` escapes ``<``, ``>`` and ``&``), and the script reads it with
``JSON.parse``. Article titles and source names reach the page only as text nodes,
attributes or canvas text, never as markup.

:func:`render_dashboard` inlines the stylesheet and both scripts and allows exactly those by
hash in a Content-Security-Policy, as the article report does; the web UI serves them from
``/ui/`` under the server's ``script-src 'self'``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from markupsafe import Markup

from .._version import __version__
from ..taxonomy import CATEGORIES, FRAMES, TECHNIQUES
from .html import _content_security_policy, report_assets, report_environment

if TYPE_CHECKING:
    from ..corpus.views import Dashboard, Matrix, Narratives, Trends
    from ..store import CorpusFilter

__all__ = ["dashboard_assets", "dashboard_context", "dashboard_labels", "render_dashboard"]


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    title: str  # the counts behind the value
    href: str | None = None  # without script: the dashboard narrowed to this cell


@dataclass(frozen=True, slots=True)
class _Table:
    """A chart as a table: the fallback for screen readers and for pages without script."""

    key: str
    title: str
    description: str
    caption: str
    corner: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[_Cell, ...]], ...]
    numeric: bool = True
    empty: str = "Nothing to show for these filters."


def render_dashboard(dashboard: Dashboard) -> str:
    """The dashboard as one self-contained, offline HTML page: it loads nothing from the network.

    With an article index (``build_dashboard(..., articles_limit=...)``), clicking a chart
    lists its articles without a server.
    """
    dashboard_css, js, echarts = dashboard_assets()
    css = report_assets()[0] + dashboard_css
    context = dashboard_context(dashboard, mode="offline")
    return (
        report_environment()
        .get_template("dashboard.html.j2")
        .render(
            **context,
            version=__version__,
            css=Markup(css),
            echarts=Markup(echarts),
            js=Markup(js),
            csp=_content_security_policy(css, echarts, js),
        )
    )


def dashboard_context(
    dashboard: Dashboard, *, mode: Literal["web", "offline"], link: str | None = None, articles: Sequence[Any] = ()
) -> dict[str, Any]:
    """What the dashboard templates show: the data and labels (as JSON for the script), and the tables.

    ``link``, the web page's own path, makes each table cell a link to the dashboard narrowed
    to that cell, and ``articles`` are listed at first: both for browsers without script.
    """
    labels = dashboard_labels()
    return {
        "mode": mode,
        "data": dashboard.model_dump(mode="json"),
        "labels": labels,
        "filters": dashboard.filters,
        "options": dashboard.options,
        "overview": dashboard.overview,
        "technique_options": [(label, entry["name"]) for label, entry in labels["techniques"].items()],
        "tables": _tables(dashboard, labels, link),
        "articles": articles,
    }


@cache
def dashboard_labels() -> dict[str, Any]:
    """Display names and colours of the labels, for the script (the API data carries bare labels)."""
    return {
        "techniques": {
            t.label: {"name": t.name, "category": t.category, "colour": CATEGORIES[t.category].colour}
            for t in TECHNIQUES.values()
        },
        "frames": {f.label: f.name for f in FRAMES.values()},
    }


@cache
def dashboard_assets() -> tuple[str, str, str]:
    """The dashboard's stylesheet (it builds on the report's), its script, and ECharts."""
    env = report_environment()
    assert env.loader is not None
    css = env.loader.get_source(env, "dashboard.css")[0]
    js = env.loader.get_source(env, "dashboard.js")[0]
    echarts = (resources.files("unspin.render") / "vendor" / "echarts.min.js").read_text(encoding="utf-8")
    return css, js, echarts


# ---------------------------------------------------------------------------- tables


Name = Callable[[str], str]
Link = Callable[..., str | None]


def _tables(dashboard: Dashboard, labels: dict[str, Any], link: str | None) -> list[_Table]:
    techniques, frames = _namer(labels["techniques"], "name"), _namer(labels["frames"])

    def narrowed(**values: Any) -> str | None:
        return _narrowed(link, dashboard.filters, values) if link else None

    return [
        _matrix_table(
            dashboard.heatmap,
            "heatmap",
            "Techniques by source",
            "Paragraphs with each technique per 1,000 words. Click a cell to list its articles.",
            "Paragraphs with each technique per 1,000 words, by source",
            techniques,
            "{:.2f}",
            "paragraphs",
            lambda source, label: narrowed(source=[source], technique=[label]),
        ),
        _trend_table(dashboard.trends, techniques, narrowed),
        _matrix_table(
            dashboard.frames,
            "frames",
            "Frames by source",
            "The share of each source's articles with each frame. Click a cell to list its articles.",
            "Share of articles with each frame, by source",
            frames,
            "{:.0%}",
            "articles",
            lambda source, label: None,
        ),  # no frame filter to narrow by
        _narrative_table(dashboard.narratives),
    ]


def _matrix_table(
    matrix: Matrix,
    key: str,
    title: str,
    description: str,
    caption: str,
    name: Name,
    number: str,
    unit: str,
    href: Callable[[str, str], str | None],
) -> _Table:
    rows = []
    for i, source in enumerate(matrix.rows):
        cells = tuple(
            _Cell(number.format(value), f"{count} {unit} in {matrix.articles[i]} articles", href(source, label))
            for label, value, count in zip(matrix.columns, matrix.values[i], matrix.counts[i], strict=False)
        )
        rows.append((source, cells))
    return _Table(key, title, description, caption, "Source", tuple(map(name, matrix.columns)), tuple(rows))


def _trend_table(trends: Trends, name: Name, narrowed: Link) -> _Table:
    rows = []
    for i, (start, end) in enumerate(zip(trends.periods, trends.ends, strict=False)):
        cells = tuple(
            _Cell(
                f"{line.values[i]:.2f}",
                f"{line.counts[i]} paragraphs",
                narrowed(technique=[line.label], date_from=start, date_to=end),
            )
            for line in trends.lines
        )
        rows.append((start.isoformat(), cells))
    return _Table(
        "trends",
        "Techniques over time",
        "The most used techniques, per 1,000 words, all sources together; diamonds mark change points, "
        "where the level shifts. Click a point to list its articles.",
        f"Paragraphs with each technique per 1,000 words, by {trends.period}",
        "Period",
        tuple(name(line.label) for line in trends.lines),
        tuple(rows),
    )


def _narrative_table(narratives: Narratives) -> _Table:
    rows = []
    for item in narratives.items:
        sources = ", ".join(f"{s.source} ({s.articles})" for s in item.sources[:3])
        more = f" and {len(item.sources) - 3} more" if len(item.sources) > 3 else ""
        first = item.first
        seen = f"{first.date.isoformat()}, {first.source}: {first.title or 'untitled'}" if first else "undated"
        rows.append(
            (
                item.label,
                (
                    _Cell(str(item.size), "articles"),
                    _Cell(sources + more, "articles per source"),
                    _Cell(seen, "the earliest article"),
                ),
            )
        )
    return _Table(
        "narratives",
        "Narratives over time",
        "Stories told again and again: groups of similar articles, named by their top words, with the "
        "articles in each per period. Click a point to list its articles.",
        "The largest narratives: their articles, sources and first appearance",
        "Narrative",
        ("Articles", "Sources", "First seen"),
        tuple(rows),
        numeric=False,
        empty="No narratives in this slice. They are found by unspin corpus narratives --build.",
    )


def _namer(table: dict[str, Any], field: str | None = None) -> Name:
    """Label to display name; an unknown label is shown as given."""

    def name(label: str) -> str:
        entry = table.get(label)
        return label if entry is None else str(entry[field] if field else entry)

    return name


def _narrowed(link: str, filters: CorpusFilter, values: dict[str, Any]) -> str:
    """The dashboard's address with the current filters, narrowed by ``values`` (a date range is intersected)."""
    query = {
        "source": filters.sources,
        "language": filters.languages,
        "technique": filters.techniques,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "model": filters.model,
    }
    if values.get("date_from") and query["date_from"]:
        values["date_from"] = max(values["date_from"], query["date_from"])
    if values.get("date_to") and query["date_to"]:
        values["date_to"] = min(values["date_to"], query["date_to"])
    query.update(values)
    pairs = [
        (key, value)
        for key, given in query.items()
        if given
        for value in (given if isinstance(given, list) else [given])
    ]
    return f"{link}?{urlencode(pairs)}#articles"
