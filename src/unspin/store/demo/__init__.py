"""The demo corpus: a year of invented news from eight invented outlets, already analysed.

``unspin corpus demo`` loads it so that a new user sees a full dashboard at once. It is
written by ``scripts/make_demo_corpus.py`` (templates filled with seeded randomness, then
the shipped model), one ``Analysis.to_dict(embedding=True)`` per line.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from ...analysis import Analysis

__all__ = ["DEMO_CORPUS", "demo_analyses"]

DEMO_CORPUS = Path(__file__).with_name("demo-corpus.jsonl.gz")


def demo_analyses() -> Iterator[Analysis]:
    """Stream the demo analyses, in date order, embeddings included."""
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield Analysis.from_dict(json.loads(line))
