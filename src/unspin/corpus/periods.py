"""Periods of time: days, ISO weeks (starting Monday) and calendar months, each named by its first day.

Examples
--------
>>> import datetime as dt
>>> period_start(dt.date(2024, 2, 14), "week"), period_end(dt.date(2024, 2, 1), "month")
(datetime.date(2024, 2, 12), datetime.date(2024, 2, 29))
>>> period_range([dt.date(2024, 3, 1), dt.date(2024, 1, 1)], "month")
[datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)]
>>> period_name(dt.date(2024, 12, 30), "week"), period_name(dt.date(2025, 1, 1), "month")
('2025-W01', '2025-01')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

Period = Literal["day", "week", "month"]

_DAY = dt.timedelta(days=1)


def period_start(day: dt.date, period: Period) -> dt.date:
    """The first day of the day's period: itself, its week's Monday, or the first of its month."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1) if period == "month" else day


def next_period(start: dt.date, period: Period) -> dt.date:
    """The first day of the period after the one that starts on ``start``."""
    if period == "month":
        return next_month(start)
    return start + dt.timedelta(days=7 if period == "week" else 1)


def period_end(start: dt.date, period: Period) -> dt.date:
    """The last day of the period that starts on ``start``."""
    return next_period(start, period) - _DAY


def period_range(periods: Iterable[dt.date], period: Period) -> list[dt.date]:
    """Every period from the first of ``periods`` to the last (all first days), gaps filled: one shared axis."""
    periods = list(periods)
    if not periods:
        return []
    axis, when, last = [], min(periods), max(periods)
    while when <= last:
        axis.append(when)
        when = next_period(when, period)
    return axis


def period_name(start: dt.date, period: Period) -> str:
    """How a period is written for people: "2025-01-06" (a day), "2025-W02" (an ISO week), "2025-01" (a month).

    A week is named by its ISO year and number, so the week starting on Monday 2024-12-30
    is "2025-W01".
    """
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m") if period == "month" else start.isoformat()


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after the day's."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def whole_months(first: dt.date | None, last: dt.date | None) -> tuple[dt.date | None, dt.date | None] | None:
    """The whole calendar months within the days ``first`` to ``last`` (inclusive; None: unbounded).

    Returns the first day of the first whole month and the last day of the last one (None
    where that end is unbounded), or None when the range holds no whole month.

    Examples
    --------
    >>> whole_months(dt.date(2024, 1, 15), dt.date(2024, 3, 31))
    (datetime.date(2024, 2, 1), datetime.date(2024, 3, 31))
    >>> whole_months(dt.date(2024, 1, 2), dt.date(2024, 1, 30)) is None
    True
    """
    whole_from = None if first is None else first if first.day == 1 else next_month(first)
    whole_to = None if last is None else last if (last + _DAY).day == 1 else last.replace(day=1) - _DAY
    if whole_from and whole_to and whole_from > whole_to:
        return None
    return whole_from, whole_to
