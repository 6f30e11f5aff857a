"""Article-level heads (frames, genre): linear models over pooled paragraph features, in numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .inference import ParagraphPrediction, sigmoid


def article_features(paragraphs: Sequence[ParagraphPrediction]) -> np.ndarray:
    """One vector per article: mean encoder states (upper and lower) and technique statistics."""
    weights = np.array([max(len(p.tokens.ids), 1) for p in paragraphs], np.float32)[:, None]
    weights /= weights.sum()
    probs = np.stack([p.paragraph_probs for p in paragraphs])
    return np.concatenate(
        [
            (np.stack([p.pooled for p in paragraphs]) * weights).sum(0),
            (np.stack([p.pooled_lower for p in paragraphs]) * weights).sum(0),
            probs.mean(0),
            probs.max(0),
        ]
    ).astype(np.float32)


def article_embedding(paragraphs: Sequence[ParagraphPrediction]) -> np.ndarray:
    """The token-weighted mean of the paragraphs' lower-layer states, unit length.

    The lower layers are the pretrained encoder's, untouched by fine-tuning, so they keep
    its sense of topic; narratives are clustered on this vector.
    """
    weights = np.array([max(len(p.tokens.ids), 1) for p in paragraphs], np.float32)[:, None]
    vector = (np.stack([p.pooled_lower for p in paragraphs]) * weights).sum(0)
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


@dataclass
class LinearHead:
    """Standardise, then a linear layer; ``multilabel`` uses sigmoids, otherwise a softmax."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray  # (labels,)
    multilabel: bool

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        if self.multilabel:
            return sigmoid(logits)
        logits = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}.{name}": getattr(self, name).astype(np.float32)
            for name in ("mean", "scale", "coef", "intercept")
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, multilabel: bool) -> LinearHead:
        mean, scale, coef, intercept = (arrays[f"{prefix}.{name}"] for name in ("mean", "scale", "coef", "intercept"))
        return cls(mean, scale, coef, intercept, multilabel)
