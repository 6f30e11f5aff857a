"""Reviewed articles as JSON Lines (the Analysis schema plus a ``review`` layer, :mod:`unspin.review.jsonl`).

The lossless format: every field of the review travels, and ``unspin train --extra`` reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from ...errors import InputError
from ..jsonl import read_reviewed, reviewed_record
from ._common import Lookup, Reviewed

__all__ = ["jsonl_lines", "read_jsonl"]


def jsonl_lines(items: Iterable[Reviewed]) -> Iterator[str]:
    """One JSON line (with its newline) per reviewed article, as :func:`~unspin.review.jsonl.reviewed_record` makes it."""
    for article, analysis, review in items:
        if review.content_hash != article.content_hash:
            raise InputError(f"article {article.id or article.content_hash[:12]}: the review is of another text")
        record = reviewed_record(review, analysis, article)
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def read_jsonl(path: str | Path, reviewer: str | None = None, lookup: Lookup | None = None) -> list[Reviewed]:
    """Every line of a reviewed JSONL file (all read before any is returned: one bad line, none).

    ``reviewer`` replaces the reviewer of every line; ``lookup`` gives the stored article and
    analysis of a content hash in place of the line's own (the line's analysis is kept where
    the store has none).
    """
    try:
        lines = list(read_reviewed(Path(path)))
    except RecursionError as exc:
        raise InputError(f"{path}: a line nests JSON too deeply to read") from exc
    reviewed: list[Reviewed] = []
    seen: set[tuple[str, str]] = set()
    for number, line in enumerate(lines, start=1):
        review = line.review if reviewer is None else line.review.model_copy(update={"reviewer": reviewer})
        key = (review.content_hash, review.reviewer)
        if key in seen:
            raise InputError(f"{path}: review {number}: a second review of the same text by {review.reviewer}")
        seen.add(key)
        found = lookup(review.content_hash) if lookup else None
        article, analysis = found if found is not None else (line.article, line.analysis)
        reviewed.append((article, analysis if analysis is not None else line.analysis, review))
    return reviewed
