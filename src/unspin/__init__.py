"""unspin: find persuasion techniques, framing and genre in news articles, offline."""

from __future__ import annotations

from .article import Article, Paragraph
from .errors import BundleError, InputError, NotFittedError, OffsetError, ScoringError, UnspinError

__version__ = "0.1.0"

__all__ = [
    "Article",
    "BundleError",
    "InputError",
    "NotFittedError",
    "OffsetError",
    "Paragraph",
    "ScoringError",
    "UnspinError",
    "__version__",
]
