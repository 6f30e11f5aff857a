"""Run the technique network over paragraphs: windows in, per-paragraph probabilities out.

Training (evaluating on cached lower-layer states) and the Analyzer share this code, so
the numbers reported at training time are the numbers users get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

from .network import NetOutput, PersuasionNet
from .windows import TokenizedText, Window, make_windows, with_specials


@dataclass(frozen=True, slots=True)
class WindowInput:
    paragraph: int  # index into the list of paragraphs
    window: Window
    input_ids: np.ndarray  # with special tokens


@dataclass(frozen=True, slots=True)
class WindowOutput:
    paragraph_logits: np.ndarray  # (techniques,)
    token_logits: np.ndarray  # (window tokens, techniques), special tokens removed
    pooled: np.ndarray
    pooled_lower: np.ndarray
    states: np.ndarray  # (window tokens, hidden) last layer, special tokens removed, float16


@dataclass(frozen=True, slots=True)
class ParagraphPrediction:
    tokens: TokenizedText
    paragraph_probs: np.ndarray  # (techniques,)
    token_probs: np.ndarray  # (tokens, techniques)
    pooled: np.ndarray  # (hidden,) mean of the last layer over the paragraph
    pooled_lower: np.ndarray  # (hidden,) the same at the lower (frozen) layers
    token_states: np.ndarray  # (tokens, hidden) last layer, float16: sentences are pooled from it


def window_inputs(
    tokenized: Sequence[TokenizedText], max_tokens: int, stride: int, bos: int, eos: int
) -> list[WindowInput]:
    """Every window of every paragraph; ``max_tokens`` counts the two special tokens."""
    inputs = []
    for index, tokens in enumerate(tokenized):
        for window in make_windows(len(tokens.ids), max_tokens - 2, stride):
            inputs.append(WindowInput(index, window, with_specials(tokens.ids[window.first : window.last], bos, eos)))
    return inputs


def length_batches(lengths: Sequence[float], batch_tokens: int, max_batch: int = 64) -> Iterator[list[int]]:
    """Group indices of similar length so that padded batches stay under ``batch_tokens``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batch: list[int] = []
    for index in order:
        longest = max(lengths[index], max((lengths[i] for i in batch), default=0))
        if batch and (longest * (len(batch) + 1) > batch_tokens or len(batch) >= max_batch):
            yield batch
            batch = []
        batch.append(index)
    if batch:
        yield batch


def pad(sequences: Sequence[np.ndarray], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(len(s) for s in sequences)
    ids = np.full((len(sequences), longest), pad_id, np.int64)
    mask = np.zeros((len(sequences), longest), np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


@cache
def bf16_supported() -> bool:
    """bf16 autocast is only a speed-up on CPUs with native bf16 instructions; elsewhere it is
    emulated, and training ran 14 times slower than in fp32 (78 s against 5.5 s a step)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast(bf16: bool):
    return torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext()


def unpack(output: NetOutput, lengths: Sequence[int]) -> list[WindowOutput]:
    """Split a batch output into per-window arrays, dropping padding and special tokens."""
    token_logits = output.token_logits.float().numpy()
    paragraph_logits = output.paragraph_logits.float().numpy()
    pooled, pooled_lower = output.pooled.float().numpy(), output.pooled_lower.float().numpy()
    states = output.states.to(torch.float16).numpy()
    return [
        WindowOutput(
            paragraph_logits[row],
            token_logits[row, 1 : length - 1],
            pooled[row],
            pooled_lower[row],
            states[row, 1 : length - 1],
        )
        for row, length in enumerate(lengths)
    ]


@torch.inference_mode()
def run_windows(
    net: PersuasionNet,
    inputs: Sequence[WindowInput],
    pad_id: int,
    *,
    batch_tokens: int = 8192,
    bf16: bool = False,
    upper_only: Callable[[list[int]], tuple[torch.Tensor, torch.Tensor]] | None = None,
) -> list[WindowOutput]:
    """Run every window through the network (or only the upper layers, from cached states)."""
    outputs: list[WindowOutput | None] = [None] * len(inputs)
    lengths = [len(w.input_ids) for w in inputs]
    for batch in length_batches(lengths, batch_tokens):
        with autocast(bf16):
            if upper_only is not None:
                states, mask = upper_only(batch)
                result = net.upper(states, mask)
            else:
                result = net(*pad([inputs[i].input_ids for i in batch], pad_id))
        for index, output in zip(batch, unpack(result, [lengths[i] for i in batch]), strict=False):
            outputs[index] = output
    return outputs  # type: ignore[return-value]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def aggregate(
    tokenized: Sequence[TokenizedText], inputs: Sequence[WindowInput], outputs: Sequence[WindowOutput]
) -> list[ParagraphPrediction]:
    """Combine windows per paragraph: max of paragraph scores, mean of overlapping token scores."""
    by_paragraph: dict[int, list[tuple[WindowInput, WindowOutput]]] = {}
    for window_input, output in zip(inputs, outputs, strict=False):
        by_paragraph.setdefault(window_input.paragraph, []).append((window_input, output))
    predictions = []
    for index, tokens in enumerate(tokenized):
        parts = by_paragraph[index]
        n_labels = parts[0][1].paragraph_logits.shape[0]
        token_sum = np.zeros((len(tokens.ids), n_labels), np.float32)
        token_count = np.zeros((len(tokens.ids), 1), np.float32)
        state_sum = np.zeros((len(tokens.ids), parts[0][1].states.shape[-1]), np.float32)
        for window_input, output in parts:
            w = window_input.window
            token_sum[w.first : w.last] += sigmoid(output.token_logits)
            state_sum[w.first : w.last] += output.states
            token_count[w.first : w.last] += 1
        predictions.append(
            ParagraphPrediction(
                tokens=tokens,
                paragraph_probs=sigmoid(np.max([o.paragraph_logits for _, o in parts], axis=0)),
                token_probs=token_sum / np.maximum(token_count, 1),
                pooled=np.mean([o.pooled for _, o in parts], axis=0),
                pooled_lower=np.mean([o.pooled_lower for _, o in parts], axis=0),
                token_states=(state_sum / np.maximum(token_count, 1)).astype(np.float16),
            )
        )
    return predictions


def decode_spans(prediction: ParagraphPrediction, thresholds: np.ndarray) -> list[tuple[int, int, int, float]]:
    """Runs of tokens whose probability for a technique passes its threshold.

    Returns ``(start, end, technique_index, confidence)`` in characters of the paragraph,
    with the confidence the mean token probability of the run.
    """
    probs, tokens = prediction.token_probs, prediction.tokens
    spans = []
    above = probs >= thresholds[None, :]
    for label in np.flatnonzero(above.any(axis=0)):
        column = np.concatenate([[False], above[:, label], [False]])
        edges = np.flatnonzero(column[1:] != column[:-1])
        for first, last in zip(edges[::2], edges[1::2], strict=False):
            score = float(probs[first:last, label].mean())
            spans.append((int(tokens.starts[first]), int(tokens.ends[last - 1]), int(label), score))
    return sorted(spans)


@torch.inference_mode()
def pooled_lower_states(
    net: PersuasionNet, inputs: Sequence[WindowInput], pad_id: int, *, batch_tokens: int, bf16: bool
) -> np.ndarray:
    """Each window's mean state after the frozen lower layers (special tokens included, as in the network).

    About half the cost of a full pass: the article embedding needs nothing above them.
    """
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
