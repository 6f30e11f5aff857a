"""Train the shipped model: fine-tune the top encoder layers on techniques, then fit article heads.

The lower encoder layers stay frozen, so their output is computed once and cached (in
bf16); each epoch then runs only the trainable top layers. A checkpoint is written every
few hundred steps and at the end of every epoch; rerunning the same command resumes.

The caching and the fit run on ``TrainConfig.device`` (a CUDA GPU when there is one, by
default); the cached states stay in CPU memory and each batch moves to the device. The
network is back on the CPU, in fp32, once the caching and the fit are done, and every
file written holds CPU tensors, so a run resumes on either device.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError
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
    bf16: bool = field(default_factory=bf16_supported)  # CPU: fp32 where it has no bf16 instructions; CUDA: bf16
    device: str = "auto"  # where the lower layers are cached and the network fitted: auto, cpu, cuda or cuda:N
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


def resolve_device(name: str) -> torch.device:
    """The torch device that ``TrainConfig.device`` names: ``auto`` is CUDA when PyTorch has a GPU, else the CPU.

    Raises :class:`InputError` for CUDA where PyTorch has none, and for any other name.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if not re.fullmatch(r"cuda(:\d+)?", name):
        raise InputError(f"unknown device {name!r}: give auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        why = "is built without CUDA" if torch.version.cuda is None else "finds no CUDA GPU"
        raise InputError(f"cannot train on {name}: PyTorch {torch.__version__} {why}; use --device cpu or auto")
    device = torch.device(name)
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise InputError(f"cannot train on {name}: PyTorch sees {torch.cuda.device_count()} CUDA GPU(s), from cuda:0")
    return device


def fits_in_bf16(config: TrainConfig) -> bool:
    """Whether the fit runs under bf16 autocast: always on CUDA, on the CPU as ``config.bf16`` says."""
    return config.bf16 or resolve_device(config.device).type == "cuda"


def config_record(config: TrainConfig) -> dict[str, Any]:
    """``config`` as a model card records it: the device it ran on and whether it used bf16, not ``auto``."""
    return {
        **asdict(config),
        "languages": list(config.languages),
        "device": str(resolve_device(config.device)),
        "bf16": fits_in_bf16(config),
    }


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
        net.load_state_dict(torch.load(fitted, weights_only=True, map_location="cpu"), strict=False)
        log.info("loaded the fitted network from %s", fitted)
        return
    device = resolve_device(config.device)
    log.info(
        "caching and fitting on %s%s, %s",
        device,
        f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "",
        "bf16 autocast" if fits_in_bf16(config) else "fp32",
    )
    net.freeze_lower()
    tokenized = tokenizer.tokenize([p.text for p in paragraphs])
    windows = build_windows(net, paragraphs, tokenized, config, tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id)
    log.info("cached lower layers for %d windows (%.0f s)", len(windows.inputs), time.time() - started)
    fit_network(net, windows, list(range(len(windows.inputs))), config, work_dir)
    torch.save(_on_cpu(net.trainable_state()), fitted)


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
    chosen = joined_articles(paragraphs, config, rng)
    kept = [p for p in paragraphs if p.article_id not in chosen]
    return kept + join_paragraphs([p for p in paragraphs if p.article_id in chosen], rng)


def joined_articles(
    paragraphs: Sequence[ParagraphExample], config: TrainConfig, rng: np.random.Generator | None = None
) -> set[str]:
    """The English train articles (``config.english_join_share`` of them, drawn with ``config.seed``) seen joined."""
    rng = rng if rng is not None else np.random.default_rng(config.seed)
    english = sorted({p.article_id for p in paragraphs if p.language == "en" and _trains(p, config)})
    return set(rng.permutation(english)[: int(len(english) * config.english_join_share)].tolist())


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


@contextmanager
def _on_device(net: PersuasionNet, device: torch.device) -> Iterator[None]:
    """Move ``net`` to ``device`` for the block, and back to the CPU after it (fp32 as before: ``to`` keeps dtypes)."""
    net.to(device)
    try:
        yield
    finally:
        net.to("cpu")


def _autocast(device: torch.device, bf16: bool) -> AbstractContextManager[Any]:
    """bf16 autocast on CUDA (native on the GPUs this is for), else as ``config.bf16`` says on the CPU."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else autocast(bf16)


def _on_cpu(value: Any) -> Any:
    """``value`` (a tensor, or dicts and lists of them) with every tensor on the CPU: what files hold."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _on_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_on_cpu(v) for v in value)
    return value


def _cache_lower(
    net: PersuasionNet, inputs: Sequence[WindowInput], pad_id: int, config: TrainConfig
) -> list[torch.Tensor]:
    """The frozen layers' output per window, run on the config's device and kept in CPU memory (bf16)."""
    cache: list[torch.Tensor | None] = [None] * len(inputs)
    lengths = [len(w.input_ids) for w in inputs]
    device = resolve_device(config.device)
    net.eval()
    # The network moves outside inference mode: moved inside, its parameters would become inference tensors.
    with _on_device(net, device), torch.inference_mode():
        for n, batch in enumerate(length_batches(lengths, config.batch_tokens * 2)):
            ids, mask = pad([inputs[i].input_ids for i in batch], pad_id)
            with _autocast(device, config.bf16):
                states = net.lower(ids.to(device), mask.to(device))
            states = states.to(torch.bfloat16).cpu()
            for row, i in enumerate(batch):
                cache[i] = states[row, : lengths[i]].clone()
            if n % 50 == 0:
                log.info("caching lower layers: %d/%d windows", sum(c is not None for c in cache), len(inputs))
    return cache  # type: ignore[return-value]


def _stack(windows: Windows, rows: Sequence[int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The cached states of ``rows``, padded, as fp32 on ``device`` (moved there in bf16, half the bytes), and their mask."""
    longest = max(windows.lower[i].shape[0] for i in rows)
    hidden = windows.lower[rows[0]].shape[1]
    states = torch.zeros(len(rows), longest, hidden, dtype=windows.lower[rows[0]].dtype)
    mask = torch.zeros(len(rows), longest, dtype=torch.long)
    for r, i in enumerate(rows):
        n = windows.lower[i].shape[0]
        states[r, :n] = windows.lower[i]
        mask[r, :n] = 1
    return states.to(device).float(), mask.to(device)


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

    def to(self, device: torch.device) -> PositiveWeights:
        return PositiveWeights(self.paragraph.to(device), self.token.to(device))


def _loss(
    net: PersuasionNet,
    windows: Windows,
    batch: list[int],
    config: TrainConfig,
    positive: PositiveWeights,
    device: torch.device,
) -> torch.Tensor:
    """The batch's loss on ``device``, where ``net`` and ``positive`` are; inputs and targets are moved there."""
    states, mask = _stack(windows, batch, device)
    with _autocast(device, config.bf16):
        out = net.upper(states, mask)
    paragraph_targets = torch.from_numpy(windows.window_labels[batch]).to(device)
    paragraph_loss = F.binary_cross_entropy_with_logits(
        out.paragraph_logits.float(), paragraph_targets, pos_weight=positive.paragraph
    )
    token_targets = torch.zeros(out.token_logits.shape)
    token_mask = torch.zeros(out.token_logits.shape[:2], dtype=torch.bool)
    for r, i in enumerate(batch):
        labels = windows.token_labels[i]
        token_targets[r, : len(labels)] = torch.from_numpy(labels)
        token_mask[r, 1 : len(labels) - 1] = True
    token_targets, token_mask = token_targets.to(device), token_mask.to(device)
    token_loss = F.binary_cross_entropy_with_logits(
        out.token_logits.float()[token_mask], token_targets[token_mask], pos_weight=positive.token
    )
    return paragraph_loss + config.token_loss_weight * token_loss


def fit_network(net: PersuasionNet, windows: Windows, rows: list[int], config: TrainConfig, work_dir: Path) -> None:
    """Fit the trainable layers and heads of ``net`` on ``rows`` of ``windows``, on the config's device.

    ``net`` is on the CPU again afterwards (also after an error), with its fp32 parameters,
    and in eval mode (dropout off), as a loaded bundle is.
    """
    device = resolve_device(config.device)
    with _on_device(net, device):
        _fit_on(net, windows, rows, config, work_dir, device)
        net.zero_grad(set_to_none=True)  # no gradients left on the device or carried to the CPU
    net.eval()


def _fit_on(
    net: PersuasionNet, windows: Windows, rows: list[int], config: TrainConfig, work_dir: Path, device: torch.device
) -> None:
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
    step = _resume(net, optimizer, schedule, work_dir, device)
    positive = PositiveWeights.of(windows, rows, config)
    log.info(
        "positive weights: paragraph %s, token %s",
        positive.paragraph.numpy().round(1).tolist(),
        positive.token.numpy().round(1).tolist(),
    )
    positive = positive.to(device)
    net.train()
    started, losses = time.time(), []
    for epoch in range(step // steps_per_epoch, config.epochs):
        for position, batch in enumerate(_epoch_batches(windows, rows, config, epoch)):
            if epoch * steps_per_epoch + position < step:
                continue  # done before the interruption
            loss = _loss(net, windows, batch, config, positive, device)
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
                _checkpoint(net, optimizer, schedule, step, work_dir, device)
            if step % steps_per_epoch == 0:  # kept for weight averaging
                torch.save(_on_cpu(net.trainable_state()), work_dir / f"epoch{step // steps_per_epoch}.pt")


def _checkpoint(
    net: PersuasionNet, optimizer: torch.optim.Optimizer, schedule, step: int, work_dir: Path, device: torch.device
) -> None:
    path = work_dir / "checkpoint.pt"
    state = {
        "step": step,
        "net": net.trainable_state(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "rng": torch.get_rng_state(),
    }
    if device.type == "cuda":  # dropout draws from the GPU's generator there
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    with replaced_atomically(path) as tmp:
        torch.save(_on_cpu(state), tmp)  # CPU tensors: a run resumes on either device


def _resume(
    net: PersuasionNet, optimizer: torch.optim.Optimizer, schedule, work_dir: Path, device: torch.device
) -> int:
    path = work_dir / "checkpoint.pt"
    if not path.is_file():
        return 0
    state = torch.load(path, weights_only=True, map_location="cpu")
    net.load_state_dict(state["net"], strict=False)  # copied into the parameters, on their device
    optimizer.load_state_dict(state["optimizer"])  # the optimizer moves its state to the parameters' device
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["rng"])
    if device.type == "cuda" and "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"], device)
    log.info("resumed from %s at step %d", path, state["step"])
    return int(state["step"])
