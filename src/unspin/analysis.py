"""The one result object every output is rendered from, and its versioned JSON form."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .article import Article, Paragraph
from .errors import OffsetError
from .taxonomy import CATEGORIES, TECHNIQUE_LABELS, category_of

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class Span:
    """A fragment of the article text that uses a technique; ``text == article.text[start:end]``."""

    start: int
    end: int
    technique: str
    confidence: float
    text: str

    @property
    def category(self) -> str:
        return category_of(self.technique).key


@dataclass(frozen=True, slots=True)
class TechniqueScore:
    technique: str
    confidence: float


@dataclass(frozen=True, slots=True)
class ParagraphAnalysis:
    number: int
    start: int
    end: int
    techniques: tuple[TechniqueScore, ...]
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str
    probability: float


@dataclass(frozen=True)
class Analysis:
    """Genre, frames, and techniques per paragraph with spans, for one article."""

    article: Article
    genre: str
    genre_probabilities: dict[str, float]
    frames: tuple[LabelScore, ...]
    frame_probabilities: dict[str, float]
    paragraphs: tuple[ParagraphAnalysis, ...]
    model: dict[str, str] = field(default_factory=dict)
    #: The article's embedding (unit length) for clustering narratives; left out of
    #: ``to_dict()`` unless asked for, since it is large and most outputs do not need it.
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        text = self.article.text
        for span in self.spans:
            if not (0 <= span.start < span.end <= len(text)) or text[span.start : span.end] != span.text:
                raise OffsetError(f"span {span.start}:{span.end} ({span.technique}) does not match the article text")

    @property
    def spans(self) -> list[Span]:
        return [s for p in self.paragraphs for s in p.spans]

    def summary(self) -> dict[str, Any]:
        """Counts per technique and category (paragraph level), and the share of paragraphs with any technique."""
        techniques = Counter(t.technique for p in self.paragraphs for t in p.techniques)
        categories = Counter(category_of(t).key for t in techniques.elements())
        flagged = sum(1 for p in self.paragraphs if p.techniques)
        return {
            "techniques": {t: techniques[t] for t in TECHNIQUE_LABELS if techniques[t]},
            "categories": {c: categories[c] for c in CATEGORIES if categories[c]},
            "spans": len(self.spans),
            "paragraphs": len(self.paragraphs),
            "paragraphs_with_techniques": flagged,
            "share_of_paragraphs_with_techniques": round(flagged / len(self.paragraphs), 4) if self.paragraphs else 0.0,
        }

    def to_dict(self, *, embedding: bool = False) -> dict[str, Any]:
        """The published JSON form (see docs/analysis.schema.json); ``embedding=True`` adds the embedding."""
        a = self.article
        document = {
            "schema_version": SCHEMA_VERSION,
            "article": {
                "id": a.id, "title": a.title, "date": a.date.isoformat() if a.date else None, "source": a.source,
                "url": a.url, "language": a.language, "content_hash": a.content_hash, "text": a.text,
                **({"meta": dict(a.meta)} if a.meta else {}),
            },
            "model": dict(self.model),
            "genre": {"label": self.genre, "probabilities": _rounded(self.genre_probabilities)},
            "frames": {"labels": [{"label": f.label, "probability": round(f.probability, 4)} for f in self.frames],
                       "probabilities": _rounded(self.frame_probabilities)},
            "paragraphs": [
                {
                    "number": p.number, "start": p.start, "end": p.end,
                    "techniques": [{"technique": t.technique, "confidence": round(t.confidence, 4)} for t in p.techniques],
                    "spans": [{"start": s.start, "end": s.end, "technique": s.technique, "category": s.category,
                               "confidence": round(s.confidence, 4), "text": s.text} for s in p.spans],
                }
                for p in self.paragraphs
            ],
            "summary": self.summary(),
        }
        if embedding and self.embedding is not None:
            document["embedding"] = [round(float(x), 5) for x in self.embedding]
        return document

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        """Rebuild an Analysis from :meth:`to_dict` output (offsets are checked again)."""
        a = data["article"]
        text = a["text"]
        paragraphs = tuple(
            ParagraphAnalysis(
                p["number"], p["start"], p["end"],
                tuple(TechniqueScore(t["technique"], t["confidence"]) for t in p["techniques"]),
                tuple(Span(s["start"], s["end"], s["technique"], s["confidence"], s["text"]) for s in p["spans"]),
            )
            for p in data["paragraphs"]
        )
        article = Article(
            text, tuple(Paragraph(p.number, p.start, p.end, text[p.start : p.end]) for p in paragraphs),
            a.get("id"), a.get("title"), dt.date.fromisoformat(a["date"]) if a.get("date") else None,
            a.get("source"), a.get("language"), a.get("url"), dict(a.get("meta") or {}),
        )
        return cls(
            article, data["genre"]["label"], dict(data["genre"]["probabilities"]),
            tuple(LabelScore(f["label"], f["probability"]) for f in data["frames"]["labels"]),
            dict(data["frames"]["probabilities"]), paragraphs, dict(data.get("model") or {}),
            np.asarray(data["embedding"], np.float32) if data.get("embedding") else None,
        )


def _rounded(probabilities: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in probabilities.items()}
