"""Renderers: each formats an :class:`~unspin.analysis.Analysis`, none re-derives results.

Imported lazily, so that the terminal view does not load Jinja and the HTML report does
not load rich.

Every renderer takes ``ui_language`` (``en``, ``fr``, ``de``, ``it``, ``pl`` or ``ru``; default, the
current interface language, :func:`unspin.i18n.ui_language`) for its own words; the analysed
text keeps its language (:mod:`unspin.render.interface`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dashboard import render_dashboard
    from .html import render_comparison_html, render_html, render_index
    from .terminal import render_comparison_terminal, render_terminal

__all__ = [
    "render_comparison_html",
    "render_comparison_terminal",
    "render_dashboard",
    "render_html",
    "render_index",
    "render_terminal",
]
_HOMES = {
    "render_comparison_html": ".html",
    "render_comparison_terminal": ".terminal",
    "render_dashboard": ".dashboard",
    "render_html": ".html",
    "render_index": ".html",
    "render_terminal": ".terminal",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_HOMES[name], __name__), name)
