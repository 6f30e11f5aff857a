"""The corpus store: analyses in SQLite or PostgreSQL, and the questions asked of them.

>>> from unspin.store import Store  # doctest: +SKIP
>>> with Store("corpus.db") as store:  # doctest: +SKIP
...     store.add(analyses)
...     rates(store, CorpusFilter(sources=["Daily Beacon"]), by="source")
"""

from __future__ import annotations

from .filters import CorpusFilter
from .store import Store

__all__ = ["CorpusFilter", "Store"]
