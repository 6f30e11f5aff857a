"""One article: the home page's forms (paste, upload, link) and the permalink of its analysis."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
)
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from ...analysis import Analysis
from ...analyzer import MAX_ARTICLE_CHARS
from ...article import Article
from ...errors import InputError
from ...formats.inputs import ReadOptions, read_documents
from ...formats.registry import INPUT_FORMATS, accept
from ...i18n import gettext as _
from ..deps import RuntimeDep, get_inference
from ..jobs import JOB_FORMATS, display_name
from ..routers.analyses import store_in_corpus
from ..routers.analyze import AnalyzeRequest, analyse_article, read_article
from ..runtime import Runtime
from .common import (
    UiCaller,
    download_links,
    json_file,
    message_of,
    pages_router,
    render,
    report_file,
    report_page,
    root_of,
)

# A pasted article may hold the documented MAX_ARTICLE_CHARS in any script (up to 4 bytes
# each); longer ones reach the length check, which answers with the text kept in the form.
MAX_FORM_FIELD_BYTES = 4 * MAX_ARTICLE_CHARS + (1 << 16)
ARTICLE_FORMATS = ("text", "html")  # what the home page reads one article from
HTML_SUFFIXES = INPUT_FORMATS["html"].suffixes
BATCH_SUFFIXES = tuple(s for name in JOB_FORMATS if INPUT_FORMATS[name].detected for s in INPUT_FORMATS[name].suffixes)

router = pages_router()


@router.get("/")
def home(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _home(request, runtime)


def _home(
    request: Request,
    runtime: Runtime,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    fields = ("text", "title", "date", "source", "language", "url")
    form = {name: (values or {}).get(name, "") for name in fields}
    context = {
        "section": "analyze",
        "error": error,
        "form": form,
        "ready": runtime.ready,
        "load_error": runtime.load_error,
        "accept": accept(*ARTICLE_FORMATS),
    }
    return render(request, "home.html.j2", context, status=status, headers=headers)


@router.post("/analyze")
async def analyze_form(request: Request, runtime: RuntimeDep, caller: UiCaller) -> Response:
    """Analyse the pasted text, the uploaded file or the URL of the home page's forms; redirect to the result."""
    async with request.form(max_files=1, max_fields=10, max_part_size=MAX_FORM_FIELD_BYTES) as form:
        values = {name: value for name, value in form.items() if isinstance(value, str)}
        try:
            article = await article_of_form(form.get("file"), values, runtime)
            analysis = await analyse_article(runtime, caller, get_inference(runtime), article)
        except (InputError, ValidationError) as exc:
            return _home(request, runtime, error=message_of(exc), values=values, status=422)
        except HTTPException as exc:  # the model is not loaded yet, over budget, or shutting down
            return _home(
                request, runtime, error=str(exc.detail), values=values, status=exc.status_code, headers=exc.headers
            )
    analysis_id = await run_in_threadpool(runtime.analyses.save, analysis.to_dict())
    return RedirectResponse(f"{root_of(request)}/a/{analysis_id}", status_code=303)


async def article_of_form(upload: object, values: Mapping[str, str], runtime: Runtime) -> Article:
    """The article of a form: an uploaded file, else a URL, else a pasted text (``values``: the form's text fields)."""
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
        raise InputError(_("paste an article, choose a file, or give a URL"))
    return await read_article(runtime, request)


def _uploaded_article(filename: str, data: bytes, options: ReadOptions) -> Article:
    """One article from an uploaded file, read like a file of its kind; saved under a fixed name, never its own."""
    name = display_name(filename) or "upload"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in BATCH_SUFFIXES:
        raise InputError(_("%(name)s holds a batch of articles: start a job with it on the Jobs page") % {"name": name})
    with tempfile.TemporaryDirectory(prefix="unspin-upload-") as folder:
        path = Path(folder) / ("article.html" if suffix in HTML_SUFFIXES else "article.txt")
        path.write_bytes(data)
        [document] = list(read_documents([str(path)], options=options))
    if document.article is None:
        raise InputError(f"{name}: {document.reason}")
    return document.article.with_metadata(id=PurePosixPath(name).stem or None)


@router.get("/a/{analysis_id}")
async def analysis_page(analysis_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The permalink of a stored analysis: the HTML report, with links to share and download it."""
    return _analysis_page(request, analysis_id, await _analysis(runtime, analysis_id))


@router.post("/a/{analysis_id}/store")
async def store_analysis(analysis_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """Store the analysis in the corpus (once: a second click stores nothing) and say where it went."""
    analysis = await _analysis(runtime, analysis_id)
    added, article_id = await run_in_threadpool(store_in_corpus, runtime, analysis)
    text = _("Stored in the corpus as article %(id)s.") if added else _("Already in the corpus as article %(id)s.")
    stored = {
        "text": text % {"id": article_id},
        "href": f"{root_of(request)}/corpus/articles/{article_id}",
        "label": _("Open it in the corpus"),
    }
    return _analysis_page(request, analysis_id, analysis, stored=stored)


def _analysis_page(
    request: Request, analysis_id: str, analysis: Analysis, *, stored: dict[str, str] | None = None
) -> HTMLResponse:
    base = f"{root_of(request)}/a/{analysis_id}"
    return report_page(
        request,
        analysis,
        links=download_links(f"{base}/analysis.json", f"{base}/report.html"),
        permalink=str(request.url_for("analysis_page", analysis_id=analysis_id)),
        store_url=f"{base}/store",
        stored=stored,
        review_action={"url": f"{base}/review", "method": "post"},
    )


@router.get("/a/{analysis_id}/analysis.json")
async def analysis_json(analysis_id: str, runtime: RuntimeDep) -> Response:
    return json_file(await _stored(runtime, analysis_id), f"unspin-{analysis_id}")


@router.get("/a/{analysis_id}/report.html")
async def analysis_report(analysis_id: str, runtime: RuntimeDep) -> Response:
    return report_file(await _stored(runtime, analysis_id), f"unspin-{analysis_id}")


async def _analysis(runtime: Runtime, analysis_id: str) -> Analysis:
    return Analysis.from_dict(json.loads(await _stored(runtime, analysis_id)))


async def _stored(runtime: Runtime, analysis_id: str) -> bytes:
    stored = await run_in_threadpool(runtime.analyses.load, analysis_id)
    if stored is None:
        raise HTTPException(404, detail=_("no analysis at this address: check the link, it may be cut short"))
    return stored
