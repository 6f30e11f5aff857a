"""The web UI: paste, upload or link an article and see it highlighted; batch jobs with progress.

Plain HTML forms post to the routes here, which call what the REST API calls (its request
model and :func:`~unspin.server.routers.analyze.article_of`, the inference queue, the job and
analysis stores) and then redirect to the result's page. Everything works with the
keyboard and without JavaScript; ``ui.js`` only adds live job progress and small comforts.

The result page is the HTML report (:mod:`unspin.render.html`, the same context and
templates), extended with a navigation bar; its stylesheet and script are served from
``/ui/`` instead of inlined, so the server's Content-Security-Policy (``script-src 'self'``)
holds on every page and nothing in an article can run.

On a server with API keys a person signs in once with a key, which is then kept in an
HttpOnly, SameSite=Strict cookie and checked like the API's header on every request.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Coroutine, Mapping
from functools import cache
from http import HTTPStatus
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as FastApiPath
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.routing import APIRoute
from jinja2 import ChoiceLoader, Environment, PackageLoader
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..analysis import Analysis
from ..analyze import MAX_ARTICLE_CHARS
from ..article import Article
from ..corpus.views import build_dashboard
from ..errors import InputError, UnspinError
from ..formats.inputs import ReadOptions, read_documents
from ..formats.registry import INPUT_FORMATS, accept
from ..render.dashboard import dashboard_assets, dashboard_context
from ..render.html import (
    article_context,
    render_html,
    report_assets,
    report_environment,
)
from ..store.articles import get_analysis, list_articles
from ..taxonomy import GENRES, technique
from .deps import Caller, RuntimeDep, get_caller, get_inference
from .jobs import (
    ACTIVE,
    JOB_FORMATS,
    JobUrls,
    QuotaExceeded,
    complete_lines,
    complete_lines_end,
    display_name,
    public_job,
    read_prefix,
    upload_format,
)
from .problems import status_of
from .routers.analyze import AnalyzeRequest, analyse_article, read_article
from .routers.corpus import FilterDep
from .runtime import Runtime

KEY_COOKIE = "unspin_key"
RESULTS_LISTED = 100
JOBS_LISTED = 200
MAX_RESULT_NUMBER = 10**9
# A pasted article may hold the documented MAX_ARTICLE_CHARS in any script (up to 4 bytes
# each); longer ones reach the length check, which answers with the text kept in the form.
MAX_FORM_FIELD_BYTES = 4 * MAX_ARTICLE_CHARS + (1 << 16)
CORPUS_ARTICLES_LISTED = 25
_ARTICLE_FORMATS = ("text", "html")  # what the home page reads one article from
_HTML_SUFFIXES = INPUT_FORMATS["html"].suffixes
_BATCH_SUFFIXES = tuple(s for name in JOB_FORMATS if INPUT_FORMATS[name].detected for s in INPUT_FORMATS[name].suffixes)
_CSS = "text/css; charset=utf-8"
_JS = "text/javascript; charset=utf-8"
NDJSON = "application/x-ndjson"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class _PageRoute(APIRoute):
    """A route for people: errors become pages (a missing key leads to sign-in), not problem+json."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except StarletteHTTPException as exc:
                if exc.status_code == 401:
                    return _sign_in_redirect(request)
                detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
                return _error_page(request, exc.status_code, detail, exc.headers)
            except RequestValidationError:
                return _error_page(request, 404, "there is no page at this address")
            except UnspinError as exc:
                return _error_page(request, status_of(exc), str(exc))

        return page_handler


def _caller(request: Request, runtime: RuntimeDep) -> Caller:
    """The API's check (API key and rate limit), with the key from the sign-in cookie."""
    return get_caller(request, runtime, key=request.cookies.get(KEY_COOKIE))


UiCaller = Annotated[Caller, Depends(_caller)]
router = APIRouter(include_in_schema=False, route_class=_PageRoute)  # open to all: assets, signing in
pages = APIRouter(include_in_schema=False, route_class=_PageRoute, dependencies=[Depends(_caller)])


# ---------------------------------------------------------------------------- rendering


@cache
def _templates() -> Environment:
    """The report's environment (autoescape, filters), finding the UI's templates first."""
    report = report_environment()
    assert report.loader is not None
    return report.overlay(loader=ChoiceLoader([PackageLoader("unspin.server", "ui_templates"), report.loader]))


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _render(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
            headers: Mapping[str, str] | None = None) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    defaults = {"root": _root(request), "version": __version__, "csp": None, "section": None,
                "signed_in": runtime.keys is not None and KEY_COOKIE in request.cookies}
    page = _templates().get_template(template).render({**defaults, **context})
    return HTMLResponse(page, status_code=status, headers=headers)


def _error_page(request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    return _render(request, "error.html.j2", {"status": status, "phrase": HTTPStatus(status).phrase,
                                              "detail": detail}, status=status, headers=headers)


def _report_page(request: Request, analysis: Analysis, *, links: list[tuple[str, str]],
                 permalink: str | None = None) -> HTMLResponse:
    return _render(request, "analysis.html.j2",
                   {**article_context(analysis), "permalink": permalink, "links": links})


def _sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_path = target if request.method == "GET" else "/"
    response = RedirectResponse(f"{_root(request)}/signin?{urlencode({'next': next_path})}", status_code=303)
    response.delete_cookie(KEY_COOKIE, path=_cookie_path(request))
    return response


def _local_path(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/``: a sign-in never sends people elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _cookie_path(request: Request) -> str:
    return _root(request) or "/"


# ---------------------------------------------------------------------------- assets


@cache
def _assets() -> dict[str, tuple[bytes, str]]:
    css, js = report_assets()
    dashboard_css, dashboard_js, echarts = dashboard_assets()
    static = resources.files("unspin.server") / "ui_static"
    return {
        "report.css": (css.encode("utf-8"), _CSS),
        "report.js": (js.encode("utf-8"), _JS),
        "dashboard.css": (dashboard_css.encode("utf-8"), _CSS),
        "dashboard.js": (dashboard_js.encode("utf-8"), _JS),
        "echarts.min.js": (echarts.encode("utf-8"), _JS),
        "ui.css": ((static / "ui.css").read_bytes(), _CSS),
        "ui.js": ((static / "ui.js").read_bytes(), _JS),
        "icon.svg": ((static / "icon.svg").read_bytes(), "image/svg+xml"),
    }


@router.get("/ui/{name}")
def asset(name: str) -> Response:
    """The UI's stylesheets, scripts and icon (the report's own among them), shipped in the package."""
    found = _assets().get(name)
    if found is None:
        raise HTTPException(404, detail=f"no asset {name[:64]!r}")
    body, media_type = found
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


# ---------------------------------------------------------------------------- one article


@pages.get("/")
def home(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _home(request, runtime)


def _home(request: Request, runtime: Runtime, *, error: str | None = None, values: dict[str, str] | None = None,
          status: int = 200, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    fields = ("text", "title", "date", "source", "language", "url")
    form = {name: (values or {}).get(name, "") for name in fields}
    context = {"section": "analyze", "error": error, "form": form, "ready": runtime.ready,
               "load_error": runtime.load_error, "accept": accept(*_ARTICLE_FORMATS)}
    return _render(request, "home.html.j2", context, status=status, headers=headers)


@pages.post("/analyze")
async def analyze_form(request: Request, runtime: RuntimeDep, caller: UiCaller) -> Response:
    """Analyse the pasted text, the uploaded file or the URL of the home page's forms; redirect to the result."""
    async with request.form(max_files=1, max_fields=10, max_part_size=MAX_FORM_FIELD_BYTES) as form:
        values = {name: value for name, value in form.items() if isinstance(value, str)}
        try:
            article = await _article_of_form(form, values, runtime)
            analysis = await analyse_article(runtime, caller, get_inference(runtime), article)
        except (InputError, ValidationError) as exc:
            return _home(request, runtime, error=_message(exc), values=values, status=422)
        except HTTPException as exc:  # the model is not loaded yet, over budget, or shutting down
            return _home(request, runtime, error=str(exc.detail), values=values, status=exc.status_code,
                         headers=exc.headers)
    analysis_id = await run_in_threadpool(runtime.analyses.save, analysis.to_dict())
    return RedirectResponse(f"{_root(request)}/a/{analysis_id}", status_code=303)


async def _article_of_form(form: FormData, values: dict[str, str], runtime: Runtime) -> Article:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        return await run_in_threadpool(_uploaded_article, upload.filename, data, runtime.read_options)
    if values.get("url", "").strip():
        request = AnalyzeRequest(url=values["url"].strip())
    elif "text" in values:
        # Browsers send a textarea's line breaks as CRLF whatever was pasted: give the text back its own.
        given = {name: values.get(name, "").strip() or None for name in ("title", "date", "source", "language")}
        request = AnalyzeRequest.model_validate({"text": values["text"].replace("\r\n", "\n"), **given})
    else:
        raise InputError("paste an article, choose a file, or give a URL")
    return await read_article(runtime, request)


def _uploaded_article(filename: str, data: bytes, options: ReadOptions) -> Article:
    """One article from an uploaded file, read like a file of its kind; saved under a fixed name, never its own."""
    name = display_name(filename) or "upload"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _BATCH_SUFFIXES:
        raise InputError(f"{name} holds a batch of articles: start a job with it on the Jobs page")
    with tempfile.TemporaryDirectory(prefix="unspin-upload-") as folder:
        path = Path(folder) / ("article.html" if suffix in _HTML_SUFFIXES else "article.txt")
        path.write_bytes(data)
        [document] = list(read_documents([str(path)], options=options))
    if document.article is None:
        raise InputError(f"{name}: {document.reason}")
    return document.article.with_metadata(id=PurePosixPath(name).stem or None)


def _message(error: InputError | ValidationError) -> str:
    if isinstance(error, InputError):
        return str(error)
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        problems.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(problems)


@pages.get("/a/{analysis_id}")
async def analysis_page(analysis_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The permalink of a stored analysis: the HTML report, with links to share and download it."""
    analysis = Analysis.from_dict(json.loads(await _stored(runtime, analysis_id)))
    base = f"{_root(request)}/a/{analysis_id}"
    links = [("JSON", f"{base}/analysis.json"), ("HTML report", f"{base}/report.html")]
    return _report_page(request, analysis, links=links, permalink=str(request.url.replace(query="", fragment="")))


@pages.get("/a/{analysis_id}/analysis.json")
async def analysis_json(analysis_id: str, runtime: RuntimeDep) -> Response:
    return Response(await _stored(runtime, analysis_id), media_type="application/json",
                    headers=_attachment(f"unspin-{analysis_id}.json"))


@pages.get("/a/{analysis_id}/report.html")
async def analysis_report(analysis_id: str, runtime: RuntimeDep) -> Response:
    """The self-contained report file, as ``unspin analyze --format html`` writes it."""
    analysis = Analysis.from_dict(json.loads(await _stored(runtime, analysis_id)))
    return HTMLResponse(render_html(analysis), headers=_attachment(f"unspin-{analysis_id}.html"))


async def _stored(runtime: Runtime, analysis_id: str) -> bytes:
    stored = await run_in_threadpool(runtime.analyses.load, analysis_id)
    if stored is None:
        raise HTTPException(404, detail="no analysis at this address: check the link, it may be cut short")
    return stored


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


# ---------------------------------------------------------------------------- the corpus


@pages.get("/corpus")
def corpus_page(request: Request, runtime: RuntimeDep, filters: FilterDep) -> HTMLResponse:
    """The corpus dashboard of a slice; its filter form is a GET form, so it works without script too."""
    store = runtime.corpus
    articles = list_articles(store, filters, limit=CORPUS_ARTICLES_LISTED)
    context = dashboard_context(build_dashboard(store, filters), mode="web", link=f"{_root(request)}/corpus",
                                articles=articles)
    return _render(request, "corpus.html.j2", {**context, "section": "corpus"})


@pages.get("/corpus/articles/{article_id}")
def corpus_article_page(article_id: Annotated[int, FastApiPath(ge=1, le=2**62)], request: Request,
                        runtime: RuntimeDep) -> HTMLResponse:
    """A stored article's analysis, as the HTML report."""
    analysis = get_analysis(runtime.corpus, article_id)
    if analysis is None:
        raise HTTPException(404, detail=f"no article {article_id} in the corpus")
    return _report_page(request, analysis, links=[("Back to the corpus", f"{_root(request)}/corpus")])


# ---------------------------------------------------------------------------- batch jobs


@pages.get("/jobs")
def jobs_page(request: Request, runtime: RuntimeDep, caller: UiCaller) -> HTMLResponse:
    return _jobs(request, runtime, caller)


def _jobs(request: Request, runtime: Runtime, caller: Caller, *, error: str | None = None, urls: str = "",
          status: int = 200) -> HTMLResponse:
    states, _ = runtime.jobs.page(caller.owner, limit=JOBS_LISTED)
    jobs = [_job_view(s) for s in states]
    formats = [(name, INPUT_FORMATS[name].title) for name in JOB_FORMATS]
    return _render(request, "jobs.html.j2", {"section": "jobs", "jobs": jobs, "error": error, "urls": urls,
                                             "accept": accept(*JOB_FORMATS), "formats": formats}, status=status)


@pages.post("/jobs")
async def create_job(request: Request, runtime: RuntimeDep, caller: UiCaller) -> Response:
    """Queue a batch from the jobs page: an uploaded JSONL/CSV/TSV file or pasted URLs; redirect to its page."""
    async with request.form(max_files=1, max_fields=4) as form:
        urls = form.get("urls")
        urls = urls if isinstance(urls, str) else ""
        try:
            state = await _create_job(form, urls, runtime, caller)
        except QuotaExceeded as exc:
            return _jobs(request, runtime, caller, error=str(exc), urls=urls, status=413)
        except (InputError, ValidationError) as exc:
            return _jobs(request, runtime, caller, error=_message(exc), urls=urls, status=422)
    if runtime.worker is not None:
        runtime.worker.wake()
    return RedirectResponse(f"{_root(request)}/jobs/{state['id']}", status_code=303)


async def _create_job(form: FormData, urls: str, runtime: Runtime, caller: Caller) -> dict[str, Any]:
    upload = form.get("file")
    if urls.strip():
        listed = _url_list(urls)
        data = io.BytesIO("".join(f"{url}\n" for url in listed.urls).encode("utf-8"))
        return await run_in_threadpool(lambda: runtime.jobs.create(data, "urls", owner=caller.owner))
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError("choose a JSONL, CSV or TSV file, or paste URLs, one a line")
    declared = form.get("format")
    name = display_name(upload.filename)
    fmt = upload_format(declared if isinstance(declared, str) and declared else "auto", name,
                         upload.content_type, await upload.read(64))
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
        raise InputError(f"not an http(s) URL: {', '.join(wrong[:3])}{' …' if len(wrong) > 3 else ''}") from exc


def _job_state(runtime: Runtime, caller: Caller, job_id: str) -> dict[str, Any]:
    state = runtime.jobs.owned(job_id, caller.owner)
    if state is None:
        raise HTTPException(404, detail="no job at this address: check the link, it may be cut short")
    return state


def _job_view(state: dict[str, Any]) -> dict[str, Any]:
    """The API's view of a job, with the few words a page (and ``ui.js``) shows for it."""
    job = public_job(state)
    total = f" of {job['total']}" if job["total"] is not None else ""
    return {
        **job,
        "title": job["name"] or f"Job {job['id'][:8]}",
        "active": job["status"] in ACTIVE,
        "percent": f"{job['progress']:.0%}" if job["progress"] is not None else "",
        "counts": f"{job['done']}{total} documents handled: {job['analysed']} analysed, "
                  f"{job['failed']} failed, {job['duplicates']} duplicates",
    }


@pages.get("/jobs/{job_id}")
def job_page(job_id: str, request: Request, runtime: RuntimeDep, caller: UiCaller) -> HTMLResponse:
    """A job's progress (live with ``ui.js``), its downloads, and its first results, each with a page."""
    job = _job_view(_job_state(runtime, caller, job_id))
    rows, more = ([], False) if job["active"] else _result_rows(runtime.jobs.results_path(job["id"]))
    return _render(request, "job.html.j2", {"section": "jobs", "job": job, "results": rows, "more": more})


@pages.get("/jobs/{job_id}/status")
def job_status(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> JSONResponse:
    """What ``ui.js`` polls while a job runs."""
    return JSONResponse(_job_view(_job_state(runtime, caller, job_id)), headers={"Cache-Control": "no-store"})


@pages.get("/jobs/{job_id}/results.jsonl")
def job_results(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> StreamingResponse:
    state = _job_state(runtime, caller, job_id)
    return _download(runtime.jobs.results_path(state["id"]), f"unspin-job-{state['id']}-results.jsonl")


@pages.get("/jobs/{job_id}/errors.jsonl")
def job_errors(job_id: str, runtime: RuntimeDep, caller: UiCaller) -> StreamingResponse:
    state = _job_state(runtime, caller, job_id)
    return _download(runtime.jobs.errors_path(state["id"]), f"unspin-job-{state['id']}-errors.jsonl")


def _download(path: Path, filename: str) -> StreamingResponse:
    return StreamingResponse(read_prefix(path, complete_lines_end(path)), media_type=NDJSON,
                             headers=_attachment(filename))


@pages.get("/jobs/{job_id}/results/{number}")
def job_result_page(job_id: str, number: int, request: Request, runtime: RuntimeDep,
                    caller: UiCaller) -> HTMLResponse:
    """The report of one result of a job (numbered from 1, in the order of the results file)."""
    state = _job_state(runtime, caller, job_id)
    if not 1 <= number <= MAX_RESULT_NUMBER:
        raise HTTPException(422, detail=f"result numbers go from 1 to at most {MAX_RESULT_NUMBER:,}")
    line = runtime.jobs.result_line(state["id"], number)
    if line is None:
        raise HTTPException(404, detail=f"the job has no result {number} (yet)")
    job_link = f"{_root(request)}/jobs/{state['id']}"
    return _report_page(request, Analysis.from_dict(json.loads(line)), links=[("Back to the job", job_link)])


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
        rows.append({
            "number": number,
            "title": article.get("title") or article.get("id") or f"Document {number}",
            "genre": GENRES[genre].name if genre in GENRES else genre,
            "spans": summary["spans"],
            "techniques": [technique(label).name for label, _ in ranked],
        })
    return rows, False


# ---------------------------------------------------------------------------- signing in (servers with keys)


@router.get("/signin")
def sign_in_page(request: Request, runtime: RuntimeDep, next: str = "/") -> Response:
    if runtime.keys is None:
        return RedirectResponse(f"{_root(request)}/", status_code=303)
    return _render(request, "signin.html.j2", {"next": _local_path(next), "error": None})


@router.post("/signin")
async def sign_in(request: Request, runtime: RuntimeDep) -> Response:
    """Check the key like the API does; keep it in a cookie the page's scripts cannot read."""
    async with request.form(max_files=0, max_fields=2) as form:
        key, next_path = str(form.get("key") or "").strip(), _local_path(str(form.get("next") or "/"))
    if runtime.keys is None:
        return RedirectResponse(f"{_root(request)}/", status_code=303)
    try:
        get_caller(request, runtime, key=key)
    except HTTPException as exc:
        if exc.status_code != 401:
            raise
        return _render(request, "signin.html.j2", {"next": next_path, "error": exc.detail}, status=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path=_cookie_path(request))
    return response


@router.post("/signout")
def sign_out(request: Request) -> RedirectResponse:
    response = RedirectResponse(f"{_root(request)}/signin", status_code=303)
    response.delete_cookie(KEY_COOKIE, path=_cookie_path(request))
    return response


router.include_router(pages)  # last: including copies the routes defined so far
