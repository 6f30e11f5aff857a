"""Reviewed articles as JSON Lines: the Analysis schema with a ``review`` layer.

One line per (article, reviewer): the model's analysis as ``Analysis.to_dict()`` writes it
(or only its ``article`` object, where no analysis is at hand) plus ``"review"``, the
reviewer's :class:`~unspin.review.model.Review`. This is what ``unspin train --extra`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..analysis import Analysis
from ..article import Article
from ..errors import InputError
from .model import Review

__all__ = ["ReviewedArticle", "read_reviewed", "reviewed_record"]


class ReviewedArticle:
    """An article with one reviewer's layer (and the model's analysis, where the line had one)."""

    __slots__ = ("analysis", "article", "review")

    def __init__(self, article: Article, review: Review, analysis: Analysis | None = None) -> None:
        self.article, self.review, self.analysis = article, review, analysis


def reviewed_record(review: Review, analysis: Analysis | None = None, article: Article | None = None) -> dict[str, Any]:
    """The JSON object of one line: the analysis (or the bare article) plus the review layer."""
    if analysis is not None:
        record = analysis.to_dict()
    elif article is not None:
        record = {"article": {"id": article.id, "language": article.language, "text": article.text}}
    else:
        raise ValueError("a reviewed record needs the analysis or the article")
    return {**record, "review": review.model_dump(mode="json")}


def read_reviewed(path: Path) -> Iterator[ReviewedArticle]:
    """Each line of a reviewed JSONL file; a malformed line is an InputError naming the file and line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    with handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield _reviewed(line, f"{path}:{number}")


def _reviewed(line: str, at: str) -> ReviewedArticle:
    try:
        record = json.loads(line)
        review = Review.model_validate(record["review"])
        if "paragraphs" in record:
            analysis = Analysis.from_dict(record)
            article = analysis.article
        else:
            analysis, info = None, record["article"]
            article = Article.from_text(info["text"], id=info.get("id"), language=info.get("language"))
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise InputError(f"{at}: not a reviewed article ({str(exc).splitlines()[0]})") from exc
    if article.content_hash != review.content_hash:
        raise InputError(f"{at}: the review's content_hash does not match the article's text")
    longest = max((s.end for s in review.spans), default=0)
    if longest > len(article.text):
        raise InputError(f"{at}: a reviewed span runs past the end of the text")
    return ReviewedArticle(article, review, analysis)
