"""``unspin train``: rebuild the shipped model bundle from SemEval-2023 data, or fine-tune one on reviewed articles."""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ._util import app, fail


@app.command()
def train(
    out: Annotated[Path, typer.Option(help="Directory to write the model bundle to.")],
    data: Annotated[
        Path | None,
        typer.Option(
            help="SemEval-2023 Task 3 data (folders en/ fr/ ge/ it/ po/ ru/). With --extra: the original training "
            "data to replay and the validation split to measure on (optional there)."
        ),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            help="Train a tiny model on a small subset (about a minute), for tests; with --extra: one epoch, "
            "validation figures on two articles per language."
        ),
    ] = False,
    epochs: Annotated[int | None, typer.Option(min=1, help="Override the number of epochs.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override the random seed.")] = None,
    extra: Annotated[
        Path | None,
        typer.Option(
            help="Reviewed articles (JSON Lines, as the review tools export them) to fine-tune --base on; "
            "a hashed 20% is held out to measure before and after."
        ),
    ] = None,
    base: Annotated[
        Path | None, typer.Option(help="With --extra: the model bundle to fine-tune (default: the shipped one).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="With --extra: name of the written bundle (default: the base's).")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(help="With --extra: version of the written bundle (default: the base's + '+ft.<date>.<digest>')."),
    ] = None,
    device: Annotated[
        str,
        typer.Option(
            help="Where to cache the frozen layers and fit the network: auto (a CUDA GPU when PyTorch has one, "
            "else the CPU), cpu, cuda or cuda:N. Calibration and the article heads run on the CPU."
        ),
    ] = "auto",
) -> None:
    """Train the technique, frame and genre model, or fine-tune a bundle on reviewed articles (--extra);
    rerun the same command to resume after a stop."""
    if extra is None:
        if data is None:
            raise fail(
                "give --data (SemEval data to train on) or --extra (reviewed articles to fine-tune a bundle on)", code=2
            )
        if base is not None or name is not None or version is not None:
            raise fail("--base, --name and --version go with --extra (reviewed articles to fine-tune on)", code=2)
    try:
        import sklearn  # noqa: F401

        from ..train.trainer import TrainConfig, resolve_device
        from ..train.trainer import train as run_training
    except ImportError as exc:
        raise InputError(f"training needs extra packages: pip install 'unspin[train]' ({exc.name} is missing)") from exc
    resolve_device(device)  # a device this PyTorch cannot use stops here, before any data is read
    if data is not None and not data.is_dir():
        raise InputError(f"{data}: no such data directory")
    overrides: dict[str, Any] = {k: v for k, v in {"epochs": epochs, "seed": seed}.items() if v is not None}
    if extra is not None:
        _finetune(extra, base, out, data, quick, {**overrides, "name": name, "version": version, "device": device})
        return
    assert data is not None
    config = TrainConfig.quick_config() if quick else TrainConfig()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    run_training(data, out, replace(config, **overrides, device=device))


def _finetune(extra: Path, base: Path | None, out: Path, data: Path | None, quick: bool, overrides: dict) -> None:
    from ..config import default_model_path
    from ..train.finetune import FinetuneConfig, finetune

    base = base or default_model_path()
    if out.resolve() == base.resolve():
        raise fail(f"--out {out} is the --base bundle: write the fine-tuned bundle to another directory", code=2)
    if not extra.is_file():
        raise InputError(f"{extra}: no such file of reviewed articles")
    config = FinetuneConfig.quick_config() if quick else FinetuneConfig()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if data is None:
        logging.getLogger("unspin.train").warning(
            "no --data: fine-tuning without replay of the original training data, and no validation figures"
        )
    finetune(base, extra, out, replace(config, **overrides), data)


class PerTechniqueCurves(str, Enum):
    none = "none"
    spans = "spans"
    all = "all"


@app.command()
def calibrate(
    model: Annotated[Path, typer.Option(help="The model bundle whose decoding to fit (its network is unchanged).")],
    data: Annotated[Path, typer.Option(help="SemEval-2023 Task 3 data (folders en/ fr/ ge/ it/ po/ ru/).")],
    out: Annotated[Path, typer.Option(help="Directory to write the calibrated bundle to.")],
    version: Annotated[str, typer.Option(help="Version of the written bundle.")] = "0.2.0",
    per_technique: Annotated[
        PerTechniqueCurves,
        typer.Option(
            help="Fit a calibration curve per technique, where it has enough examples, for spans or for "
            "spans and paragraph labels (measured in docs/benchmarks.md)."
        ),
    ] = PerTechniqueCurves.none,
) -> None:
    """Fit calibration curves, span decoding and thresholds of a bundle on the validation split."""
    try:
        from ..train.finalize import recalibrate
    except ImportError as exc:
        raise InputError(
            f"calibrating needs extra packages: pip install 'unspin[train]' ({exc.name} is missing)"
        ) from exc
    if not data.is_dir():
        raise InputError(f"{data}: no such data directory")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    recalibrate(model, data, out, version, per_technique=per_technique.value)
