"""unspin: find persuasion techniques, framing and genre in news articles, offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .analysis import Analysis, LabelScore, ParagraphAnalysis, Span, TechniqueScore
from .article import Article, Paragraph
from .errors import BundleError, InputError, OffsetError, ScoringError, UnspinError

if TYPE_CHECKING:
    from .analyzer import Analyzer
    from .render import render_html, render_terminal

__all__ = [
    "Analysis",
    "Analyzer",
    "Article",
    "BundleError",
    "InputError",
    "LabelScore",
    "OffsetError",
    "Paragraph",
    "ParagraphAnalysis",
    "ScoringError",
    "Span",
    "TechniqueScore",
    "UnspinError",
    "__version__",
    "load",
    "render_html",
    "render_terminal",
]


def load(path: str | Path | None = None, **overrides: Any) -> Analyzer:
    """Load a model bundle (default: the shipped one) and return an :class:`Analyzer`."""
    from .analyzer import Analyzer

    return Analyzer.from_bundle(path, **overrides)


def __getattr__(name: str) -> Any:
    # The Analyzer pulls in torch, the renderers jinja2 and rich: import them only when asked for.
    if name == "Analyzer":
        from .analyzer import Analyzer

        return Analyzer
    if name in ("render_html", "render_terminal"):
        from . import render

        return getattr(render, name)
    raise AttributeError(f"module 'unspin' has no attribute {name!r}")
