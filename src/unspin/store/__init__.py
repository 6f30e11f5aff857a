"""The corpus store: analyses in SQLite or PostgreSQL, and the questions asked of them.

Each question is one function; the ``unspin corpus`` commands and the ``/v1/corpus`` API
call these same functions.

>>> from unspin.store import CorpusFilter, Store, rates  # doctest: +SKIP
>>> with Store("corpus.db") as store:  # doctest: +SKIP
...     store.add(analyses)
...     rates(store, CorpusFilter(sources=["Daily Beacon"]), period="month")
"""

from __future__ import annotations

from .articles import get_analysis, iter_analyses, list_articles, overview, search
from .compare import compare
from .filters import EVERYTHING, CorpusFilter
from .narratives import build_narratives, embed_missing, narratives
from .phrases import cooccurrence, top_phrases
from .queries import frame_shares, rates, trend
from .store import Store

__all__ = [
    "EVERYTHING",
    "CorpusFilter",
    "Store",
    "build_narratives",
    "compare",
    "cooccurrence",
    "embed_missing",
    "frame_shares",
    "get_analysis",
    "iter_analyses",
    "list_articles",
    "narratives",
    "overview",
    "rates",
    "search",
    "top_phrases",
    "trend",
]
