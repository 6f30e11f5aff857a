"""The corpus questions as terminal tables: rates, trends and slice comparisons, for ``unspin corpus``.

Techniques, categories, frames and genres are shown by their names in the interface
language, periods as people write them ("2025-01", "2025-W03"), and every group (source or
language) in one table. Two layouts: *long*, one row per group, period and label, and
*wide*, periods or labels as columns. In a wide table an empty cell ("–") means no articles
in that group and period, and "0" means articles without the label: the two never look alike.
The JSON of the commands is the store's answer as it is; only these tables are laid out here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..corpus.periods import Period, period_name
from ..i18n import N_, gettext, ngettext
from ..taxonomy import CATEGORIES, FRAMES, GENRES, TECHNIQUES

if TYPE_CHECKING:
    from ..store import CorpusFilter
    from ..store.compare import ComparisonRow
    from ..store.queries import GroupBy, RateRow, Trend

__all__ = ["EMPTY", "comparison_table", "describe_slice", "label_name", "rates_table", "trend_table"]

EMPTY = "–"  # a cell without articles behind it, unlike "0"
CHANGE = "◆"  # marks a change point in a trend
Totals = dict[tuple[str, dt.date | None], tuple[int, int]]  # (group, period) -> (articles, words), as store.groups

_GROUP_HEADINGS = {"source": N_("Source"), "language": N_("Language")}
_PERIOD_HEADINGS = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month")}
_LABEL_HEADINGS = {
    "technique": N_("Technique"),
    "category": N_("Category"),
    "frame": N_("Frame"),
    "genre": N_("Genre"),
}


def label_name(label: str, kind: str = "technique") -> str:
    """A technique's, category's, frame's or genre's name in the interface language (an unknown label as it is)."""
    tables: dict[str, dict[str, Any]] = {
        "technique": TECHNIQUES,
        "category": CATEGORIES,
        "frame": FRAMES,
        "genre": GENRES,
    }
    entry = tables.get(kind, {}).get(label)
    return gettext(entry.name) if entry is not None else label


def _group_name(group: str, by: GroupBy) -> str:
    if by == "none":
        return gettext("All")
    if group:
        return group
    return gettext("(no source)") if by == "source" else gettext("(unknown)")


def _number(value: float, digits: int = 2) -> str:
    """A rate for a table: "0" for none at all, else ``digits`` decimals (more for a rate too small to show)."""
    if not value:
        return "0"
    text = f"{value:,.{digits}f}"
    return text if text.strip("0.,") else f"{value:.2g}"


def _share(value: float) -> str:
    return "0" if not value else f"{value:.0%}" if value >= 0.01 else "<1%"


def _table(title: str) -> Table:
    return Table(title=title or None, title_justify="left")


@dataclass
class _Grid:
    """A table to lay out: leading columns that name a row, then columns of values (right-aligned)."""

    title: str
    caption: str
    heads: list[str]
    columns: list[str]
    rows: list[tuple[list[str], list[str], bool]] = field(default_factory=list)  # heads, values, ends a section

    def add(self, heads: list[str], values: list[str], *, end_section: bool = False) -> None:
        self.rows.append((heads, values, end_section))

    def render(self, width: int) -> RenderableType:
        """One table, or as many as it takes to fit ``width`` (each repeating the leading columns), never a
        value cut or wrapped: as pandas prints a wide frame."""
        head_widths = [_fit([h, *(r[0][i] for r in self.rows)], 24) for i, h in enumerate(self.heads)]
        widths = [_fit([c, *(r[1][j] for r in self.rows)], 1000) for j, c in enumerate(self.columns)]  # never cut
        room = max(width - sum(w + 3 for w in head_widths) - 1, 1)
        blocks: list[list[int]] = [[]]
        used = 0
        for j, w in enumerate(widths):
            if blocks[-1] and used + w + 3 > room:
                blocks.append([])
                used = 0
            blocks[-1].append(j)
            used += w + 3
        tables: list[RenderableType] = []
        for n, block in enumerate(blocks):
            table = _table(self.title if n == 0 else "")
            for heading, w in zip(self.heads, head_widths, strict=True):
                table.add_column(heading, min_width=w, max_width=w, overflow="fold")
            for j in block:
                table.add_column(
                    self.columns[j], justify="right", min_width=widths[j], max_width=widths[j], overflow="fold"
                )
            for heads, values, end_section in self.rows:
                table.add_row(*heads, *(values[j] for j in block), end_section=end_section)
            tables.append(table)
        return Group(*tables, Text(self.caption, style="dim"))


def _fit(texts: Iterable[str], cap: int) -> int:
    """A column's width: its longest text, but no more than ``cap`` and no less than its heading's longest word."""
    texts = list(texts)
    longest_word = max((cell_len(word) for word in texts[0].split()), default=0)
    return max(4, longest_word, min(cap, max(cell_len(text) for text in texts[1:]) if texts[1:] else 0))


# ---------------------------------------------------------------------------- rates


def rates_table(
    rows: Sequence[RateRow],
    totals: Totals,
    *,
    by: GroupBy,
    period: Period | None,
    level: Literal["technique", "category"],
    wide: bool,
    width: int = 80,
) -> RenderableType:
    """``unspin corpus rates``: labelled paragraphs per 1,000 words per group (and period), by name.

    Long: one row per group, period and label, most used first within each group and period.
    Wide: a row per group with the labels as columns, or, split by period, a row per group
    and label with the periods as columns. ``totals`` (articles and words of every group and
    period, from :func:`unspin.store.queries.groups`) tell an empty cell from a zero. A wide
    table too wide for ``width`` columns is printed in blocks of columns.
    """
    if wide:
        grid = _rates_by_period(rows, totals, by, period, level) if period else _rates_by_label(rows, totals, by, level)
    else:
        grid = _rates_long(rows, by, period, level)
    return grid.render(width)


def _rates_title(level: str) -> str:
    what = gettext("Techniques") if level == "technique" else gettext("Categories")
    return gettext("%(what)s per 1,000 words") % {"what": what}


def _group_heads(by: GroupBy) -> list[str]:
    return [gettext(_GROUP_HEADINGS[by])] if by != "none" else []


def _rates_long(rows: Sequence[RateRow], by: GroupBy, period: Period | None, level: str) -> _Grid:
    grid = _Grid(
        _rates_title(level),
        gettext("Per 1,000 words and per article: paragraphs labelled with it."),
        [*_group_heads(by), *([gettext(_PERIOD_HEADINGS[period])] if period else []), gettext(_LABEL_HEADINGS[level])],
        [
            gettext("Per 1,000 words"),
            gettext("Per article"),
            gettext("Paragraphs"),
            gettext("Articles with it"),
            gettext("Articles"),
            gettext("Words"),
        ],
    )
    ordered = sorted(rows, key=lambda r: (r.group, r.period or dt.date.min, -r.per_1000_words, r.label))
    for i, row in enumerate(ordered):
        following = ordered[i + 1] if i + 1 < len(ordered) else None
        grid.add(
            [
                *([_group_name(row.group, by)] if by != "none" else []),
                *([period_name(row.period, period)] if period and row.period else []),
                label_name(row.label, level),
            ],
            [
                _number(row.per_1000_words),
                _number(row.per_article),
                f"{row.count:,}",
                f"{row.articles_with:,}",
                f"{row.articles:,}",
                f"{row.words:,}",
            ],
            end_section=following is not None and (following.group, following.period) != (row.group, row.period),
        )
    return grid


def _labels_by_use(rows: Iterable[RateRow]) -> list[str]:
    used: dict[str, int] = defaultdict(int)
    for row in rows:
        used[row.label] += row.count
    return sorted(used, key=lambda label: (-used[label], label))


def _rates_by_label(rows: Sequence[RateRow], totals: Totals, by: GroupBy, level: str) -> _Grid:
    """A row per group, a column per label (most used first): the heat map as a table."""
    labels = _labels_by_use(rows)
    cells = {(r.group, r.label): r for r in rows}
    grid = _Grid(
        _rates_title(level),
        _wide_caption(),
        [*_group_heads(by), gettext("Articles")],
        [label_name(label, level) for label in labels],
    )
    for (group, _), (articles, _words) in sorted(totals.items()):
        grid.add(
            [*([_group_name(group, by)] if by != "none" else []), f"{articles:,}"],
            [_number(cells[group, label].per_1000_words) if (group, label) in cells else "0" for label in labels],
        )
    return grid


def _rates_by_period(rows: Sequence[RateRow], totals: Totals, by: GroupBy, period: Period, level: str) -> _Grid:
    """A row per group and label, a column per period; "–" where the group has no article in the period."""
    periods = sorted({when for _, when in totals if when is not None})
    labels = _labels_by_use(rows)
    cells = {(r.group, r.period, r.label): r for r in rows}
    used = {(r.group, r.label) for r in rows}
    grid = _Grid(
        _rates_title(level),
        _wide_caption(),
        [*_group_heads(by), gettext(_LABEL_HEADINGS[level])],
        [period_name(when, period) for when in periods],
    )
    groups = sorted({group for group, _ in totals})
    for n, group in enumerate(groups):
        shown = [label for label in labels if (group, label) in used]
        for i, label in enumerate(shown):
            values = []
            for when in periods:
                cell = cells.get((group, when, label))
                values.append(_number(cell.per_1000_words) if cell else "0" if (group, when) in totals else EMPTY)
            grid.add(
                [*([_group_name(group, by)] if by != "none" else []), label_name(label, level)],
                values,
                end_section=i + 1 == len(shown) and n + 1 < len(groups),
            )
    return grid


def _wide_caption() -> str:
    return gettext("Paragraphs per 1,000 words. 0: articles without it; %(empty)s: no articles.") % {"empty": EMPTY}


# ---------------------------------------------------------------------------- trends


def trend_table(result: Trend, *, by: GroupBy, wide: bool, width: int = 80) -> RenderableType:
    """``unspin corpus trend``: one table for every group, change points marked with ◆.

    Long: one row per group and period with the value, its count and the articles. Wide: a
    row per group, a column per period (of any group); "–" where the group has no article.
    """
    per_words = result.measure == "per_1000_words"
    values = {"label": label_name(result.label, result.kind)}
    title = (
        gettext("%(label)s per 1,000 words") % values if per_words else gettext("%(label)s: share of articles") % values
    )
    shifts = [
        f"{_group_name(s.group, by)} {', '.join(period_name(d, result.period) for d in s.change_points)}"
        for s in result.series
        if s.change_points
    ]
    caption = (
        gettext("%(mark)s change point, where the level shifts: %(where)s.")
        % {"mark": CHANGE, "where": "; ".join(shifts)}
        if shifts
        else gettext("No change points.")
    )
    value = _number if per_words else _share
    if wide:
        periods = sorted({p.period for s in result.series for p in s.points})
        grid = _Grid(
            title,
            caption + " " + gettext("%(empty)s: no articles.") % {"empty": EMPTY},
            _group_heads(by) or [""],
            [period_name(when, result.period) for when in periods],
        )
        for series in result.series:
            points = {p.period: p for p in series.points}
            grid.add(
                [_group_name(series.group, by)],
                [
                    (value(points[w].value) + (CHANGE if w in series.change_points else "")) if w in points else EMPTY
                    for w in periods
                ],
            )
        return grid.render(width)
    grid = _Grid(
        title,
        caption,
        [*_group_heads(by), gettext(_PERIOD_HEADINGS[result.period])],
        [
            gettext("Per 1,000 words") if per_words else gettext("Share of articles"),
            gettext("Paragraphs") if per_words else gettext("Articles with it"),
            gettext("Articles"),
            gettext("Change"),
        ],
    )
    for n, series in enumerate(result.series):
        for i, point in enumerate(series.points):
            grid.add(
                [*([_group_name(series.group, by)] if by != "none" else []), period_name(point.period, result.period)],
                [
                    value(point.value),
                    f"{point.count:,}",
                    f"{point.articles:,}",
                    CHANGE if point.period in series.change_points else "",
                ],
                end_section=i + 1 == len(series.points) and n + 1 < len(result.series),
            )
    return grid.render(width)


# ---------------------------------------------------------------------------- comparisons


def describe_slice(filters: CorpusFilter, articles: int, words: int) -> str:
    """A slice in words, with its size: "all sources; all languages; from 2025-06-15: 330 articles, 59,533 words"."""
    parts = [
        ", ".join(filters.sources) if filters.sources else gettext("all sources"),
        ", ".join(filters.languages) if filters.languages else gettext("all languages"),
    ]
    if filters.techniques:
        names = ", ".join(label_name(t) for t in filters.techniques)
        parts.append(gettext("articles with %(techniques)s") % {"techniques": names})
    start, end = filters.date_from, filters.date_to
    if start and end:
        parts.append(gettext("%(start)s to %(end)s") % {"start": start, "end": end})
    elif start:
        parts.append(gettext("from %(start)s") % {"start": start})
    elif end:
        parts.append(gettext("up to %(end)s") % {"end": end})
    else:
        parts.append(gettext("all dates"))
    size = ngettext("%(count)s article", "%(count)s articles", articles) % {"count": f"{articles:,}"}
    size += ", " + ngettext("%(count)s word", "%(count)s words", words) % {"count": f"{words:,}"}
    return f"{'; '.join(parts)}: {size}"


def comparison_table(rows: Sequence[ComparisonRow], level: str, min_count: int, width: int = 80) -> RenderableType:
    """``unspin corpus compare``: counts and rates side by side; a ratio only where both counts can carry one."""
    grid = _Grid(
        gettext("A against B, per 1,000 words"),
        gettext(
            "Ratio: A's rate over B's, with its 95%% interval, given only where both slices have at least "
            '%(count)s paragraphs with the label ("too few" otherwise). q: the chance of a difference this '
            'large by luck alone, corrected for the number of labels; "more in" where q < 0.05.'
        )
        % {"count": min_count},
        [gettext(_LABEL_HEADINGS[level])],
        [
            gettext("A: paragraphs"),
            gettext("A: per 1,000 words"),
            gettext("B: paragraphs"),
            gettext("B: per 1,000 words"),
            gettext("Ratio A/B (95%% interval)") % {},
            "q",
            gettext("More in"),
        ],
    )
    for row in rows:
        if row.enough_data:
            ratio = f"{_number(row.rate_ratio)} ({_number(row.ci_low)}–{_number(row.ci_high)})"
        elif max(row.count_a, row.count_b) >= min_count and not min(row.count_a, row.count_b):
            ratio = gettext("only in A") if row.count_a else gettext("only in B")
        else:
            ratio = gettext("too few")
        grid.add(
            [label_name(row.label, level)],
            [
                f"{row.count_a:,}",
                _number(row.per_1000_words_a),
                f"{row.count_b:,}",
                _number(row.per_1000_words_b),
                ratio,
                f"{row.q_value:.2g}" if row.q_value < 0.001 else f"{row.q_value:.3f}",
                (row.over_represented_in or "").upper(),
            ],
        )
    return grid.render(width)
