"""The one result object every output is rendered from, and its versioned JSON form."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .article import Article, Paragraph
from .errors import OffsetError
from .i18n import N_, gettext
from .taxonomy import CATEGORIES, TECHNIQUE_LABELS, category_of

SCHEMA_VERSION = "1.1"
#: The model's accuracy on validation in one sentence: English in the Analysis (``model.quality``),
#: shown in the interface language by :func:`quality_note`.
QUALITY_NOTE = N_(
    "On validation articles, %(span_precision)s of highlighted text was right and highlights found "
    "%(span_recall)s of the annotated text; %(paragraph_precision)s of paragraph labels were right and "
    "they found %(paragraph_recall)s of annotated ones."
)


def quality_note(english: str | None) -> str | None:
    """``model.quality`` in the interface language (as it is, where it is not the sentence unspin writes)."""
    found = _QUALITY_PATTERN.fullmatch(english or "")
    return gettext(QUALITY_NOTE) % found.groupdict() if found else english


def _placeholder_pattern(template: str) -> re.Pattern[str]:
    """A pattern that reads the percentages back out of ``template % values``."""
    pieces = re.split(r"%\((\w+)\)s", template)  # text, name, text, name, ..., text
    return re.compile("".join(re.escape(p) if i % 2 == 0 else rf"(?P<{p}>\d+%)" for i, p in enumerate(pieces)))


_QUALITY_PATTERN = _placeholder_pattern(QUALITY_NOTE)


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
    #: The sentence that carries the technique most strongly (article offsets), so that a
    #: paragraph label without a span can still be located in the text.
    evidence: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ParagraphAnalysis:
    """A paragraph's techniques and spans as shown, and the candidates below the threshold (down to a floor)."""

    number: int
    start: int
    end: int
    techniques: tuple[TechniqueScore, ...]
    spans: tuple[Span, ...]
    candidate_techniques: tuple[TechniqueScore, ...] = ()
    candidate_spans: tuple[Span, ...] = ()

    def with_thresholds(self, technique: float, span: float) -> ParagraphAnalysis:
        """Show every span at or above ``span`` and every technique at or above ``technique``."""
        every_span = sorted((*self.spans, *self.candidate_spans), key=lambda s: (s.start, s.end, s.technique))
        shown_spans = tuple(s for s in every_span if s.confidence >= span)
        every_technique = sorted((*self.techniques, *self.candidate_techniques), key=lambda t: -t.confidence)
        shown = tuple(t for t in every_technique if t.confidence >= technique)
        return ParagraphAnalysis(
            self.number,
            self.start,
            self.end,
            shown,
            shown_spans,
            tuple(t for t in every_technique if t not in shown),
            tuple(s for s in every_span if s not in shown_spans),
        )


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
    #: The confidence thresholds the shown techniques and spans passed (``{"technique": t, "span": s}``).
    thresholds: dict[str, float] = field(default_factory=dict)
    #: True when the genre's confidence is below the model's bar (or the text is too short to tell).
    genre_uncertain: bool = False

    def __post_init__(self) -> None:
        text = self.article.text
        for span in (*self.spans, *(s for p in self.paragraphs for s in p.candidate_spans)):
            if not (0 <= span.start < span.end <= len(text)) or text[span.start : span.end] != span.text:
                raise OffsetError(f"span {span.start}:{span.end} ({span.technique}) does not match the article text")

    @property
    def spans(self) -> list[Span]:
        return [s for p in self.paragraphs for s in p.spans]

    def with_threshold(self, threshold: float) -> Analysis:
        """The same analysis showing every technique and span with confidence at or above ``threshold``."""
        return self.with_thresholds(threshold, threshold)

    def with_thresholds(self, technique: float, span: float) -> Analysis:
        """The same analysis with separate thresholds for paragraph techniques and spans."""
        return replace(
            self,
            paragraphs=tuple(p.with_thresholds(technique, span) for p in self.paragraphs),
            thresholds={"technique": technique, "span": span},
        )

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
        document: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "article": {
                "id": a.id,
                "title": a.title,
                "date": a.date.isoformat() if a.date else None,
                "source": a.source,
                "url": a.url,
                "language": a.language,
                "content_hash": a.content_hash,
                "text": a.text,
                **({"meta": dict(a.meta)} if a.meta else {}),
            },
            "model": dict(self.model),
            "genre": {
                "label": self.genre,
                "probabilities": _rounded(self.genre_probabilities),
                "uncertain": self.genre_uncertain,
            },
            "frames": {
                "labels": [{"label": f.label, "probability": round(f.probability, 4)} for f in self.frames],
                "probabilities": _rounded(self.frame_probabilities),
            },
            "paragraphs": [
                {
                    "number": p.number,
                    "start": p.start,
                    "end": p.end,
                    "techniques": [_technique_dict(t) for t in p.techniques],
                    "spans": [_span_dict(s) for s in p.spans],
                    "candidates": {
                        "techniques": [_technique_dict(t) for t in p.candidate_techniques],
                        "spans": [_span_dict(s) for s in p.candidate_spans],
                    },
                }
                for p in self.paragraphs
            ],
            "thresholds": {k: round(float(v), 4) for k, v in self.thresholds.items()},
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
                p["number"],
                p["start"],
                p["end"],
                tuple(map(_technique_from_dict, p["techniques"])),
                tuple(map(_span_from_dict, p["spans"])),
                tuple(map(_technique_from_dict, p.get("candidates", {}).get("techniques", ()))),
                tuple(map(_span_from_dict, p.get("candidates", {}).get("spans", ()))),
            )
            for p in data["paragraphs"]
        )
        article = Article(
            text,
            tuple(Paragraph(p.number, p.start, p.end, text[p.start : p.end]) for p in paragraphs),
            a.get("id"),
            a.get("title"),
            dt.date.fromisoformat(a["date"]) if a.get("date") else None,
            a.get("source"),
            a.get("language"),
            a.get("url"),
            dict(a.get("meta") or {}),
        )
        return cls(
            article,
            data["genre"]["label"],
            dict(data["genre"]["probabilities"]),
            tuple(LabelScore(f["label"], f["probability"]) for f in data["frames"]["labels"]),
            dict(data["frames"]["probabilities"]),
            paragraphs,
            dict(data.get("model") or {}),
            np.asarray(data["embedding"], np.float32) if data.get("embedding") else None,
            dict(data.get("thresholds") or {}),
            bool(data["genre"].get("uncertain", False)),
        )


def _technique_dict(t: TechniqueScore) -> dict[str, Any]:
    evidence = {"evidence": {"start": t.evidence[0], "end": t.evidence[1]}} if t.evidence else {}
    return {"technique": t.technique, "confidence": round(t.confidence, 4), **evidence}


def _span_dict(s: Span) -> dict[str, Any]:
    return {
        "start": s.start,
        "end": s.end,
        "technique": s.technique,
        "category": s.category,
        "confidence": round(s.confidence, 4),
        "text": s.text,
    }


def _technique_from_dict(t: dict[str, Any]) -> TechniqueScore:
    evidence = t.get("evidence")
    return TechniqueScore(t["technique"], t["confidence"], (evidence["start"], evidence["end"]) if evidence else None)


def _span_from_dict(s: dict[str, Any]) -> Span:
    return Span(s["start"], s["end"], s["technique"], s["confidence"], s["text"])


def _rounded(probabilities: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in probabilities.items()}
