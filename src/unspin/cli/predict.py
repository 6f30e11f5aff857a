"""``unspin predict``: official SemEval-2023 prediction files for a directory of articles."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..formats import semeval
from ._util import app, err_console, refuse_overwriting_inputs


class Task(str, Enum):
    techniques = "techniques"
    frames = "frames"
    genre = "genre"


@app.command()
def predict(
    task: Annotated[Task, typer.Option(help="Which subtask's file to write.")],
    articles: Annotated[Path, typer.Argument(help="Directory of SemEval article<ID>.txt files.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Prediction file to write.")],
    model: Annotated[Path | None, typer.Option(help="Model bundle directory (default: the shipped model).")] = None,
) -> None:
    """Write predictions in the official format, ready for `unspin evaluate` or the official scorer."""
    from ..analyzer import Analyzer

    refuse_overwriting_inputs({"--output": output}, semeval.article_paths(articles))
    documents = semeval.read_articles(articles)
    analyzer = Analyzer.from_bundle(model)
    analyses = analyzer.analyze_many(documents) if len(documents) < 8 else list(analyzer.pipe(documents))
    if task is Task.techniques:
        rows = {
            (semeval.article_id(a.article), p.number): [t.technique for t in p.techniques]
            for a in analyses
            for p in a.paragraphs
        }
        semeval.write_technique_labels(output, rows)
    elif task is Task.frames:
        semeval.write_frame_labels(
            output, {semeval.article_id(a.article): [f.label for f in a.frames] for a in analyses}
        )
    else:
        semeval.write_genre_labels(output, {semeval.article_id(a.article): a.genre for a in analyses})
    err_console.print(f"wrote {task.value} predictions for {len(analyses)} articles to {output}")
