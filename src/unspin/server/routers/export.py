"""``/v1/export``: reviews in the formats annotation teams use (:mod:`unspin.review.formats`).

``format=semeval`` answers a zip of SemEval-2023 Task 3 files (the folder ``unspin review
export`` writes), ``labelstudio`` a JSON list of Label Studio tasks (the labelling config
they fit is ``/v1/export/labelstudio-config``), ``jsonl`` the reviewed articles as JSON
Lines, streamed.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ...review.formats import (
    DEFAULT_TASKS,
    MAX_TASKS,
    Reviewed,
    jsonl_lines,
    labelstudio_config,
    labelstudio_tasks,
    write_semeval,
)
from ...review.formats.labelstudio import Task
from ...review.formats.stored import reviewed_in_store, unreviewed_in_store
from ...review.model import ReviewStatus
from ..deps import get_caller
from ..problems import problem_responses
from .corpus import FilterDep, StoreDep

router = APIRouter(
    prefix="/v1/export",
    tags=["reviews"],
    dependencies=[Depends(get_caller)],
    responses=problem_responses(401, 422, 429, 503),
)

NDJSON = "application/x-ndjson"
ZIP = "application/zip"
_CHUNK = 1 << 16
_SPOOL = 16 << 20  # a zip up to this size stays in memory


@router.get(
    "",
    summary="Export reviews as SemEval files (zip), Label Studio tasks (JSON) or JSON Lines",
    response_class=Response,
    responses={
        200: {
            "description": "The reviews, as an attachment.",
            "content": {
                ZIP: {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                NDJSON: {"schema": {"type": "string"}},
            },
        },
        **problem_responses(404),
    },
)
def export_reviews(
    store: StoreDep,
    filters: FilterDep,
    format: Annotated[
        Literal["semeval", "labelstudio", "jsonl"],
        Query(description="semeval (a zip of SemEval-2023 Task 3 files), labelstudio or jsonl."),
    ],
    reviewer: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$", description="Only this reviewer's."),  # no NUL
    ] = None,
    status: Annotated[
        list[ReviewStatus],
        Query(
            max_length=3,
            description="Only these statuses (repeat); with labelstudio, unreviewed adds stored articles "
            "without a review (by `reviewer`, or anyone) as tasks to annotate: `limit` of them, the least certain "
            "first, from the slice the corpus filters name.",
        ),
    ] = [],  # noqa: B006
    limit: Annotated[
        int, Query(ge=1, le=MAX_TASKS, description="Unreviewed articles exported as tasks, at most.")
    ] = DEFAULT_TASKS,
) -> Response:
    """Reviewed articles with the model's analyses they judged; SemEval files need one reviewer per article.

    With `format=labelstudio&status=unreviewed`, the `limit` least certain unreviewed articles of the slice
    (`source`, `language`, `technique`, `date_from`, `date_to`, `model`) come as tasks to annotate too; the
    `X-Unreviewed-Total` header says how many the slice has.
    """
    statuses = status or None
    if format == "jsonl":
        return StreamingResponse(
            _lines(reviewed_in_store(store, reviewer=reviewer, statuses=statuses)),
            media_type=NDJSON,
            headers=_attachment("unspin-reviews.jsonl"),
        )
    items = list(reviewed_in_store(store, reviewer=reviewer, statuses=statuses))
    if format == "labelstudio":
        headers = _attachment("unspin-reviews.labelstudio.json")
        unreviewed: list[Task] = []
        if "unreviewed" in status:
            tasks, total = unreviewed_in_store(store, reviewer=reviewer, filters=filters, limit=limit)
            unreviewed = list(tasks)
            headers["X-Unreviewed-Total"] = str(total)
        return JSONResponse(labelstudio_tasks([*items, *unreviewed]), headers=headers)
    if not items:
        raise HTTPException(404, detail="no reviews to export")
    archive = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 (closed by the stream)
    try:
        with tempfile.TemporaryDirectory(prefix="unspin-export-") as scratch:
            folder = Path(scratch) / "unspin-reviews"
            write_semeval(items, folder)
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        zipped.write(path, str(path.relative_to(folder.parent)))
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return StreamingResponse(_chunks(archive), media_type=ZIP, headers=_attachment("unspin-reviews-semeval.zip"))


@router.get(
    "/labelstudio-config",
    summary="The Label Studio labelling config that exported tasks fit",
    response_class=Response,
    responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}}},
)
def labelstudio_labelling_config() -> Response:
    """The labelling interface (XML): the 23 techniques as span labels, paragraph techniques, frames and genre."""
    return Response(labelstudio_config(), media_type="application/xml", headers=_attachment("unspin-labelstudio.xml"))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _lines(items: Iterator[Reviewed]) -> Iterator[bytes]:
    for line in jsonl_lines(items):
        yield line.encode("utf-8")


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(_CHUNK):
            yield chunk
    finally:
        handle.close()
