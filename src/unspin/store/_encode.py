"""Article embeddings from the model's lower (frozen) layers only, for articles stored without one.

The embedding an :class:`~unspin.Analyzer` attaches is the token-weighted mean of the
paragraphs' lower-layer states (:func:`unspin.model.heads.article_embedding`). Those states
come before the fine-tuned layers, so running just the lower half of the encoder gives the
same vector for about half the cost of a full analysis. Kept apart from
:mod:`.narratives` so that reading narratives never imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..analyze import Analyzer
from ..model.inference import WindowInput, autocast, length_batches, pad, window_inputs
from ..model.network import PersuasionNet


def article_embeddings(analyzer: Analyzer, articles: Sequence[Sequence[str]]) -> np.ndarray:
    """One unit-length embedding per article, given each article's paragraph texts."""
    bundle = analyzer.bundle
    tokenizer, settings = bundle.tokenizer, bundle.settings
    texts = [paragraph for paragraphs in articles for paragraph in paragraphs]
    tokenized = tokenizer.tokenize(texts)
    inputs = window_inputs(tokenized, settings["max_tokens"], settings["stride"], tokenizer.bos_id, tokenizer.eos_id)
    pooled = _pooled_lower(bundle.net, inputs, tokenizer.pad_id, analyzer.batch_tokens, analyzer.bf16)
    by_paragraph = np.zeros((len(texts), pooled.shape[1]), np.float32)
    windows = np.zeros(len(texts), np.float32)
    for window, vector in zip(inputs, pooled):
        by_paragraph[window.paragraph] += vector
        windows[window.paragraph] += 1
    by_paragraph /= np.maximum(windows, 1)[:, None]  # the mean over a paragraph's windows
    weights = np.array([max(len(t.ids), 1) for t in tokenized], np.float32)[:, None]
    vectors, first = [], 0
    for paragraphs in articles:
        last = first + len(paragraphs)
        vector = (by_paragraph[first:last] * weights[first:last]).sum(0)
        vectors.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
        first = last
    return np.stack(vectors).astype(np.float32)


@torch.inference_mode()
def _pooled_lower(net: PersuasionNet, inputs: Sequence[WindowInput], pad_id: int, batch_tokens: int,
                  bf16: bool) -> np.ndarray:
    """Each window's mean lower-layer state over its tokens (special tokens included, as in the network)."""
    lengths = [len(w.input_ids) for w in inputs]
    pooled = np.zeros((len(inputs), net.encoder.hidden_size), np.float32)
    for batch in length_batches(lengths, batch_tokens):
        ids, mask = pad([inputs[i].input_ids for i in batch], pad_id)
        with autocast(bf16):
            states = net.lower(ids, mask)
            weights = mask.unsqueeze(-1).to(states.dtype)
            means = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        pooled[batch] = means.float().numpy()
    return pooled
