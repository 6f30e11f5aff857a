"""``unspin review``: reviews out of the corpus store in the formats annotation teams use, and back in.

``export`` writes SemEval-2023 Task 3 files (a folder that ``unspin evaluate`` scores),
Label Studio tasks (with the labelling config beside them) or JSON Lines; ``import`` reads
them back as reviews, all or nothing (:mod:`unspin.review.formats`).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..files import write_text
from ._util import (
    AsJson,
    DateFrom,
    DateTo,
    Db,
    Languages,
    Model,
    Sources,
    Techniques,
    app,
    corpus_filter,
    database_files,
    err_console,
    fail,
    open_store,
    out_console,
    refuse_overwriting_inputs,
    show_rows,
    warn,
)

if TYPE_CHECKING:
    from ..review.formats import Reviewed
    from ..review.formats.labelstudio import Task
    from ..store import Store

review_app = typer.Typer(help="Export reviews for annotation tools and import their annotations.", no_args_is_help=True)
app.add_typer(review_app, name="review")


class Format(str, Enum):
    semeval = "semeval"
    labelstudio = "labelstudio"
    jsonl = "jsonl"


class Status(str, Enum):
    unreviewed = "unreviewed"
    in_progress = "in_progress"
    done = "done"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="semeval (a folder of SemEval-2023 Task 3 files), labelstudio (Label Studio JSON tasks) or jsonl "
        "(the Analysis schema with a review layer, every field kept).",
        show_default=False,
    ),
]


@review_app.command()
def export(
    format: FormatOption,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="semeval: a new or empty folder; labelstudio: the tasks' JSON file (the labelling config is "
            "written beside it as NAME-config.xml); jsonl: the file.",
            show_default=False,
        ),
    ],
    db: Db = None,
    reviewer: Annotated[str | None, typer.Option(help="Only this reviewer's reviews.", show_default=False)] = None,
    status: Annotated[
        list[Status] | None,
        typer.Option(
            "--status",
            help="Only reviews with this status (repeatable), e.g. done; unreviewed adds the stored articles "
            "without a review (by --reviewer, or anyone) as Label Studio tasks to annotate.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="With --status unreviewed: at most this many unreviewed articles (default 100, up to 5,000), "
            "the least certain first (the review queue's order).",
            show_default=False,
        ),
    ] = None,
    source: Sources = None,
    language: Languages = None,
    technique: Techniques = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
) -> None:
    """Write reviewed articles (with the model's analyses they judged) for annotation tools or evaluation.

    With --status unreviewed, the corpus options (--source, --language, --technique, --from, --to,
    --model) choose which unreviewed articles become Label Studio tasks.
    """
    written = {"--out": out, "the labelling config": _config_path(out) if format is Format.labelstudio else None}
    refuse_overwriting_inputs(written, database_files(db))
    from ..review.formats import DEFAULT_TASKS
    from ..review.formats.stored import unreviewed_in_store

    wants_unreviewed = bool(status) and Status.unreviewed in (status or [])
    unreviewed: list[Task] = []
    with open_store(db) as store:
        items = _reviewed(store, reviewer, status)
        if wants_unreviewed:
            filters = corpus_filter(source, language, technique, date_from, date_to, model)
            tasks, total = unreviewed_in_store(store, reviewer=reviewer, filters=filters, limit=limit or DEFAULT_TASKS)
            unreviewed = list(tasks)
            if total > len(unreviewed):
                warn(
                    f"{total:,} unreviewed articles match; the {len(unreviewed):,} least certain are exported (--limit)"
                )
    if unreviewed and format is not Format.labelstudio:
        warn(f"left out {len(unreviewed):,} unreviewed article(s): only Label Studio tasks can be unreviewed")
        unreviewed = []
    if not items and not unreviewed:
        raise fail("no reviews to export" + (f" by {reviewer}" if reviewer else "") + _statuses(status))
    if format is Format.semeval:
        _export_semeval(items, out)
    elif format is Format.labelstudio:
        _export_labelstudio([*items, *unreviewed], out)
    else:
        _export_jsonl(items, out)


@review_app.command()
def queue(
    reviewer: Annotated[
        str | None,
        typer.Option(
            help="Whose statuses the list shows (default: $UNSPIN_REVIEWER, else your login name).", show_default=False
        ),
    ] = None,
    status: Annotated[
        list[Status] | None,
        typer.Option(
            "--status",
            help="Only articles whose review by the reviewer has this status (repeatable).",
            show_default=False,
        ),
    ] = None,
    min_confidence: Annotated[float | None, typer.Option(min=0.0, max=1.0, show_default=False)] = None,
    max_confidence: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Confidence range (inclusive); leaves out articles without labels.",
            show_default=False,
        ),
    ] = None,
    assigned_to: Annotated[
        str | None, typer.Option(help="Only articles assigned to this reviewer.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    technique: Techniques = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
) -> None:
    """The review queue: stored articles, the least certain first, with the reviewer's status."""
    from ..review.identity import local_reviewer
    from ..review.queue import review_queue

    with open_store(db) as store:
        page = review_queue(
            store,
            reviewer or local_reviewer(),
            corpus_filter(source, language, technique, date_from, date_to, model),
            statuses=[s.value for s in status] if status else None,
            min_confidence=min_confidence,
            max_confidence=max_confidence,
            assigned_to=assigned_to,
            limit=limit,
            offset=offset,
        )
    if as_json:
        out_console.out(page.model_dump_json(indent=2), highlight=False)
        return
    columns = ["id", "confidence", "labels", "status", "source", "language", "date", "title"]
    shown = f"{offset + 1:,} to {offset + len(page.items):,} of {page.total:,}" if page.items else f"{page.total:,}"
    show_rows(page.items, columns, False, f"review queue of {page.reviewer}: {shown} (model {page.model or '-'})")


@review_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="The folder (semeval) or file (labelstudio, jsonl) to read.")],
    format: FormatOption,
    db: Db = None,
    reviewer: Annotated[
        str | None,
        typer.Option(
            help="Whose reviews these are: needed for semeval; for labelstudio each annotation's annotator by "
            "default; for jsonl each line's reviewer by default.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Read reviews back into the store: every one, or none when any item is malformed or already reviewed."""
    from ..review.formats import read_jsonl, read_labelstudio, read_semeval
    from ..review.formats.stored import save_reviews, store_lookup

    if format is Format.semeval and not reviewer:
        raise fail("SemEval files do not name a reviewer: give --reviewer", code=2)
    if reviewer is not None and not 1 <= len(reviewer.strip()) <= 200:
        raise fail("--reviewer is a name of 1 to 200 characters", code=2)
    with open_store(db) as store:
        lookup = store_lookup(store)
        if format is Format.semeval:
            items = read_semeval(path, reviewer or "", lookup)
        elif format is Format.labelstudio:
            items = read_labelstudio(path, reviewer, lookup)
        else:
            items = read_jsonl(path, reviewer, lookup)
        count = save_reviews(store, items, str(path))
    reviewers = sorted({review.reviewer for _, _, review in items})
    by = f" by {', '.join(reviewers)}" if reviewers else ""
    err_console.print(f"imported {count:,} review{'s' if count != 1 else ''}{by} from {path}")


def _reviewed(store: Store, reviewer: str | None, status: list[Status] | None) -> list[Reviewed]:
    from ..review.formats.stored import reviewed_in_store

    statuses = [s.value for s in status] if status else None
    return list(reviewed_in_store(store, reviewer=reviewer, statuses=statuses))  # type: ignore[arg-type]


def _statuses(status: list[Status] | None) -> str:
    return f" with status {' or '.join(s.value for s in status)}" if status else ""


def _config_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}-config.xml")


def _export_semeval(items: list[Reviewed], out: Path) -> None:
    from ..review.formats import write_semeval

    result = write_semeval(items, out)
    err_console.print(f"wrote {len(result.ids):,} reviewed articles to {out} as SemEval-2023 Task 3 files")
    if result.with_model:
        gold, pred = out / "labels-subtask-3.txt", out / "model" / "labels-subtask-3.txt"
        err_console.print(
            f"score the model against them: unspin evaluate --task techniques --gold {gold} --pred {pred}"
        )


def _export_labelstudio(items: list[Task], out: Path) -> None:
    from ..review.formats import labelstudio_config, labelstudio_tasks

    tasks = labelstudio_tasks(items)
    write_text(out, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    write_text(_config_path(out), labelstudio_config())
    reviews = sum(1 for _, _, review in items if review is not None)
    err_console.print(
        f"wrote {len(tasks):,} Label Studio tasks ({reviews:,} reviews as annotations) to {out}, "
        f"and the labelling config to {_config_path(out)}"
    )


def _export_jsonl(items: list[Reviewed], out: Path) -> None:
    from ..review.formats import jsonl_lines

    write_text(out, "".join(jsonl_lines(items)))
    err_console.print(f"wrote {len(items):,} reviewed articles to {out}")
