"""``unspin baseline``: constant baselines on the validation split, written and scored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..baseline import TOP_TECHNIQUES, Baseline, run_baseline, write_baseline
from ..train.data import TRAIN_LANGUAGES
from ._util import app, out_console


@app.command()
def baseline(
    data: Annotated[Path, typer.Option(help="SemEval-2023 Task 3 data (folders en/ fr/ ge/ it/ po/ ru/).")],
    out: Annotated[Path, typer.Option(help="Directory for the gold and prediction files, one folder per language.")],
    language: Annotated[
        list[str] | None,
        typer.Option("--language", "-l", help="Language code to run (repeatable); all six by default."),
    ] = None,
) -> None:
    """Write and score constant predictions (most frequent labels of train) for the validation split.

    Re-score any file pair with, for example,
    ``unspin evaluate --task techniques --gold OUT/en/gold-techniques.txt --pred OUT/en/pred-techniques-top1.txt``.
    """
    baselines = [run_baseline(data, code) for code in language or TRAIN_LANGUAGES]
    for result in baselines:
        write_baseline(result, out / result.language)
    out_console.print(_scores_table(baselines))
    out_console.print(_constants_table(baselines))
    out_console.print(f"Gold and prediction files: {out}/<language>/")


def _scores_table(baselines: list[Baseline]) -> Table:
    table = Table(title="unspin baseline: validation scores of constant predictions", title_justify="left")
    techniques = [f"tech. top-{n} {average}-F1" for n in (1, TOP_TECHNIQUES) for average in ("micro", "macro")]
    for header in ("language", "paragraphs", *techniques, "frames micro-F1", "genre macro-F1"):
        table.add_column(header, justify="left" if header == "language" else "right")
    for result in baselines:
        scores = result.scores()
        figures = (
            scores.techniques_top1.micro_f1,
            scores.techniques_top1.macro_f1,
            scores.techniques_top3.micro_f1,
            scores.techniques_top3.macro_f1,
            scores.frames.micro_f1,
            scores.genre.macro_f1,
        )
        table.add_row(result.language, str(len(result.gold.techniques)), *(f"{value:.4f}" for value in figures))
    return table


def _constants_table(baselines: list[Baseline]) -> Table:
    table = Table(title="Constants, most frequent in train first", title_justify="left")
    for header in ("language", f"top-{TOP_TECHNIQUES} techniques", "frames", "genre"):
        table.add_column(header)
    for result in baselines:
        constants = result.constants
        table.add_row(result.language, ", ".join(constants.techniques), ", ".join(constants.frames), constants.genre)
    return table
