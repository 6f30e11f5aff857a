"""Training data: SemEval-2023 Task 3 articles, paragraph labels, spans, frames and genres."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..article import Article
from ..errors import InputError
from ..formats import semeval
from ..language import SEMEVAL_LANGUAGES
from ..split import is_calibration, is_validation

T = TypeVar("T")

TRAIN_LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")


@dataclass
class ParagraphExample:
    article_id: str
    language: str  # SemEval directory code
    number: int
    text: str
    labels: tuple[str, ...]
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # offsets relative to the paragraph

    @property
    def validation(self) -> bool:
        return is_validation(self.article_id)

    @property
    def calibration(self) -> bool:
        return is_calibration(self.article_id)


@dataclass
class ArticleExample:
    article: Article
    language: str
    frames: tuple[str, ...] | None = None
    genre: str | None = None

    @property
    def validation(self) -> bool:
        return is_validation(self.article.id or "")

    @property
    def calibration(self) -> bool:
        return is_calibration(self.article.id or "")


def language_dir(data_dir: Path, language: str) -> Path:
    path = Path(data_dir) / language
    if not path.is_dir():
        raise InputError(f"{data_dir}: no folder {language}/; expected the SemEval-2023 layout (en/, fr/, ...)")
    return path


def load_paragraphs(data_dir: Path, languages: tuple[str, ...] = TRAIN_LANGUAGES) -> list[ParagraphExample]:
    """Every labelled paragraph of subtask 3, with its gold spans clipped to the paragraph."""
    examples = []
    for language in languages:
        root = language_dir(data_dir, language)
        articles = {
            semeval.article_id(a): a
            for a in semeval.read_articles(root / "train-articles-subtask-3", SEMEVAL_LANGUAGES[language])
        }
        labels = semeval.read_technique_labels(root / "train-labels-subtask-3.txt")
        spans = semeval.read_span_dir(root / "train-labels-subtask-3-spans", {i: a.text for i, a in articles.items()})
        spans_by_article: dict[str, list] = {}
        for span in spans:
            spans_by_article.setdefault(span.article_id, []).append(span)
        for article_id, article in articles.items():
            for paragraph in article.paragraphs:
                example = ParagraphExample(
                    article_id,
                    language,
                    paragraph.number,
                    paragraph.text,
                    labels.get((article_id, paragraph.number), ()),
                )
                for span in spans_by_article.get(article_id, []):
                    start, end = max(span.start, paragraph.start), min(span.end, paragraph.end)
                    if start < end:
                        example.spans.append((start - paragraph.start, end - paragraph.start, span.technique))
                examples.append(example)
    return examples


def load_articles(data_dir: Path, languages: tuple[str, ...] = TRAIN_LANGUAGES) -> list[ArticleExample]:
    """Articles with frames (subtask 2) and/or genre (subtask 1) labels."""
    examples: dict[str, ArticleExample] = {}
    for language in languages:
        root = language_dir(data_dir, language)
        frames = semeval.read_frame_labels(root / "train-labels-subtask-2.txt")
        genres = semeval.read_genre_labels(root / "train-labels-subtask-1.txt")
        for subtask, table, attribute in ((2, frames, "frames"), (1, genres, "genre")):
            for article in semeval.read_articles(
                root / f"train-articles-subtask-{subtask}", SEMEVAL_LANGUAGES[language]
            ):
                found = semeval.article_id(article)
                if found not in table:
                    continue
                example = examples.setdefault(found, ArticleExample(article, language))
                setattr(example, attribute, table[found])
    return list(examples.values())


def join_paragraphs(
    paragraphs: Sequence[ParagraphExample], rng: np.random.Generator, sizes: tuple[int, int] = (3, 6)
) -> list[ParagraphExample]:
    """Join each article's consecutive lines into paragraphs of ``sizes`` lines, labels and spans carried over.

    English SemEval lines are single sentences, while real English news comes in
    paragraphs of several; the joined view trains and measures the model on those.
    The input must list each article's paragraphs in order.
    """
    by_article: dict[str, list[ParagraphExample]] = {}
    for p in paragraphs:
        by_article.setdefault(p.article_id, []).append(p)
    return [_join(run) for lines in by_article.values() for run in consecutive_runs(lines, rng, sizes)]


def consecutive_runs(items: Sequence[T], rng: np.random.Generator, sizes: tuple[int, int]) -> list[Sequence[T]]:
    """Cut ``items`` into consecutive runs of a random length in ``sizes`` (inclusive); the last may be shorter."""
    runs, position = [], 0
    while position < len(items):
        size = int(rng.integers(sizes[0], sizes[1] + 1))
        runs.append(items[position : position + size])
        position += size
    return runs


def _join(parts: Sequence[ParagraphExample]) -> ParagraphExample:
    text, labels, spans = "", dict[str, None](), []
    for part in parts:
        offset = len(text) + (1 if text else 0)
        text = f"{text} {part.text.rstrip()}" if text else part.text.rstrip()
        labels.update(dict.fromkeys(part.labels))
        spans += [
            (offset + s, offset + min(e, len(part.text.rstrip())), t)
            for s, e, t in part.spans
            if s < len(part.text.rstrip())
        ]
    first = parts[0]
    return ParagraphExample(first.article_id, first.language, first.number, text, tuple(labels), spans)
