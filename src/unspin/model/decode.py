"""From network scores to what a reader sees: calibrated techniques per paragraph and whole-phrase spans.

A paragraph's technique score is the larger of the paragraph head's score and the
best score of its sentences (the same head over each sentence's tokens, read in the
context of the whole paragraph), so one loaded sentence is not averaged away in a long
paragraph. Spans are runs of tokens above a segmentation threshold, snapped to whole
words, merged when pieces of one technique are adjacent, scored by the mean token
probability over the phrase, and calibrated. Every candidate down to a floor is kept
with its calibrated confidence; which ones are shown is the caller's threshold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stopwords import STOP_WORDS
from ..taxonomy import TECHNIQUE_LABELS
from .inference import ParagraphPrediction, sigmoid

FLOOR = 0.05
_SENTENCE_END = re.compile(r"""[.!?…]+["'»”’)\]]*\s+(?=["'«„“‘(\[]?[\w])""")
_OPENING_QUOTES, _CLOSING_QUOTES = "\"'«„“‘‹", "\"'»“”’›"
_JOINERS = "-‐‑'’ʼ"  # inside a word: so-called, don't, enemies'


@dataclass(frozen=True)
class Curve:
    """A monotone piecewise-linear map from a raw score to a calibrated probability."""

    x: np.ndarray
    y: np.ndarray

    def __call__(self, values: np.ndarray | float) -> np.ndarray:
        return np.interp(values, self.x, self.y)

    @classmethod
    def identity(cls) -> Curve:
        return cls(np.array([0.0, 1.0]), np.array([0.0, 1.0]))

    @classmethod
    def from_meta(cls, data: dict[str, list[float]] | None) -> Curve:
        return cls(np.asarray(data["x"], np.float64), np.asarray(data["y"], np.float64)) if data else cls.identity()

    def to_meta(self) -> dict[str, list[float]]:
        return {"x": [round(float(v), 5) for v in self.x], "y": [round(float(v), 5) for v in self.y]}


@dataclass(frozen=True)
class DecodeSettings:
    """How a bundle turns scores into labels; bundles without a ``decoding`` entry decode as unspin 0.1 did."""

    segment: float  # raw token probability that opens a span candidate
    sentence_scores: bool = True
    span_first: bool = True  # a confident span labels its paragraph even when the paragraph head is unsure
    technique_curve: Curve = field(default_factory=Curve.identity)
    span_curve: Curve = field(default_factory=Curve.identity)
    floor: float = FLOOR
    # Per-technique curves (by label index) where a technique had enough examples to fit its own;
    # one global threshold on such confidences acts as a threshold per technique.
    technique_curves: dict[int, Curve] = field(default_factory=dict)
    span_curves: dict[int, Curve] = field(default_factory=dict)

    def technique_confidence(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated confidences of a paragraph's 23 raw technique scores."""
        confidence = self.technique_curve(raw)
        for label, curve in self.technique_curves.items():
            confidence[label] = curve(raw[label])
        return confidence

    def span_confidence(self, label: int, raw: float) -> float:
        return float(self.span_curves.get(label, self.span_curve)(raw))

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> DecodeSettings:
        decoding = meta.get("decoding")
        if decoding is None:
            return cls(segment=meta["thresholds"]["span"], sentence_scores=False, span_first=False)
        return cls(
            segment=decoding["segment"],
            sentence_scores=decoding["sentence_scores"],
            span_first=decoding["span_first"],
            technique_curve=Curve.from_meta(decoding.get("technique_curve")),
            span_curve=Curve.from_meta(decoding.get("span_curve")),
            floor=decoding.get("floor", FLOOR),
            technique_curves=_label_curves(decoding.get("technique_curves")),
            span_curves=_label_curves(decoding.get("span_curves")),
        )


def _label_curves(data: dict[str, dict[str, list[float]]] | None) -> dict[int, Curve]:
    """Curves stored by technique label, keyed by the label's index."""
    return {TECHNIQUE_LABELS.index(label): Curve.from_meta(curve) for label, curve in (data or {}).items()}


@dataclass(frozen=True, slots=True)
class SpanCandidate:
    start: int  # characters of the paragraph
    end: int
    label: int
    raw: float
    confidence: float


@dataclass(frozen=True, slots=True)
class TechniqueCandidate:
    label: int
    raw: float
    confidence: float  # calibrated paragraph score, raised to its best span's confidence
    evidence: tuple[int, int]  # the strongest sentence, in characters of the paragraph


@dataclass(frozen=True)
class ParagraphHead:
    """The paragraph head's weights in numpy, to score sentences from pooled token states."""

    weight: np.ndarray  # (labels, 2 * hidden)
    bias: np.ndarray

    def probabilities(self, states: np.ndarray) -> np.ndarray:
        pooled = np.concatenate([states.mean(0), states.max(0)])
        return sigmoid(self.weight @ pooled + self.bias)


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Character ranges of the sentences of ``text``, whitespace trimmed.

    Examples
    --------
    >>> t = "They lie. We know it! So-called experts agree"
    >>> [t[a:b] for a, b in sentence_bounds(t)]
    ['They lie.', 'We know it!', 'So-called experts agree']
    """
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        bounds.append((start, match.end()))
        start = match.end()
    bounds.append((start, len(text)))
    trimmed = [
        (a + len(text[a:b]) - len(text[a:b].lstrip()), b - (len(text[a:b]) - len(text[a:b].rstrip())))
        for a, b in bounds
    ]
    return [(a, b) for a, b in trimmed if b > a] or [(0, len(text))]


def sentence_probabilities(
    prediction: ParagraphPrediction, bounds: Sequence[tuple[int, int]], head: ParagraphHead
) -> np.ndarray:
    """``(sentences, labels)``: the paragraph head over each sentence's tokens; one sentence reuses the paragraph's."""
    if len(bounds) == 1:
        return prediction.paragraph_probs[None, :]
    tokens = prediction.tokens
    rows = []
    for start, end in bounds:
        inside = (tokens.starts < end) & (tokens.ends > start)
        states = prediction.token_states[inside].astype(np.float32)
        rows.append(head.probabilities(states) if len(states) else np.zeros_like(prediction.paragraph_probs))
    return np.stack(rows)


def decode_paragraph(
    text: str, prediction: ParagraphPrediction, head: ParagraphHead | None, settings: DecodeSettings
) -> tuple[list[TechniqueCandidate], list[SpanCandidate]]:
    """Every technique and span candidate of one paragraph with calibrated confidence at or above the floor."""
    bounds = sentence_bounds(text)
    if settings.sentence_scores and head is not None:
        sentence_probs = sentence_probabilities(prediction, bounds, head)
        raw = np.maximum(prediction.paragraph_probs, sentence_probs.max(0))
    else:
        sentence_probs, raw = None, prediction.paragraph_probs
    paragraph_confidence = settings.technique_confidence(raw)
    spans = [s for s in span_candidates(text, prediction, settings) if s.confidence >= settings.floor]
    best_span = np.zeros_like(paragraph_confidence)
    for span in spans:
        best_span[span.label] = max(best_span[span.label], span.confidence)
    confidence = np.maximum(paragraph_confidence, best_span) if settings.span_first else paragraph_confidence
    evidence = sentence_probs if sentence_probs is not None else _token_peaks(prediction, bounds)
    techniques = []
    for label in np.flatnonzero(confidence >= settings.floor):
        sentence = bounds[int(evidence[:, label].argmax())]
        techniques.append(TechniqueCandidate(int(label), float(raw[label]), float(confidence[label]), sentence))
    return sorted(techniques, key=lambda t: -t.confidence), spans


def _token_peaks(prediction: ParagraphPrediction, bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(sentences, labels)``: each sentence's highest token probability, to point at evidence cheaply."""
    tokens = prediction.tokens
    rows = []
    for start, end in bounds:
        inside = (tokens.starts < end) & (tokens.ends > start)
        rows.append(
            prediction.token_probs[inside].max(0) if inside.any() else np.zeros(prediction.token_probs.shape[1])
        )
    return np.stack(rows)


def span_candidates(text: str, prediction: ParagraphPrediction, settings: DecodeSettings) -> list[SpanCandidate]:
    """Runs of tokens above ``settings.segment`` per technique, as whole phrases with calibrated confidence."""
    probs, tokens = prediction.token_probs, prediction.tokens
    above = probs >= settings.segment
    spans = []
    for label in np.flatnonzero(above.any(axis=0)):
        column = np.concatenate([[False], above[:, label], [False]])
        edges = np.flatnonzero(column[1:] != column[:-1])
        pieces = [
            snap_to_words(text, int(tokens.starts[a]), int(tokens.ends[b - 1]))
            for a, b in zip(edges[::2], edges[1::2], strict=False)
        ]
        for start, end in merge_adjacent(text, pieces):
            if not is_phrase(text[start:end]):
                continue
            inside = (tokens.starts < end) & (tokens.ends > start)
            raw = float(probs[inside, label].mean())
            spans.append(SpanCandidate(start, end, int(label), raw, settings.span_confidence(int(label), raw)))
    return sorted(spans, key=lambda s: (s.start, s.end, s.label))


def _is_word_char(text: str, i: int) -> bool:
    """A letter or digit, or a hyphen or apostrophe that joins (or, for "enemies'", ends) a word."""
    c = text[i]
    if c.isalnum():
        return True
    if c not in _JOINERS:
        return False
    before = i > 0 and text[i - 1].isalnum()
    after = i + 1 < len(text) and text[i + 1].isalnum()
    return (before and after) or (before and c in "'’" and text[i - 1] in "sSzZ" and not after)


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to whole words, and to its quotation marks when it fills a quotation.

    Examples
    --------
    >>> t = 'the so-called "Frank fakes" of enemies\\' media'
    >>> a = t.index("called"); t[slice(*snap_to_words(t, a, a + 3))]
    'so-called'
    >>> a = t.index("Frank"); t[slice(*snap_to_words(t, a, a + 11))]
    '"Frank fakes"'
    >>> a = t.index("enem"); t[slice(*snap_to_words(t, a, a + 4))]
    "enemies'"
    """
    while start < end and not _is_word_char(text, start) and text[start] not in _OPENING_QUOTES:
        start += 1
    while end > start and not _is_word_char(text, end - 1) and text[end - 1] not in _CLOSING_QUOTES:
        end -= 1
    while start > 0 and _is_word_char(text, start - 1) and _is_word_char(text, start):
        start -= 1
    while end < len(text) and _is_word_char(text, end) and _is_word_char(text, end - 1):
        end += 1
    if start > 0 and end < len(text) and text[start - 1] in _OPENING_QUOTES and text[end] in _CLOSING_QUOTES:
        start, end = start - 1, end + 1
    return start, end


def merge_adjacent(text: str, pieces: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join pieces of one technique separated only by spaces, commas or dashes, or by one short word alone."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pieces):
        if end <= start:
            continue
        if merged and _is_glue(text[merged[-1][1] : start]):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _is_glue(gap: str) -> bool:
    """Spaces and commas or dashes alone ("reckless, suicidal"), or one short word alone ("plans of war")."""
    if len(gap) > 6 or any(c in ".!?;\n" for c in gap):
        return False
    words = re.findall(r"\w+", gap)
    return not words or (len(words) == 1 and len(words[0]) <= 3 and not gap.replace(words[0], "").strip())


def is_phrase(text: str) -> bool:
    """At least one word of two letters or more that is not a lone function word ("of", "who", "s")."""
    words = re.findall(r"\w+", text.lower())
    return any(len(w) > 1 for w in words) and not (len(words) == 1 and words[0] in STOP_WORDS)
