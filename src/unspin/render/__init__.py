"""Renderers: each formats an :class:`~unspin.analysis.Analysis`, none re-derives results."""

from .html import render_html, render_index
from .terminal import render_terminal

__all__ = ["render_html", "render_index", "render_terminal"]
