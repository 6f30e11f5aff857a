"""Gold articles and the views a model is scored on, the way users meet it.

- **lines**: the SemEval paragraphs as they are (English train lines are single sentences);
- **joined**: each article's consecutive lines joined into paragraphs of 3-6 sentences,
  labels and spans carried over, since real news comes in paragraphs.

Each view is scored three ways: paragraph micro-F1 (the official metric), article-level
micro-F1 (the union of an article's labels) and technique-aware span precision, recall
and F1 with partial-overlap credit (:func:`unspin.evaluate.score_spans`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis import Analysis
from ..article import Article, Paragraph
from ..evaluate import score_spans, score_techniques
from ..formats import semeval
from ..formats.semeval import LabelledSpan
from ..language import SEMEVAL_LANGUAGES
from .data import consecutive_runs, language_dir

JOIN_SEED = 2023


@dataclass(frozen=True)
class GoldArticle:
    article: Article
    language: str  # SemEval directory code
    labels: dict[int, tuple[str, ...]]  # paragraph number -> techniques
    spans: tuple[LabelledSpan, ...]  # article offsets


def load_gold_articles(data_dir: Path, language: str, keep: Callable[[str], bool]) -> list[GoldArticle]:
    """The subtask-3 articles of ``language`` whose id ``keep`` accepts, with their gold techniques and spans."""
    root = language_dir(data_dir, language)
    every = semeval.read_articles(root / "train-articles-subtask-3", SEMEVAL_LANGUAGES[language])
    articles = [a for a in every if keep(semeval.article_id(a))]
    labels = semeval.read_technique_labels(root / "train-labels-subtask-3.txt")
    kept = {semeval.article_id(a) for a in articles}
    spans: dict[str, list[LabelledSpan]] = {}
    texts = {semeval.article_id(a): a.text for a in every}
    for span in semeval.read_span_dir(root / "train-labels-subtask-3-spans", texts):
        if span.article_id in kept:
            spans.setdefault(span.article_id, []).append(span)
    return [
        GoldArticle(
            a,
            language,
            {p.number: tuple(labels.get((semeval.article_id(a), p.number), ())) for p in a.paragraphs},
            tuple(spans.get(semeval.article_id(a), ())),
        )
        for a in articles
    ]


def joined_view(
    gold: Sequence[GoldArticle], seed: int = JOIN_SEED, sizes: tuple[int, int] = (3, 6)
) -> list[GoldArticle]:
    """Every article rebuilt with its consecutive paragraphs joined into groups of ``sizes`` (fixed seed)."""
    rng = np.random.default_rng(seed)
    return [_joined(g, rng, sizes) for g in gold]


def _joined(gold: GoldArticle, rng: np.random.Generator, sizes: tuple[int, int]) -> GoldArticle:
    old = gold.article.paragraphs
    groups = consecutive_runs(old, rng, sizes)
    text, paragraphs, labels, moved = "", [], {}, []  # moved: (old start, old end, shift)
    for number, group in enumerate(groups, start=1):
        start = len(text) + (2 if text else 0)
        text += "\n\n" if text else ""
        for i, p in enumerate(group):
            stripped = p.text.strip()
            lead = len(p.text) - len(p.text.lstrip())
            text += (" " if i else "") + stripped
            moved.append((p.start + lead, p.start + lead + len(stripped), len(text) - len(stripped) - p.start - lead))
        paragraphs.append(Paragraph(number, start, len(text), text[start:]))
        labels[number] = tuple(dict.fromkeys(t for p in group for t in gold.labels.get(p.number, ())))
    spans = []
    for span in gold.spans:
        for old_start, old_end, shift in moved:
            start, end = max(span.start, old_start), min(span.end, old_end)
            if start < end:
                spans.append(LabelledSpan(span.article_id, span.technique, start + shift, end + shift))
    a = gold.article
    article = Article(text, tuple(paragraphs), a.id, a.title, a.date, a.source, a.language, a.url, dict(a.meta))
    return GoldArticle(article, gold.language, labels, tuple(spans))


@dataclass(frozen=True)
class ViewScores:
    paragraphs: int
    paragraph_precision: float
    paragraph_recall: float
    paragraph_micro_f1: float
    paragraph_macro_f1: float
    article_micro_f1: float
    span_precision: float
    span_recall: float
    span_f1: float

    def as_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def score_view(gold: Sequence[GoldArticle], analyses: Sequence[Analysis]) -> ViewScores:
    """Paragraph, article and technique-aware span scores of ``analyses`` (one per gold article, same order)."""
    gold_cells = {(_key(g.article), n): labels for g in gold for n, labels in g.labels.items()}
    pred_cells = {
        (_key(x.article), p.number): [t.technique for t in p.techniques] for x in analyses for p in x.paragraphs
    }
    paragraph = score_techniques(gold_cells, pred_cells)
    article = score_techniques(
        {(_key(g.article), 0): {t for labels in g.labels.values() for t in labels} for g in gold},
        {(_key(x.article), 0): {t.technique for p in x.paragraphs for t in p.techniques} for x in analyses},
    )
    predicted = [LabelledSpan(_key(x.article), s.technique, s.start, s.end) for x in analyses for s in x.spans]
    spans = score_spans([s for g in gold for s in g.spans], predicted, technique_aware=True)
    return ViewScores(
        len(gold_cells),
        paragraph.micro_precision,
        paragraph.micro_recall,
        paragraph.micro_f1,
        paragraph.macro_f1,
        article.micro_f1,
        spans.precision,
        spans.recall,
        spans.f1,
    )


def _key(article: Article) -> str:
    """An article's id in the scores (gold spans name their article by it)."""
    return article.id or ""
