"""Batch jobs: the list and upload form, a job's live progress, downloads and result pages."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from ...analysis import Analysis
from ...errors import InputError
from ...files import complete_end, complete_lines
from ...formats.registry import INPUT_FORMATS, accept
from ...i18n import N_, localized, ngettext
from ...i18n import gettext as _
from ...taxonomy import GENRES, technique
from ..deps import Caller, RuntimeDep
from ..jobs import (
    ACTIVE,
    JOB_FORMATS,
    JobUrls,
    QuotaExceeded,
    display_name,
    public_job,
    read_prefix,
    upload_format,
)
from ..routers.jobs import export_response, refuse_without_model, store_results
from ..runtime import Runtime
from .common import (
    UiCaller,
    attachment,
    download_links,
    format_count,
    format_fraction,
    json_file,
    message_of,
    pages_router,
    render,
    report_file,
    report_page,
    root_of,
)

RESULTS_LISTED = 100
JOBS_LISTED = 200
MAX_RESULT_NUMBER = 10**9
NDJSON = "application/x-ndjson"
# The words a page shows for a job's status (the API's values stay as they are, in data and CSS classes).
STATUS_WORDS = {
    "queued": N_("queued"),
    "running": N_("running"),
    "done": N_("done"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
}
# The format choices whose registry title is a phrase rather than a name.
FORMAT_TITLES = {"urls": N_("URLs, one a line")}

router = pages_router()


@router.get("/jobs")
def jobs_page(request: Request, runtime: RuntimeDep, caller: UiCaller) -> HTMLResponse:
    return _jobs(request, runtime, caller)


def _jobs(
    request: Request, runtime: Runtime, caller: Caller, *, error: str | None = None, urls: str = "", status: int = 200
) -> HTMLResponse:
    states, _count = runtime.jobs.page(caller.owner, limit=JOBS_LISTED)
    jobs = [_job_view(s) for s in states]
    formats = [
        (name, _(FORMAT_TITLES[name]) if name in FORMAT_TITLES else INPUT_FORMATS[name].title) for name in JOB_FORMATS
    ]
    return render(
        request,
        "jobs.html.j2",
        {
            "section": "jobs",
            "jobs": jobs,
            "error": error,
            "urls": urls,
            "accept": accept(*JOB_FORMATS),
            "formats": formats,
        },
        status=status,
    )


@router.post("/jobs")
async def create_job(request: Request, runtime: RuntimeDep, caller: UiCaller) -> Response:
    """Queue a batch from the jobs page: an uploaded JSONL/CSV/TSV file or pasted URLs; redirect to its page."""
    async with request.form(max_files=1, max_fields=4) as form:
        urls = form.get("urls")
        urls = urls if isinstance(urls, str) else ""
        try:
            refuse_without_model(runtime)
            state = await _create_job(form, urls, runtime, caller)
        except HTTPException as exc:  # the model failed to load
            return _jobs(request, runtime, caller, error=str(exc.detail), urls=urls, status=exc.status_code)
        except QuotaExceeded as exc:
            return _jobs(request, runtime, caller, error=str(exc), urls=urls, status=413)
        except (InputError, ValidationError) as exc:
            return _jobs(request, runtime, caller, error=message_of(exc), urls=urls, status=422)
    if runtime.worker is not None:
        runtime.worker.wake()
    return RedirectResponse(f"{root_of(request)}/jobs/{state['id']}", status_code=303)


async def _create_job(form: FormData, urls: str, runtime: Runtime, caller: Caller) -> dict[str, Any]:
    upload = form.get("file")
    if urls.strip():
        listed = _url_list(urls)
        data = io.BytesIO("".join(f"{url}\n" for url in listed.urls).encode("utf-8"))
        return await run_in_threadpool(lambda: runtime.jobs.create(data, "urls", owner=caller.owner))
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError(_("choose a JSONL, CSV or TSV file, or paste URLs, one a line"))
    declared = form.get("format")
    name = display_name(upload.filename)
    fmt = upload_format(
        declared if isinstance(declared, str) and declared else "auto", name, upload.content_type, await upload.read(64)
    )
    await upload.seek(0)
    return await run_in_threadpool(lambda: runtime.jobs.create(upload.file, fmt, name=name, owner=caller.owner))


def _url_list(text: str) -> JobUrls:
    """The pasted addresses, one a line (blank lines and ``#`` comments skipped), checked as the API checks them."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    try:
        return JobUrls(urls=lines)
    except ValidationError as exc:
        wrong = [str(e["input"])[:100] for e in exc.errors() if e["type"] == "string_pattern_mismatch"]
        if not wrong:
            raise
        listed = f"{', '.join(wrong[:3])}{' …' if len(wrong) > 3 else ''}"
        raise InputError(_("not an http(s) URL: %(urls)s") % {"urls": listed}) from exc


def _job_state(runtime: Runtime, caller: Caller, job_id: str) -> dict[str, Any]:
    state = runtime.jobs.owned(job_id, caller.owner)
    if state is None:
        raise HTTPException(404, detail=_("no job at this address: check the link, it may be cut short"))
    return state


def _job_view(state: dict[str, Any]) -> dict[str, Any]:
    """The API's view of a job, with the few words a page (and ``ui.js``) shows for it, in the interface language."""
    job = public_job(state)
    done, total = job["done"], job["total"]
    if total is None:
        handled = ngettext("%(done)s document handled", "%(done)s documents handled", done) % {
            "done": format_count(done)
        }
    else:
        handled = ngettext(
            "%(done)s of %(total)s document handled", "%(done)s of %(total)s documents handled", total
        ) % {"done": format_count(done), "total": format_count(total)}
    counts = _("%(handled)s: %(analysed)s analysed, %(failed)s failed, %(duplicates)s duplicates") % {
        "handled": handled,
        "analysed": format_count(job["analysed"]),
        "failed": format_count(job["failed"]),
        "duplicates": format_count(job["duplicates"]),
    }
    status = job["status"]
    return {
        **job,
        "title": job["name"] or _("Job %(id)s") % {"id": job["id"][:8]},
        "status_text": _(STATUS_WORDS[status]) if status in STATUS_WORDS else status,
        "active": status in ACTIVE,
        "percent": format_fraction(job["progress"]) if job["progress"] is not None else "",
        "counts": counts,
    }


@router.get("/jobs/{job_id}")
def job_page(job_id: str, request: Request, runtime: RuntimeDep, caller: UiCaller) -> HTMLResponse:
    """A job's progress (live with ``ui.js``), its downloads, and its first results, each with a page."""
    return _job_page(request, runtime, _job_state(runtime, caller, job_id))


@router.post("/jobs/{job_id}/store")
def store_job(job_id: str, request: Request, runtime: RuntimeDep, caller: UiCaller) -> HTMLResponse:
    """Store a finished job's results in the corpus (a second click stores nothing twice) and say where they went."""
    state = _job_state(runtime, caller, job_id)
    stats, unreadable = store_results(runtime, state)
    figures = {
        "added": format_count(stats.added),
        "skipped": format_count(stats.skipped),
        "unreadable": format_count(unreadable),
    }
    if unreadable:
        text = ngettext(
            "Stored in the corpus: %(added)s added, %(skipped)s already stored, %(unreadable)s unreadable line skipped.",
            "Stored in the corpus: %(added)s added, %(skipped)s already stored, %(unreadable)s unreadable lines skipped.",
            unreadable,
        )
    else:
        text = _("Stored in the corpus: %(added)s added, %(skipped)s already stored.")
    stored = {"text": text % figures, "href": f"{root_of(request)}/corpus", "label": _("Open the corpus dashboard")}
    return _job_page(request, runtime, state, stored=stored)


def _job_page(
    request: Request, runtime: Runtime, state: dict[str, Any], *, stored: dict[str, str] | None = None
) -> HTMLResponse:
    job = _job_view(state)
    rows, more = ([], False) if job["active"] else _result_rows(runtime.jobs.results_path(job["id"]))
    context = {"section": "jobs", "job": job, "results": rows, "more": more, "stored": stored}
    return render(request, "job.html.j2", context)


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, request: Request, runtime: RuntimeDep, caller: UiCaller) -> RedirectResponse:
    """Stop a queued or running job at its next document, keeping its results; back to its page."""
    runtime.jobs.cancel(_job_state(runtime, caller, job_id)["id"])
    return RedirectResponse(f"{root_of(request)}/jobs/{job_id}", status_code=303)


@router.get("/jobs/{job_id}/delete")
def confirm_delete_page(job_id: str, request: Request, runtime: RuntimeDep, caller: UiCaller) -> HTMLResponse:
    """The question before a job is deleted: a page, so that it works without script."""
    job = _job_view(_job_state(runtime, caller, job_id))
    return render(request, "job_delete.html.j2", {"section": "jobs", "job": job})


@router.post("/jobs/{job_id}/delete")
def delete_job(job_id: str, request: Request, runtime: RuntimeDep, caller: UiCaller) -> RedirectResponse:
    """Delete a job with its input and results (a running one stops at its next document); to the jobs list."""
    runtime.jobs.delete(_job_state(runtime, caller, job_id)["id"])
    return RedirectResponse(f"{root_of(request)}/jobs", status_code=303)


@router.get("/jobs/{job_id}/status")
def job_status(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> JSONResponse:
    """What ``ui.js`` polls while a job runs."""
    return JSONResponse(_job_view(_job_state(runtime, caller, job_id)), headers={"Cache-Control": "no-store"})


@router.get("/jobs/{job_id}/results.jsonl")
def job_results(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> StreamingResponse:
    state = _job_state(runtime, caller, job_id)
    return _download(runtime.jobs.results_path(state["id"]), f"unspin-job-{state['id']}-results.jsonl")


@router.get("/jobs/{job_id}/errors.jsonl")
def job_errors(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> StreamingResponse:
    state = _job_state(runtime, caller, job_id)
    return _download(runtime.jobs.errors_path(state["id"]), f"unspin-job-{state['id']}-errors.jsonl")


def _download(path: Path, filename: str) -> StreamingResponse:
    return StreamingResponse(read_prefix(path, complete_end(path)), media_type=NDJSON, headers=attachment(filename))


@router.get("/jobs/{job_id}/results.csv")
def job_results_csv(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> FileResponse:
    return export_response(runtime, _job_state(runtime, caller, job_id), "csv")


@router.get("/jobs/{job_id}/spans.csv")
def job_spans_csv(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> FileResponse:
    return export_response(runtime, _job_state(runtime, caller, job_id), "spans.csv")


@router.get("/jobs/{job_id}/reports.zip")
def job_reports(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> FileResponse:
    return export_response(runtime, _job_state(runtime, caller, job_id), "zip")


# The files of one result come before its page: "/results/3.json" would match "/results/{number}".


@router.get("/jobs/{job_id}/results/{number}.json")
def job_result_json(job_id: str, number: int, runtime: RuntimeDep, caller: UiCaller) -> Response:
    state, line = _result(runtime, caller, job_id, number)
    return json_file(line, f"unspin-job-{state['id']}-{number}")


@router.get("/jobs/{job_id}/results/{number}/report.html")
def job_result_report(job_id: str, number: int, runtime: RuntimeDep, caller: UiCaller) -> Response:
    state, line = _result(runtime, caller, job_id, number)
    return report_file(line, f"unspin-job-{state['id']}-{number}")


@router.get("/jobs/{job_id}/results/{number}")
def job_result_page(job_id: str, number: int, request: Request, runtime: RuntimeDep, caller: UiCaller) -> HTMLResponse:
    """The report of one result of a job (numbered from 1, in the order of the results file)."""
    state, line = _result(runtime, caller, job_id, number)
    job_link = f"{root_of(request)}/jobs/{state['id']}"
    result = f"{job_link}/results/{number}"
    return report_page(
        request,
        Analysis.from_dict(json.loads(line)),
        links=[*download_links(f"{result}.json", f"{result}/report.html"), (_("Back to the job"), job_link)],
        permalink=str(request.url.replace(query="", fragment="")),
        review_action={"url": f"{result}/review", "method": "post"},
    )


def _result(runtime: Runtime, caller: Caller, job_id: str, number: int) -> tuple[dict[str, Any], bytes]:
    """The caller's job and its result ``number`` (from 1, in the order of the results file)."""
    state = _job_state(runtime, caller, job_id)
    if not 1 <= number <= MAX_RESULT_NUMBER:
        raise HTTPException(
            422, detail=_("result numbers go from 1 to at most %(most)s") % {"most": format_count(MAX_RESULT_NUMBER)}
        )
    line = runtime.jobs.result_line(state["id"], number)
    if line is None:
        raise HTTPException(404, detail=_("the job has no result %(number)s (yet)") % {"number": number})
    return state, line


def _result_rows(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """The first results of a job as table rows, and whether there are more."""
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(complete_lines(path), start=1):
        if number > RESULTS_LISTED:
            return rows, True
        document = json.loads(line)
        article, summary = document["article"], document["summary"]
        ranked = sorted(summary["techniques"].items(), key=lambda kv: -kv[1])[:3]
        genre = document["genre"]["label"]
        rows.append(
            {
                "number": number,
                "title": article.get("title") or article.get("id") or _("Document %(number)s") % {"number": number},
                "genre": localized(GENRES[genre]).name if genre in GENRES else genre,
                "spans": summary["spans"],
                "techniques": [localized(technique(label)).name for label, _score in ranked],
            }
        )
    return rows, False
