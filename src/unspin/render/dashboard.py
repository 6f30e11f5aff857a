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

The page's words are in the interface language (:mod:`unspin.i18n`); the script's travel
translated in a third JSON element, ``dashboard-messages`` (:func:`dashboard_messages`), a
message with a count in each plural category of the language.
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
from ..i18n import N_, gettext, ngettext
from ..taxonomy import CATEGORIES, FRAMES, TECHNIQUES
from .html import _content_security_policy, report_assets, report_environment
from .interface import plural_forms, speaks

if TYPE_CHECKING:
    from ..corpus.views import Dashboard, Matrix, Narratives, Trends
    from ..store import CorpusFilter

__all__ = ["dashboard_assets", "dashboard_context", "dashboard_labels", "dashboard_messages", "render_dashboard"]


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    title: str  # the counts behind the value
    href: str | None = None  # without script: the dashboard narrowed to this cell
    kind: str | None = None  # "zero" (counted, none found) or "empty" (nothing to count), styled apart


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
    empty: str  # what the table says when it has no rows
    numeric: bool = True


@speaks
def render_dashboard(dashboard: Dashboard, *, ui_language: str | None = None) -> str:
    """The dashboard as one self-contained, offline HTML page: it loads nothing from the network.

    With an article index (``build_dashboard(..., articles_limit=...)``), clicking a chart
    lists its articles without a server. Its words are in ``ui_language`` (default: the
    current one); source names, titles and narrative labels are shown as they are.
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
        "messages": dashboard_messages(),
        "filters": dashboard.filters,
        "options": dashboard.options,
        "overview": dashboard.overview,
        "filter_groups": _filter_groups(dashboard, labels),
        "tables": _tables(dashboard, labels, link),
        "articles": articles,
    }


def _filter_groups(dashboard: Dashboard, labels: dict[str, Any]) -> list[tuple[str, str, list, list[str], bool]]:
    """The filters' checkbox lists: (name, legend, [(value, shown as)], chosen values, wide)."""
    options, filters = dashboard.options, dashboard.filters
    return [
        (
            "source",
            gettext("Sources"),
            [(s, s or gettext("(no source)")) for s in options.sources],
            filters.sources,
            False,
        ),
        (
            "language",
            gettext("Languages"),
            [(code, code or gettext("(unknown)")) for code in options.languages],
            filters.languages,
            False,
        ),
        (
            "technique",
            gettext("Techniques"),
            [(label, entry["name"]) for label, entry in labels["techniques"].items()],
            filters.techniques,
            True,
        ),
    ]


def dashboard_labels() -> dict[str, Any]:
    """Display names (in the interface language) and colours of the labels, for the script (the API
    data carries bare labels). Not cached: a few dozen catalogue look-ups, and a catalogue may change."""
    return {
        "techniques": {
            t.label: {"name": gettext(t.name), "category": t.category, "colour": CATEGORIES[t.category].colour}
            for t in TECHNIQUES.values()
        },
        "frames": {f.label: gettext(f.name) for f in FRAMES.values()},
    }


# What a count is of, as the tables and the script write it: "3 paragraphs".
_COUNTS: dict[str, Callable[[int], str]] = {
    "paragraphs": lambda n: ngettext("%(count)s paragraph", "%(count)s paragraphs", n),
    "articles": lambda n: ngettext("%(count)s article", "%(count)s articles", n),
    "sources": lambda n: ngettext("%(count)s source", "%(count)s sources", n),
    "labels": lambda n: ngettext("%(count)s label", "%(count)s labels", n),
}


def _count(unit: str, n: int) -> str:
    return _COUNTS[unit](n) % {"count": n}


def _and_more(listed: str, more: int) -> str:
    """``listed`` and how many more were left out, if any."""
    if more <= 0:
        return listed
    return _and_more_message(more) % {"list": listed, "count": more}


def _and_more_message(n: int) -> str:
    return ngettext("%(list)s and %(count)s more", "%(list)s and %(count)s more", n)


def _counted_in(counted: str, articles: int) -> str:
    """``3 paragraphs in 2 articles``."""
    return gettext("%(counted)s in %(articles)s") % {"counted": counted, "articles": _count("articles", articles)}


def _first_seen(date: str, source: str, title: str | None) -> str:
    values = {"date": date, "source": source, "title": title or gettext("untitled")}
    return gettext("%(date)s, %(source)s: %(title)s") % values


def dashboard_messages() -> dict[str, str | dict[str, str]]:
    """What ``dashboard.js`` writes, in the interface language; the script fills in each ``%(name)s``.

    A message with a count is a mapping from each CLDR plural category of the language to its
    form (:func:`~unspin.render.interface.plural_forms`); the script picks one for ``count``.
    """
    plain = {
        "technique_in_source": gettext("%(technique)s in %(source)s"),
        "frame_in_source": gettext("%(frame)s frame in %(source)s"),
        "narrative": gettext("the narrative %(narrative)s"),
        "narrative_period": gettext("the narrative %(narrative)s, %(start)s to %(end)s"),
        "technique_period": gettext("%(technique)s, %(start)s to %(end)s"),
        "chart_description": gettext("%(description)s The table below the chart lists every value."),
        "titled": gettext("%(title)s: %(text)s"),
        "counted_in": gettext("%(counted)s in %(articles)s"),
        "matrix_summary": gettext("%(sources)s by %(labels)s."),
        "highest_value": gettext("The highest value: %(value)s."),
        "change_point": gettext("change point"),
        "shifts_at": gettext("%(technique)s shifts at %(dates)s"),
        "trends_description": gettext("Techniques over time: %(techniques)s %(by_period)s, from %(start)s to %(end)s."),
        "by_day": gettext("by day"),
        "by_week": gettext("by week"),
        "by_month": gettext("by month"),
        "no_change_points": gettext("No change points."),
        "level_shifts": gettext("%(technique)s: the level shifts here"),
        "per_1000": gettext("%(value)s per 1,000 words"),
        "per_1000_axis": gettext("per 1,000 words"),
        "narratives_description": gettext("Narratives over time: %(narratives)s."),
        "narrative_size": gettext("%(narrative)s (%(articles)s)"),
        "articles_axis": gettext("articles"),
        "column_articles": gettext("Articles"),
        "column_sources": gettext("Sources"),
        "column_first_seen": gettext("First seen"),
        "first_seen": gettext("%(date)s, %(source)s: %(title)s"),
        "untitled": gettext("untitled"),
        "undated": gettext("undated"),
        "title_articles": gettext("articles"),
        "title_per_source": gettext("articles per source"),
        "title_earliest": gettext("the earliest article"),
        "none": gettext("none"),
        "date_range": gettext("%(start)s to %(end)s"),
        "could_not_list": gettext("Could not list the articles: %(problem)s"),
        "articles_of": gettext("Articles: %(what)s"),
        "newest_articles": gettext("Newest articles"),
        "no_articles": gettext("No articles."),
        "article_number": gettext("Article %(number)s"),
        "updating": gettext("Updating the charts…"),
        "could_not_update": gettext("Could not update the charts: %(problem)s"),
        "chosen": gettext("Chosen:"),
        "all_chosen": gettext("All: no choice"),
        "remove_choice": gettext("Remove %(name)s"),
        "legend_zero": gettext("0: none"),
        "legend_empty": gettext("–: no articles"),
        "legend_of": gettext("Colours: %(what)s"),
    }
    plural = {
        **{f"n_{unit}": plural_forms(message) for unit, message in _COUNTS.items()},
        "and_more": plural_forms(_and_more_message),
        "newest_listed": plural_forms(
            lambda n: ngettext("The newest %(count)s is listed.", "The newest %(count)s are listed.", n)
        ),
        "newest_of": plural_forms(
            lambda n: ngettext(
                "The newest %(listed)s of %(count)s is listed.", "The newest %(listed)s of %(count)s are listed.", n
            )
        ),
        "capped": plural_forms(
            lambda n: ngettext(
                "This file holds only the newest %(count)s article of its slice; older ones are not listed.",
                "This file holds only the newest %(count)s articles of its slice; older ones are not listed.",
                n,
            )
        ),
        "showing_articles": plural_forms(
            lambda n: ngettext("Showing %(count)s article.", "Showing %(count)s articles.", n)
        ),
    }
    return {**plain, **plural}


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
            gettext("Techniques by source"),
            gettext("Paragraphs with each technique per 1,000 words. Click a cell to list its articles."),
            gettext("Paragraphs with each technique per 1,000 words, by source"),
            techniques,
            "{:.2f}",
            "paragraphs",
            lambda source, label: narrowed(source=[source], technique=[label]),
        ),
        _trend_table(dashboard.trends, techniques, narrowed),
        _matrix_table(
            dashboard.frames,
            "frames",
            gettext("Frames by source"),
            gettext("The share of each source's articles with each frame. Click a cell to list its articles."),
            gettext("Share of articles with each frame, by source"),
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
            _Cell(
                number.format(value) if count else "0",
                _counted_in(_count(unit, count), matrix.articles[i]),
                href(source, label) if count else None,
                None if count else "zero",
            )
            for label, value, count in zip(matrix.columns, matrix.values[i], matrix.counts[i], strict=False)
        )
        rows.append((source, cells))
    columns = tuple(map(name, matrix.columns))
    return _Table(key, title, description, caption, gettext("Source"), columns, tuple(rows), _nothing_to_show())


def _nothing_to_show() -> str:
    return gettext("Nothing to show for these filters.")


def _trend_table(trends: Trends, name: Name, narrowed: Link) -> _Table:
    rows = []
    for i, (start, end) in enumerate(zip(trends.periods, trends.ends, strict=False)):
        cells = tuple(
            _Cell(
                f"{line.values[i]:.2f}" if line.counts[i] else "0",
                _count("paragraphs", line.counts[i]),
                narrowed(technique=[line.label], date_from=start, date_to=end) if line.counts[i] else None,
                None if line.counts[i] else "zero",
            )
            for line in trends.lines
        )
        rows.append((start.isoformat(), cells))
    return _Table(
        "trends",
        gettext("Techniques over time"),
        gettext(
            "The most used techniques, per 1,000 words, all sources together; diamonds mark change points, "
            "where the level shifts. Click a point to list its articles."
        ),
        gettext(_TREND_CAPTIONS.get(trends.period, _TREND_CAPTIONS["month"])),
        gettext("Period"),
        tuple(name(line.label) for line in trends.lines),
        tuple(rows),
        _nothing_to_show(),
    )


_TREND_CAPTIONS = {
    "day": N_("Paragraphs with each technique per 1,000 words, by day"),
    "week": N_("Paragraphs with each technique per 1,000 words, by week"),
    "month": N_("Paragraphs with each technique per 1,000 words, by month"),
}


def _narrative_table(narratives: Narratives) -> _Table:
    rows = []
    for item in narratives.items:
        sources = _and_more(", ".join(f"{s.source} ({s.articles})" for s in item.sources[:3]), len(item.sources) - 3)
        first = item.first
        seen = _first_seen(first.date.isoformat(), first.source, first.title) if first else gettext("undated")
        rows.append(
            (
                item.label,
                (
                    _Cell(str(item.size), gettext("articles")),
                    _Cell(sources, gettext("articles per source")),
                    _Cell(seen, gettext("the earliest article")),
                ),
            )
        )
    return _Table(
        "narratives",
        gettext("Narratives over time"),
        gettext(
            "Stories told again and again: groups of similar articles, named by their top words, with the "
            "articles in each per period. Click a point to list its articles."
        ),
        gettext("The largest narratives: their articles, sources and first appearance"),
        gettext("Narrative"),
        (gettext("Articles"), gettext("Sources"), gettext("First seen")),
        tuple(rows),
        gettext("No narratives in this slice. They are found by unspin corpus narratives --build."),
        numeric=False,
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
