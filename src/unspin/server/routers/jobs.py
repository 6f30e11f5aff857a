"""Batch jobs: ``POST /v1/jobs`` (an upload or a URL list), progress, and streamed results."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.datastructures import UploadFile

from ...errors import InputError
from ...formats.registry import INPUT_FORMATS
from ..deps import CallerDep, RuntimeDep, get_caller
from ..jobs import JOB_FORMATS, JobFormat, complete_lines_end, read_prefix
from ..problems import problem_responses
from ._options import Categories, Threshold, category_keys

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Depends(get_caller)])

MAX_URLS = 10_000
_DETECTED = [entry for name, entry in INPUT_FORMATS.items() if name in JOB_FORMATS and entry.detected]
_SUFFIX_FORMATS = {suffix: cast(JobFormat, entry.name) for entry in _DETECTED for suffix in entry.suffixes}
_MEDIA_FORMATS = {media_type: cast(JobFormat, entry.name) for entry in _DETECTED for media_type in entry.media_types}
NDJSON = "application/x-ndjson"

HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://\S+$")]


class JobUrls(BaseModel):
    """A batch of web pages to fetch and analyse."""

    model_config = ConfigDict(extra="forbid")
    urls: list[HttpUrl] = Field(min_length=1, max_length=MAX_URLS, description="http(s) URLs, one page each.")


class JobOptions(BaseModel):
    threshold: float | None
    categories: list[str] | None


class JobLinks(BaseModel):
    self: str
    results: str
    errors: str


class Job(BaseModel):
    """A batch job and its progress."""

    id: str
    status: Literal["queued", "running", "done", "failed"] = Field(
        description="queued, running, done, or failed (the job itself; failed documents are counted in `failed`).")
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


class JobList(BaseModel):
    jobs: list[Job]


def public_job(state: dict[str, Any]) -> dict[str, Any]:
    """The API's view of a job's state (without its owner)."""
    base = f"/v1/jobs/{state['id']}"
    total = state["total"]
    return {
        **{k: v for k, v in state.items() if k != "owner"},
        "progress": min(1.0, round(state["done"] / total, 4)) if total else (1.0 if state["status"] == "done" else None),
        "links": {"self": base, "results": f"{base}/results", "errors": f"{base}/errors"},
    }


_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "JSON Lines (one article object a line), CSV or TSV with a header row, "
                                        "or a list of URLs one a line."},
                "format": {"type": "string", "enum": ["auto", *JOB_FORMATS], "default": "auto",
                           "description": "auto: by the file name's suffix, its content type, or its first byte."},
            },
        }},
        "application/json": {"schema": JobUrls.model_json_schema()},
    },
}


@router.post("", status_code=202, response_model=Job, summary="Start a batch job",
             openapi_extra={"requestBody": _REQUEST_BODY},
             responses={202: {"headers": {"Location": {"schema": {"type": "string"},
                                                       "description": "/v1/jobs/{id}"}}},
                        **problem_responses(400, 401, 413, 415, 422, 429)})
async def create_job(request: Request, runtime: RuntimeDep, caller: CallerDep,
                     threshold: Threshold = None, categories: Categories = None) -> JSONResponse:
    """Queue a batch: a JSONL, CSV or TSV upload (multipart field `file`), or `{"urls": [...]}`.

    Records use the fields text (or content, body), id, title, date, source, url and
    language. The job runs in the background; poll `GET /v1/jobs/{id}` and read
    `GET /v1/jobs/{id}/results`. Jobs survive a server restart.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    options: dict[str, Any] = {"owner": caller.owner, "threshold": threshold, "categories": category_keys(categories)}
    if media_type == "multipart/form-data":
        state = await _create_from_upload(request, runtime, options)
    elif media_type == "application/json":
        urls = _parse_urls(await request.body())
        data = io.BytesIO("".join(f"{url}\n" for url in urls).encode("utf-8"))
        state = await run_in_threadpool(lambda: runtime.jobs.create(data, "urls", **options))
    else:
        raise HTTPException(415, detail="send a file as multipart/form-data (field 'file'), "
                                        "or application/json {\"urls\": [...]}")
    if runtime.worker is not None:
        runtime.worker.wake()
    return JSONResponse(public_job(state), status_code=202, headers={"Location": f"/v1/jobs/{state['id']}"})


async def _create_from_upload(request: Request, runtime: RuntimeDep, options: dict[str, Any]) -> dict[str, Any]:
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InputError("send the batch as a file in the form field 'file'")
        declared = form.get("format")
        if declared is not None and not isinstance(declared, str):
            raise InputError("the form field 'format' must be text")
        name = _display_name(upload.filename)
        fmt = _upload_format(declared or "auto", name, upload.content_type, await upload.read(64))
        await upload.seek(0)
        return await run_in_threadpool(lambda: runtime.jobs.create(upload.file, fmt, name=name, **options))


def _parse_urls(body: bytes) -> list[str]:
    try:
        return JobUrls.model_validate_json(body).urls
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc


def _display_name(filename: str | None) -> str | None:
    """The file's base name, only ever shown (never used as a path)."""
    if not filename:
        return None
    return PurePosixPath(filename.replace("\\", "/")).name[:200] or None


def _upload_format(declared: str, name: str | None, content_type: str | None, head: bytes) -> JobFormat:
    if declared in JOB_FORMATS:
        return declared  # type: ignore[return-value]
    if declared != "auto":
        raise InputError(f"format {declared[:40]!r}: use one of auto, {', '.join(JOB_FORMATS)}")
    suffix = PurePosixPath(name or "").suffix.lower()
    media_type = (content_type or "").split(";")[0].strip().lower()
    found = _SUFFIX_FORMATS.get(suffix) or _MEDIA_FORMATS.get(media_type)
    if found:
        return found
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    raise InputError(f"cannot tell the upload's format; name the file {_or(e.suffixes[0] for e in _DETECTED)}, "
                     f"or give format={_or(JOB_FORMATS)}")


def _or(items: Iterable[str]) -> str:
    """``a, b or c``."""
    *rest, last = items
    return f"{', '.join(rest)} or {last}" if rest else last


def _job(runtime: RuntimeDep, job_id: str) -> dict[str, Any]:
    state = runtime.jobs.get(job_id)
    if state is None:
        raise HTTPException(404, detail=f"no job {job_id[:64]!r}; job ids come from POST /v1/jobs")
    return state


@router.get("", response_model=JobList, summary="List your jobs", responses=problem_responses(401, 429))
def list_jobs(runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    """The jobs started with your API key (all jobs on a server without keys), newest first."""
    jobs = [public_job(s) for s in runtime.jobs.all() if s.get("owner") == caller.owner]
    return {"jobs": jobs[::-1]}


@router.get("/{job_id}", response_model=Job, summary="A job's progress", responses=problem_responses(401, 404, 429))
def get_job(job_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    return public_job(_job(runtime, job_id))


@router.get("/{job_id}/results", summary="A job's results as JSON Lines",
            response_class=StreamingResponse, responses={
                200: {"description": "One analysis (the published schema) a line; while the job runs, "
                                     "those finished so far. `X-Job-Status` tells the job's status.",
                      "content": {NDJSON: {"schema": {"type": "string"}}}},
                **problem_responses(401, 404, 429)})
def job_results(job_id: str, runtime: RuntimeDep) -> StreamingResponse:
    state = _job(runtime, job_id)
    return _stream_lines(runtime.jobs.results_path(state["id"]), state)


@router.get("/{job_id}/errors", summary="A job's failed documents as JSON Lines",
            response_class=StreamingResponse, responses={
                200: {"description": "`{\"name\", \"reason\"}` a line for each document that could not be "
                                     "read or analysed.", "content": {NDJSON: {"schema": {"type": "string"}}}},
                **problem_responses(401, 404, 429)})
def job_errors(job_id: str, runtime: RuntimeDep) -> StreamingResponse:
    state = _job(runtime, job_id)
    return _stream_lines(runtime.jobs.errors_path(state["id"]), state)


def _stream_lines(path: Any, state: dict[str, Any]) -> StreamingResponse:
    end = complete_lines_end(path)
    return StreamingResponse(read_prefix(path, end), media_type=NDJSON, headers={"X-Job-Status": state["status"]})
