"""``unspin train``: rebuild the shipped model bundle from SemEval-2023 data."""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ._util import app


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="SemEval-2023 Task 3 data (folders en/ fr/ ge/ it/ po/ ru/).")],
    out: Annotated[Path, typer.Option(help="Directory to write the model bundle to.")],
    quick: Annotated[
        bool, typer.Option(help="Train a tiny model on a small subset (about a minute), for tests.")
    ] = False,
    epochs: Annotated[int | None, typer.Option(min=1, help="Override the number of epochs.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override the random seed.")] = None,
) -> None:
    """Train the technique, frame and genre model; rerun the same command to resume after a stop."""
    try:
        import sklearn  # noqa: F401

        from ..train.trainer import TrainConfig
        from ..train.trainer import train as run_training
    except ImportError as exc:
        raise InputError(f"training needs extra packages: pip install 'unspin[train]' ({exc.name} is missing)") from exc
    if not data.is_dir():
        raise InputError(f"{data}: no such data directory")
    config = TrainConfig.quick_config() if quick else TrainConfig()
    overrides: dict[str, Any] = {k: v for k, v in {"epochs": epochs, "seed": seed}.items() if v is not None}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    run_training(data, out, replace(config, **overrides))


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
