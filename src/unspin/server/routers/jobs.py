"""Batch jobs: ``POST /v1/jobs`` (an upload or a URL list), progress, and streamed results."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from ...errors import InputError
from ...files import complete_end
from ...store.ingest import ImportStats
from ..deps import RETRY_WHILE_LOADING, CallerDep, RuntimeDep, get_caller
from ..jobs import (
    ACTIVE,
    JOB_FORMATS,
    Export,
    ExportTooLarge,
    JobFormat,
    JobStatus,
    JobUrls,
    QuotaExceeded,
    display_name,
    public_job,
    read_prefix,
    upload_format,
)
from ..problems import problem_responses
from ..runtime import Runtime
from ._options import Categories, Threshold, category_keys

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Depends(get_caller)])
NDJSON = "application/x-ndjson"
MAX_LISTED = 500
ResultFormat = Literal["jsonl", "csv", "spans.csv", "zip"]
EXPORT_MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "spans.csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


class JobOptions(BaseModel):
    threshold: float | None
    categories: list[str] | None


class JobLinks(BaseModel):
    self: str
    results: str
    errors: str
    cancel: str = Field(description="POST: stop the job, keeping its results so far.")
    store: str = Field(description="POST: add a finished job's results to the corpus.")


class Job(BaseModel):
    """A batch job and its progress."""

    id: str
    status: JobStatus = Field(
        description="queued, running, done, failed (the job itself; failed documents are counted in `failed`), "
        "or cancelled (by `POST /v1/jobs/{id}/cancel`; the results so far are kept)."
    )
    format: JobFormat
    name: str | None = Field(description="The uploaded file's name, as given.")
    created: str
    started: str | None
    finished: str | None
    total: int | None = Field(description="Documents in the input, when known.")
    done: int = Field(description="Documents handled so far: analysed, failed or duplicate.")
    analysed: int
    failed: int
    duplicates: int
    progress: float | None = Field(description="done / total, between 0 and 1, when the total is known.")
    options: JobOptions
    error: str | None = Field(description="Why the job stopped, when it failed.")
    links: JobLinks


class StoredResults(BaseModel):
    """What storing a job's results in the corpus did."""

    added: int = Field(description="Analyses added to the corpus.")
    skipped: int = Field(description="Analyses the corpus held already (same text, same model): none is stored twice.")
    unreadable: int = Field(description="Lines of the results that are not analyses, skipped.")
    links: dict[str, str] = Field(description="`dashboard`: the corpus dashboard's data, `GET /v1/corpus/dashboard`.")


class JobList(BaseModel):
    jobs: list[Job]
    total: int = Field(description="Your jobs in all; page through them with `offset`.")
    next: str | None = Field(description="The next page, when there is one.")


_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "JSON Lines (one article object a line), CSV or TSV with a header row, "
                        "or a list of URLs one a line.",
                    },
                    "format": {
                        "type": "string",
                        "enum": ["auto", *JOB_FORMATS],
                        "default": "auto",
                        "description": "auto: by the file name's suffix, its content type, or its first byte.",
                    },
                },
            }
        },
        "application/json": {"schema": JobUrls.model_json_schema()},
    },
}


@router.post(
    "",
    status_code=202,
    response_model=Job,
    summary="Start a batch job",
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={
        202: {"headers": {"Location": {"schema": {"type": "string"}, "description": "/v1/jobs/{id}"}}},
        **problem_responses(400, 401, 413, 415, 422, 429, 503),
    },
)
async def create_job(
    request: Request, runtime: RuntimeDep, caller: CallerDep, threshold: Threshold = None, categories: Categories = None
) -> JSONResponse:
    """Queue a batch: a JSONL, CSV or TSV upload (multipart field `file`), or `{"urls": [...]}`.

    Records use the fields text (or content, body), id, title, date, source, url and
    language. The job runs in the background; poll `GET /v1/jobs/{id}` and read
    `GET /v1/jobs/{id}/results`. Jobs survive a server restart.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    refuse_without_model(runtime)
    options: dict[str, Any] = {"owner": caller.owner, "threshold": threshold, "categories": category_keys(categories)}
    try:
        if media_type == "multipart/form-data":
            state = await _create_from_upload(request, runtime, options)
        elif media_type == "application/json":
            urls = _parse_urls(await request.body())
            data = io.BytesIO("".join(f"{url}\n" for url in urls).encode("utf-8"))
            state = await run_in_threadpool(lambda: runtime.jobs.create(data, "urls", **options))
        else:
            raise HTTPException(
                415, detail="send a file as multipart/form-data (field 'file'), or application/json {\"urls\": [...]}"
            )
    except QuotaExceeded as exc:
        raise HTTPException(413, detail=str(exc)) from exc
    if runtime.worker is not None:
        runtime.worker.wake()
    return JSONResponse(public_job(state), status_code=202, headers={"Location": f"/v1/jobs/{state['id']}"})


def refuse_without_model(runtime: Runtime) -> None:
    """503 on a server whose model failed to load: a job queued there would wait for ever."""
    if runtime.load_error:
        raise HTTPException(
            503,
            detail=f"the model could not be loaded: {runtime.load_error}",
            headers={"Retry-After": RETRY_WHILE_LOADING},
        )


async def _create_from_upload(request: Request, runtime: RuntimeDep, options: dict[str, Any]) -> dict[str, Any]:
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InputError("send the batch as a file in the form field 'file'")
        declared = form.get("format")
        if declared is not None and not isinstance(declared, str):
            raise InputError("the form field 'format' must be text")
        name = display_name(upload.filename)
        fmt = upload_format(declared or "auto", name, upload.content_type, await upload.read(64))
        await upload.seek(0)
        return await run_in_threadpool(lambda: runtime.jobs.create(upload.file, fmt, name=name, **options))


def _parse_urls(body: bytes) -> list[str]:
    try:
        return JobUrls.model_validate_json(body).urls
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc


def _job(runtime: RuntimeDep, caller: CallerDep, job_id: str) -> dict[str, Any]:
    """The caller's job; another key's job is as absent as a job that never was."""
    state = runtime.jobs.owned(job_id, caller.owner)
    if state is None:
        raise HTTPException(404, detail=f"no job {job_id[:64]!r} of yours; job ids come from POST /v1/jobs")
    return state


@router.get("", response_model=JobList, summary="List your jobs", responses=problem_responses(401, 422, 429))
def list_jobs(
    runtime: RuntimeDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED, description="Jobs a page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9, description="Jobs to skip.")] = 0,
) -> dict[str, Any]:
    """The jobs started with your API key (all jobs on a server without keys), newest first, a page at a time."""
    jobs, total = runtime.jobs.page(caller.owner, limit=limit, offset=offset)
    following = offset + limit
    return {
        "jobs": [public_job(s) for s in jobs],
        "total": total,
        "next": f"/v1/jobs?limit={limit}&offset={following}" if following < total else None,
    }


@router.get("/{job_id}", response_model=Job, summary="A job's progress", responses=problem_responses(401, 404, 429))
def get_job(job_id: str, runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    return public_job(_job(runtime, caller, job_id))


@router.delete(
    "/{job_id}",
    status_code=204,
    summary="Delete a job",
    response_class=Response,
    responses=problem_responses(401, 404, 429),
)
def delete_job(job_id: str, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """Delete a job with its input and results; a running job stops at its next document."""
    state = _job(runtime, caller, job_id)
    runtime.jobs.delete(state["id"])
    return Response(status_code=204)


@router.post(
    "/{job_id}/cancel",
    response_model=Job,
    summary="Cancel a job",
    responses=problem_responses(401, 404, 409, 429),
)
def cancel_job(job_id: str, runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    """Stop a queued or running job at its next document; its results so far stay, and it is never resumed.

    Cancelling a cancelled job changes nothing; a job that has finished is a 409 problem.
    """
    state = runtime.jobs.cancel(_job(runtime, caller, job_id)["id"])
    if state is None:
        raise HTTPException(404, detail=f"no job {job_id[:64]!r} of yours; it was deleted meanwhile")
    if state["status"] != "cancelled":
        raise HTTPException(409, detail=f"the job has finished ({state['status']}): nothing to cancel")
    return public_job(state)


@router.post(
    "/{job_id}/store",
    response_model=StoredResults,
    summary="Store a job's results in the corpus",
    responses=problem_responses(401, 404, 409, 429, 503),
)
def store_job(job_id: str, runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    """Add every analysis of a finished (or cancelled) job to the server's corpus store, as
    `unspin corpus import` would; a second request adds nothing. 409 while the job is queued or running."""
    stats, unreadable = store_results(runtime, _job(runtime, caller, job_id))
    return {
        "added": stats.added,
        "skipped": stats.skipped,
        "unreadable": unreadable,
        "links": {"dashboard": "/v1/corpus/dashboard"},
    }


def store_results(runtime: Runtime, state: dict[str, Any]) -> tuple[ImportStats, int]:
    """Import a finished job's results into the corpus: what was added and skipped, and how many lines were not
    analyses. 409 while the job runs: its last result may be half written."""
    if state["status"] in ACTIVE:
        raise HTTPException(409, detail=f"the job is {state['status']}: store its results once it has finished")
    path = runtime.jobs.results_path(state["id"])
    if not path.is_file():
        return ImportStats(), 0  # cancelled before its first result
    unreadable: list[str] = []
    with runtime.corpus_writes:
        stats = runtime.corpus.import_jsonl(path, on_error=lambda where, reason: unreadable.append(where))
    return stats, len(unreadable)


@router.get(
    "/{job_id}/results",
    summary="A job's results: JSON Lines, CSV or a zip of HTML reports",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The results finished so far (all of them once the job is done); `X-Job-Status` tells "
            "the job's status. `jsonl`: one analysis (the published schema) a line. `csv`: one row per article, "
            "`spans.csv`: one row per span, as `unspin analyze --format csv` writes them (UTF-8 with a BOM; a "
            "cell that a spreadsheet would run as a formula starts with `'`). `zip`: `reports/index.html` and "
            "one self-contained HTML report per article, as `--format html` writes a folder.",
            "content": {
                NDJSON: {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problem_responses(401, 404, 413, 422, 429),
    },
)
def job_results(
    job_id: str,
    runtime: RuntimeDep,
    caller: CallerDep,
    format: Annotated[ResultFormat, Query(description="jsonl, csv (articles), spans.csv, or zip (HTML reports).")] = (
        "jsonl"
    ),
) -> Response:
    state = _job(runtime, caller, job_id)
    if format == "jsonl":
        return _stream_lines(runtime.jobs.results_path(state["id"]), state)
    return export_response(runtime, state, format)


def export_response(runtime: Runtime, state: dict[str, Any], kind: Export) -> FileResponse:
    """A job's results as a file download, written into a temporary folder removed once sent."""
    folder = Path(tempfile.mkdtemp(prefix="unspin-export-"))
    try:
        path = runtime.jobs.export(state["id"], kind, folder)
    except ExportTooLarge as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(413, detail=str(exc)) from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=EXPORT_MEDIA_TYPES[kind],
        filename=f"unspin-job-{state['id']}-{path.name}",
        headers={"X-Job-Status": state["status"]},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.get(
    "/{job_id}/errors",
    summary="A job's failed documents as JSON Lines",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": '`{"name", "reason"}` a line for each document that could not be read or analysed.',
            "content": {NDJSON: {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 404, 429),
    },
)
def job_errors(job_id: str, runtime: RuntimeDep, caller: CallerDep) -> StreamingResponse:
    state = _job(runtime, caller, job_id)
    return _stream_lines(runtime.jobs.errors_path(state["id"]), state)


def _stream_lines(path: Path, state: dict[str, Any]) -> StreamingResponse:
    end = complete_end(path)
    return StreamingResponse(read_prefix(path, end), media_type=NDJSON, headers={"X-Job-Status": state["status"]})
