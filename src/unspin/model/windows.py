"""Tokenise paragraphs and cut them into overlapping windows that fit the encoder.

Every token keeps the character range of its visible text in the paragraph (the
SentencePiece word marker's leading space is trimmed), so token predictions map back to
exact character offsets. Long paragraphs become several windows that overlap by
``stride`` tokens: nothing is truncated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import BundleError

if TYPE_CHECKING:
    from tokenizers import Tokenizer as RustTokenizer


@dataclass(frozen=True, slots=True)
class TokenizedText:
    ids: np.ndarray  # (n,) int64 token ids, without the special tokens
    starts: np.ndarray  # (n,) character start of each token's visible text
    ends: np.ndarray  # (n,) character end (exclusive)


@dataclass(frozen=True, slots=True)
class Window:
    first: int  # index of the window's first token in the paragraph's TokenizedText
    last: int  # exclusive


class Tokenizer:
    """The encoder's SentencePiece tokenizer with offsets, loaded from ``tokenizer.json``."""

    def __init__(self, path: str | Path) -> None:
        self._tokenizer = _parse(Path(path))
        self.bos_id, self.eos_id, self.pad_id = (self._special(token) for token in ("<s>", "</s>", "<pad>"))

    def _special(self, token: str) -> int:
        found = self._tokenizer.token_to_id(token)
        if found is None:
            raise BundleError(f"the tokenizer has no {token} token; rebuild the bundle")
        return int(found)

    def count(self, texts: list[str]) -> list[int]:
        """Tokens per text (no offsets: cheaper than :meth:`tokenize`)."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)]

    def tokenize(self, texts: list[str]) -> list[TokenizedText]:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [_with_visible_offsets(text, e.ids, e.offsets) for text, e in zip(texts, encodings, strict=False)]


@cache
def _parse(path: Path) -> RustTokenizer:
    """The tokenizer in ``path``, parsed once per process (most of a second; it is only read, never changed)."""
    from tokenizers import Tokenizer as _Tokenizer

    return _Tokenizer.from_file(str(path))


def _with_visible_offsets(text: str, ids: list[int], offsets: list[tuple[int, int]]) -> TokenizedText:
    starts = np.fromiter((s for s, _ in offsets), np.int64, len(offsets))
    ends = np.fromiter((e for _, e in offsets), np.int64, len(offsets))
    for i, (s, e) in enumerate(offsets):
        while s < e and text[s].isspace():
            s += 1
        starts[i] = s
    keep = ends > starts  # drops tokens that cover only whitespace
    return TokenizedText(np.asarray(ids, np.int64)[keep], starts[keep], ends[keep])


def make_windows(n_tokens: int, max_tokens: int, stride: int) -> list[Window]:
    """Cover ``n_tokens`` with windows of at most ``max_tokens`` that overlap by ``stride``.

    Examples
    --------
    >>> [(w.first, w.last) for w in make_windows(10, 4, 1)]
    [(0, 4), (3, 7), (6, 10)]
    """
    if n_tokens <= max_tokens:
        return [Window(0, n_tokens)]
    step = max_tokens - stride
    firsts = [*list(range(0, n_tokens - max_tokens, step)), n_tokens - max_tokens]
    return [Window(f, f + max_tokens) for f in dict.fromkeys(firsts)]


def with_specials(ids: np.ndarray, bos_id: int, eos_id: int) -> np.ndarray:
    return np.concatenate([[bos_id], ids, [eos_id]]).astype(np.int64)
