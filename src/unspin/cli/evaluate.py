"""``unspin evaluate``: score predictions against gold labels with the official metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from ..evaluate import GenreReport, Report, SpanReport, Task, evaluate_files
from ._util import app, out_console


@app.command()
def evaluate(
    task: Annotated[Task, typer.Option(help="What to score: SemEval-2023 subtask 1, 2, 3, or character spans.")],
    gold: Annotated[Path, typer.Option(help="Gold label file (for spans: a span file or directory).")],
    pred: Annotated[Path, typer.Option(help="Predicted label file in the same format as --gold.")],
    articles: Annotated[
        Path | None,
        typer.Option(help="Spans only: subtask-3 article directory, to fix the short gold span ends."),
    ] = None,
    by_technique: Annotated[
        bool, typer.Option("--by-technique", help="Spans only: count overlaps only between spans of one technique.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Score predictions against gold labels with the official SemEval-2023 Task 3 metrics."""
    report = evaluate_files(task, gold, pred, articles_dir=articles, technique_aware=by_technique)
    if as_json:
        out_console.out(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), highlight=False)
    else:
        out_console.print(_table(report))


def _table(report: Report) -> Table:
    table = Table(title=f"unspin evaluate: {report.task}", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("", overflow="fold")  # a long label wraps; the numbers never shrink
    for header in ("precision", "recall", "F1", "support"):
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for row in _summary_rows(report):
        table.add_row(*row, style="bold")
    table.add_section()
    for score in report.per_label:
        table.add_row(score.label, *map(_number, (score.precision, score.recall, score.f1)), str(score.support))
    return table


def _summary_rows(report: Report) -> list[tuple[str, ...]]:
    if isinstance(report, SpanReport):
        name = "spans (by technique)" if report.technique_aware else "spans (any technique)"
        return [(name, *map(_number, (report.precision, report.recall, report.f1)), str(report.n_gold))]
    support = str(sum(score.support for score in report.per_label))
    macro = ("macro", "", "", _number(report.macro_f1), support)
    if isinstance(report, GenreReport):
        return [("accuracy", "", "", _number(report.accuracy), str(report.n_items)), macro]
    micro = (report.micro_precision, report.micro_recall, report.micro_f1)
    return [("micro", *map(_number, micro), support), macro]


def _number(value: float) -> str:
    return f"{value:.4f}"
