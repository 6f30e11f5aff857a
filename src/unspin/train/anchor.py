"""Keep a fine-tuned network at its base's operating point, measured on text neither trained on.

A short fine-tune on a reviewed set pulls the technique heads toward that set's label rate:
a newsroom's Italian articles carry about 1.5 techniques a paragraph, the SemEval train
paragraphs replayed beside them about 1.1, and the fine-tuned network then scored more
techniques in every language (paragraph precision fell from 0.439 to 0.388 on the retrain
demonstration, docs/benchmarks.md). The bundle's calibration curves and thresholds were
fitted to the base's scores, so a shifted scale costs precision everywhere.

After the fit, each technique's paragraph-head and token-head bias moves by the one shift
that makes the network's mean probability on reference paragraphs equal the base's there.
The reference is unlabelled: paragraphs of the SemEval test articles, which neither network
trained on and nothing else uses. What the fine-tune learnt about *which* text carries a
technique stays; only the overall rate on general news is held where decoding expects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..formats import semeval
from ..language import SEMEVAL_LANGUAGES
from ..model.inference import WindowInput, run_windows, sigmoid, window_inputs
from ..model.network import PersuasionNet
from ..model.windows import Tokenizer

REFERENCE_FOLDER = "test-articles-subtask-3"


@dataclass(frozen=True)
class HeadRates:
    """Mean probability per technique over the reference: per window (paragraph head) and per token."""

    paragraph: np.ndarray
    token: np.ndarray


@dataclass(frozen=True)
class Reference:
    inputs: list[WindowInput]
    pad_id: int
    paragraphs: int
    languages: dict[str, int]

    def logits(self, net: PersuasionNet) -> tuple[np.ndarray, np.ndarray]:
        """The paragraph logits (windows, techniques) and token logits (tokens, techniques) of ``net``."""
        net.eval()
        outputs = run_windows(net, self.inputs, self.pad_id)
        return (
            np.stack([o.paragraph_logits for o in outputs]),
            np.concatenate([o.token_logits for o in outputs]),
        )

    def rates(self, net: PersuasionNet) -> HeadRates:
        paragraph, token = self.logits(net)
        return HeadRates(sigmoid(paragraph).mean(0), sigmoid(token).mean(0))


def reference_paragraphs(
    data_dir: Path, languages: Sequence[str], per_language: int, seed: int
) -> tuple[list[str], dict[str, int]]:
    """Up to ``per_language`` paragraphs of each language's unlabelled SemEval test articles, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    counts: dict[str, int] = {}
    for language in languages:
        folder = Path(data_dir) / language / REFERENCE_FOLDER
        if not folder.is_dir():
            continue
        pool = [p.text for a in semeval.read_articles(folder, SEMEVAL_LANGUAGES.get(language)) for p in a.paragraphs]
        chosen = sorted(rng.permutation(len(pool))[:per_language].tolist())
        texts += [pool[i] for i in chosen]
        counts[language] = len(chosen)
    return texts, counts


def build_reference(
    data_dir: Path, languages: Sequence[str], tokenizer: Tokenizer, settings: dict, per_language: int, seed: int
) -> Reference | None:
    """The reference windows, or None where the data has no test articles in these languages."""
    texts, counts = reference_paragraphs(data_dir, languages, per_language, seed)
    if not texts:
        return None
    tokenized = tokenizer.tokenize(texts)
    inputs = window_inputs(tokenized, settings["max_tokens"], settings["stride"], tokenizer.bos_id, tokenizer.eos_id)
    return Reference(inputs, tokenizer.pad_id, len(texts), counts)


def matching_shifts(logits: np.ndarray, targets: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Per column, the shift ``b`` with ``mean(sigmoid(logits + b)) == target`` (bisection; the mean rises with b)."""
    low, high = np.full(logits.shape[1], -20.0), np.full(logits.shape[1], 20.0)
    for _ in range(iterations):
        middle = (low + high) / 2
        too_high = sigmoid(logits + middle).mean(0) > targets
        high = np.where(too_high, middle, high)
        low = np.where(too_high, low, middle)
    return (low + high) / 2


@torch.no_grad()
def anchor_heads(net: PersuasionNet, reference: Reference, base: HeadRates) -> dict[str, list[float]]:
    """Shift ``net``'s head biases so its reference rates equal ``base``; returns the shifts (logits)."""
    paragraph_logits, token_logits = reference.logits(net)
    paragraph_shift = matching_shifts(paragraph_logits, base.paragraph)
    token_shift = matching_shifts(token_logits, base.token)
    net.paragraph_head.bias.add_(torch.from_numpy(paragraph_shift.astype(np.float32)))
    net.token_head.bias.add_(torch.from_numpy(token_shift.astype(np.float32)))
    return {
        "paragraph": [round(float(x), 4) for x in paragraph_shift],
        "token": [round(float(x), 4) for x in token_shift],
    }
