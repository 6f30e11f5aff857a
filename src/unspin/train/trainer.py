"""Train the shipped model: fine-tune the top encoder layers on techniques, then fit article heads.

The lower encoder layers stay frozen, so their output is computed once and cached (in
bf16); each epoch then runs only the trainable top layers. A checkpoint is written every
few hundred steps and at the end of every epoch; rerunning the same command resumes.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..files import replaced_atomically
from ..model.bundle import Bundle, new_network
from ..model.inference import (
    WindowInput,
    autocast,
    bf16_supported,
    length_batches,
    pad,
    window_inputs,
)
from ..model.network import PersuasionNet
from ..model.windows import TokenizedText, Tokenizer
from ..taxonomy import TECHNIQUE_LABELS
from .data import TRAIN_LANGUAGES, ParagraphExample, join_paragraphs, load_paragraphs

log = logging.getLogger("unspin.train")


@dataclass
class TrainConfig:
    seed: int = 13
    frozen_layers: int = 6
    max_tokens: int = 256
    stride: int = 64
    epochs: int = 3
    learning_rate: float = 1e-4
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    batch_tokens: int = 4096
    token_loss_weight: float = 1.0
    bf16: bool = field(default_factory=bf16_supported)  # fp32 where the CPU has no bf16 instructions
    checkpoint_every: int = 300
    # Tried for 0.2 and measured worse on every validation view (docs/benchmarks.md), so off:
    english_join_share: float = 0.0  # share of English train articles seen as 3-6-line paragraphs
    positive_weight_power: float = 0.0  # BCE positive weight (negatives/positives) ** power, per technique
    calibration_holdout: bool = False  # keep the calibration split out of training and fit decoding there
    paragraph_positive_cap: float = 10.0
    token_positive_cap: float = 5.0
    quick: bool = False
    languages: tuple[str, ...] = TRAIN_LANGUAGES

    @classmethod
    def quick_config(cls) -> TrainConfig:
        """A tiny run for tests: one trainable layer, a small subset, one epoch."""
        return cls(frozen_layers=11, epochs=1, quick=True, max_tokens=128, checkpoint_every=20)


@dataclass
class Windows:
    """Training windows with targets and cached lower-layer states."""

    inputs: list[WindowInput]
    window_labels: np.ndarray  # (windows, techniques)
    token_labels: list[np.ndarray]  # per window (tokens incl. specials, techniques)
    lower: list[torch.Tensor]  # per window (tokens incl. specials, hidden), bf16


def train(data_dir: Path, out_dir: Path, config: TrainConfig) -> Bundle:
    """Train from a SemEval-2023 data directory and write the bundle to ``out_dir``.

    The network is fitted first (resumable, checkpointed in ``<out>.work``); thresholds,
    calibration and the article heads follow in :mod:`unspin.train.finalize`.
    """
    started = time.time()
    seed_everything(config.seed)
    work_dir = out_dir.with_name(out_dir.name + ".work")
    work_dir.mkdir(parents=True, exist_ok=True)
    paragraphs = load_paragraphs(data_dir, config.languages)
    if config.quick:
        paragraphs = _quick_subset(paragraphs)
    paragraphs = _with_joined_english(paragraphs, config)
    log.info("loaded %d paragraphs (%d held out)", len(paragraphs), sum(not _trains(p, config) for p in paragraphs))
    net, tokenizer = new_network(len(TECHNIQUE_LABELS), config.frozen_layers)
    fit_or_load(net, tokenizer, [p for p in paragraphs if _trains(p, config)], config, work_dir, started)
    from .finalize import finalize  # imported late: scikit-learn, and the newest code after a long fit

    return finalize(net, tokenizer, paragraphs, data_dir, out_dir, config, work_dir, started)


def fit_or_load(
    net: PersuasionNet,
    tokenizer: Tokenizer,
    paragraphs: Sequence[ParagraphExample],
    config: TrainConfig,
    work_dir: Path,
    started: float,
) -> None:
    """Fit the trainable layers and heads of ``net`` on ``paragraphs``, or load the fit a finished run saved.

    The lower layers are frozen and run once per window (:func:`build_windows`); the fit
    checkpoints in ``work_dir`` and resumes from there (:func:`fit_network`). ``unspin
    train`` starts from the pre-trained encoder, a fine-tune from a bundle's network.
    """
    fitted = work_dir / "fitted.pt"
    if fitted.is_file():
        net.load_state_dict(torch.load(fitted, weights_only=True), strict=False)
        log.info("loaded the fitted network from %s", fitted)
        return
    net.freeze_lower()
    tokenized = tokenizer.tokenize([p.text for p in paragraphs])
    windows = build_windows(net, paragraphs, tokenized, config, tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id)
    log.info("cached lower layers for %d windows (%.0f s)", len(windows.inputs), time.time() - started)
    fit_network(net, windows, list(range(len(windows.inputs))), config, work_dir)
    torch.save(net.trainable_state(), fitted)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _quick_subset(paragraphs: list[ParagraphExample]) -> list[ParagraphExample]:
    keep: dict[str, int] = {}
    subset = []
    for p in paragraphs:
        if keep.get(p.language, 0) < 60 and len(p.text) < 600:
            keep[p.language] = keep.get(p.language, 0) + 1
            subset.append(p)
    return subset


def _trains(paragraph: ParagraphExample, config: TrainConfig) -> bool:
    return not (paragraph.validation or (config.calibration_holdout and paragraph.calibration))


def _with_joined_english(paragraphs: list[ParagraphExample], config: TrainConfig) -> list[ParagraphExample]:
    """Replace the lines of a share of the English train articles by paragraphs of 3-6 lines."""
    rng = np.random.default_rng(config.seed)
    english = sorted({p.article_id for p in paragraphs if p.language == "en" and _trains(p, config)})
    chosen = set(rng.permutation(english)[: int(len(english) * config.english_join_share)].tolist())
    kept = [p for p in paragraphs if p.article_id not in chosen]
    return kept + join_paragraphs([p for p in paragraphs if p.article_id in chosen], rng)


def _token_labels(example: ParagraphExample, tokens: TokenizedText) -> np.ndarray:
    labels = np.zeros((len(tokens.ids), len(TECHNIQUE_LABELS)), np.float32)
    index = {t: i for i, t in enumerate(TECHNIQUE_LABELS)}
    for start, end, technique in example.spans:
        inside = (tokens.starts < end) & (tokens.ends > start)
        labels[inside, index[technique]] = 1.0
    return labels


def build_windows(
    net: PersuasionNet,
    paragraphs: Sequence[ParagraphExample],
    tokenized: Sequence[TokenizedText],
    config: TrainConfig,
    bos: int,
    eos: int,
    pad_id: int,
) -> Windows:
    inputs = window_inputs(tokenized, config.max_tokens, config.stride, bos, eos)
    index = {t: i for i, t in enumerate(TECHNIQUE_LABELS)}
    paragraph_tokens = [_token_labels(p, t) for p, t in zip(paragraphs, tokenized, strict=False)]
    token_labels, window_labels = [], np.zeros((len(inputs), len(TECHNIQUE_LABELS)), np.float32)
    for row, window in enumerate(inputs):
        inner = paragraph_tokens[window.paragraph][window.window.first : window.window.last]
        token_labels.append(np.pad(inner, ((1, 1), (0, 0))))
        single = window.window.first == 0 and window.window.last == len(tokenized[window.paragraph].ids)
        if single:
            for label in paragraphs[window.paragraph].labels:
                window_labels[row, index[label]] = 1.0
        else:
            window_labels[row] = inner.max(axis=0) if len(inner) else 0.0
    lower = _cache_lower(net, inputs, pad_id, config)
    return Windows(inputs, window_labels, token_labels, lower)


@torch.inference_mode()
def _cache_lower(
    net: PersuasionNet, inputs: Sequence[WindowInput], pad_id: int, config: TrainConfig
) -> list[torch.Tensor]:
    cache: list[torch.Tensor | None] = [None] * len(inputs)
    lengths = [len(w.input_ids) for w in inputs]
    net.eval()
    for n, batch in enumerate(length_batches(lengths, config.batch_tokens * 2)):
        with autocast(config.bf16):
            states = net.lower(*pad([inputs[i].input_ids for i in batch], pad_id))
        for row, i in enumerate(batch):
            cache[i] = states[row, : lengths[i]].to(torch.bfloat16).clone()
        if n % 50 == 0:
            log.info("caching lower layers: %d/%d windows", sum(c is not None for c in cache), len(inputs))
    return cache  # type: ignore[return-value]


def _stack(windows: Windows, rows: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(windows.lower[i].shape[0] for i in rows)
    hidden = windows.lower[rows[0]].shape[1]
    states = torch.zeros(len(rows), longest, hidden)
    mask = torch.zeros(len(rows), longest, dtype=torch.long)
    for r, i in enumerate(rows):
        n = windows.lower[i].shape[0]
        states[r, :n] = windows.lower[i].float()
        mask[r, :n] = 1
    return states, mask


def _epoch_batches(windows: Windows, rows: Sequence[int], config: TrainConfig, epoch: int) -> list[list[int]]:
    rng = np.random.default_rng(config.seed + epoch)
    noisy = [len(windows.inputs[i].input_ids) + rng.uniform(0, 16) for i in rows]
    batches = [[rows[j] for j in b] for b in length_batches(noisy, config.batch_tokens, max_batch=32)]
    rng.shuffle(batches)
    return batches


@dataclass
class PositiveWeights:
    """Per-technique BCE weights of positives, so that rare techniques are not learnt as 'never'."""

    paragraph: torch.Tensor
    token: torch.Tensor

    @classmethod
    def of(cls, windows: Windows, rows: Sequence[int], config: TrainConfig) -> PositiveWeights:
        def weights(positives: np.ndarray, total: int, cap: float) -> torch.Tensor:
            ratio = (total - positives) / np.maximum(positives, 1)
            return torch.from_numpy(np.clip(ratio**config.positive_weight_power, 1.0, cap).astype(np.float32))

        token_positives = sum(windows.token_labels[i].sum(0) for i in rows)
        token_total = sum(len(windows.token_labels[i]) for i in rows)
        return cls(
            weights(windows.window_labels[list(rows)].sum(0), len(rows), config.paragraph_positive_cap),
            weights(np.asarray(token_positives), token_total, config.token_positive_cap),
        )


def _loss(
    net: PersuasionNet, windows: Windows, batch: list[int], config: TrainConfig, positive: PositiveWeights
) -> torch.Tensor:
    states, mask = _stack(windows, batch)
    with autocast(config.bf16):
        out = net.upper(states, mask)
    paragraph_targets = torch.from_numpy(windows.window_labels[batch])
    paragraph_loss = F.binary_cross_entropy_with_logits(
        out.paragraph_logits.float(), paragraph_targets, pos_weight=positive.paragraph
    )
    token_targets = torch.zeros(out.token_logits.shape)
    token_mask = torch.zeros(out.token_logits.shape[:2], dtype=torch.bool)
    for r, i in enumerate(batch):
        labels = windows.token_labels[i]
        token_targets[r, : len(labels)] = torch.from_numpy(labels)
        token_mask[r, 1 : len(labels) - 1] = True
    token_loss = F.binary_cross_entropy_with_logits(
        out.token_logits.float()[token_mask], token_targets[token_mask], pos_weight=positive.token
    )
    return paragraph_loss + config.token_loss_weight * token_loss


def fit_network(net: PersuasionNet, windows: Windows, rows: list[int], config: TrainConfig, work_dir: Path) -> None:
    head_params = [p for n, p in net.named_parameters() if p.requires_grad and not n.startswith("encoder.")]
    encoder_params = [p for n, p in net.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_params, "lr": config.learning_rate},
            {"params": head_params, "lr": config.head_learning_rate},
        ],
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = len(_epoch_batches(windows, rows, config, 0))
    total = steps_per_epoch * config.epochs
    warmup = max(1, int(total * config.warmup_share))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    step = _resume(net, optimizer, schedule, work_dir)
    positive = PositiveWeights.of(windows, rows, config)
    log.info(
        "positive weights: paragraph %s, token %s",
        positive.paragraph.numpy().round(1).tolist(),
        positive.token.numpy().round(1).tolist(),
    )
    net.train()
    started, losses = time.time(), []
    for epoch in range(step // steps_per_epoch, config.epochs):
        for position, batch in enumerate(_epoch_batches(windows, rows, config, epoch)):
            if epoch * steps_per_epoch + position < step:
                continue  # done before the interruption
            loss = _loss(net, windows, batch, config, positive)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(encoder_params + head_params, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            losses.append(loss.item())
            if step % 25 == 0:
                rate = (time.time() - started) / max(1, len(losses))
                log.info(
                    "epoch %d step %d/%d loss %.4f (%.2f s/step, %.0f min left)",
                    epoch + 1,
                    step,
                    total,
                    float(np.mean(losses[-25:])),
                    rate,
                    rate * (total - step) / 60,
                )
            if step % config.checkpoint_every == 0 or step % steps_per_epoch == 0:
                _checkpoint(net, optimizer, schedule, step, work_dir)
            if step % steps_per_epoch == 0:  # kept for weight averaging
                torch.save(net.trainable_state(), work_dir / f"epoch{step // steps_per_epoch}.pt")


def _checkpoint(net: PersuasionNet, optimizer: torch.optim.Optimizer, schedule, step: int, work_dir: Path) -> None:
    path = work_dir / "checkpoint.pt"
    state = {
        "step": step,
        "net": net.trainable_state(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "rng": torch.get_rng_state(),
    }
    with replaced_atomically(path) as tmp:
        torch.save(state, tmp)


def _resume(net: PersuasionNet, optimizer: torch.optim.Optimizer, schedule, work_dir: Path) -> int:
    path = work_dir / "checkpoint.pt"
    if not path.is_file():
        return 0
    state = torch.load(path, weights_only=True)
    net.load_state_dict(state["net"], strict=False)
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["rng"])
    log.info("resumed from %s at step %d", path, state["step"])
    return int(state["step"])
