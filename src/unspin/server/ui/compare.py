"""Two articles compared: the Compare page's form, its permalink, and two stored corpus articles side by side."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated

from fastapi import HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from ...analysis import Analysis
from ...compare import compare
from ...errors import InputError
from ...formats.registry import accept
from ...i18n import gettext as _
from ...render.html import comparison_context, render_comparison_html
from ...store.articles import get_analysis
from ..deps import RuntimeDep, get_inference
from ..language import LANGUAGE_PARAMETER
from ..routers.analyses import load_analysis
from ..routers.analyze import analyse_article
from ..runtime import Runtime
from .articles import ARTICLE_FORMATS, MAX_FORM_FIELD_BYTES, article_of_form
from .common import UiCaller, attachment, message_of, pages_router, render, root_of

SIDES = ("a", "b")
FORM_FIELDS = ("text", "url")  # per side, kept in the form after an error
CorpusId = Annotated[int | None, Query(ge=1, le=2**62)]

router = pages_router()


@router.get("/compare")
def compare_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _form(request, runtime)


def _form(
    request: Request,
    runtime: Runtime,
    *,
    error: str | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    form = {f"{side}_{name}": (values or {}).get(f"{side}_{name}", "") for side in SIDES for name in FORM_FIELDS}
    context = {
        "section": "compare",
        "error": error,
        "form": form,
        "ready": runtime.ready,
        "load_error": runtime.load_error,
        "accept": accept(*ARTICLE_FORMATS),
    }
    return render(request, "compare_form.html.j2", context, status=status, headers=headers)


@router.post("/compare")
async def compare_form(request: Request, runtime: RuntimeDep, caller: UiCaller) -> Response:
    """Analyse both articles (each a paste, a file or a URL), keep both analyses, redirect to their comparison."""
    async with request.form(max_files=2, max_fields=10, max_part_size=MAX_FORM_FIELD_BYTES) as form:
        values = {name: value for name, value in form.items() if isinstance(value, str)}
        ids = []
        for side in SIDES:
            try:
                given = {name: values.get(f"{side}_{name}", "").strip() for name in FORM_FIELDS}
                fields = {name: values[f"{side}_{name}"] for name, value in given.items() if value}
                article = await article_of_form(form.get(f"{side}_file"), fields, runtime)
                analysis = await analyse_article(runtime, caller, get_inference(runtime), article)
            except (InputError, ValidationError) as exc:
                error = _side_error(side, message_of(exc))
                return _form(request, runtime, error=error, values=values, status=422)
            except HTTPException as exc:  # the model is not loaded yet, over budget, or shutting down
                error = _side_error(side, str(exc.detail))
                return _form(request, runtime, error=error, values=values, status=exc.status_code, headers=exc.headers)
            ids.append(await run_in_threadpool(runtime.analyses.save, analysis.to_dict()))
    return RedirectResponse(f"{root_of(request)}/compare/{ids[0]}/{ids[1]}", status_code=303)


def _side_error(side: str, detail: str) -> str:
    """What went wrong with one side's article: the side named in the interface language, the detail as given."""
    return _("article %(side)s: %(detail)s") % {"side": side.upper(), "detail": detail}


@router.get("/compare/{id_a}/{id_b}")
async def comparison_page(id_a: str, id_b: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The permalink of two stored analyses compared."""
    a, b = await load_analysis(runtime, id_a), await load_analysis(runtime, id_b)
    base = f"{root_of(request)}/compare/{id_a}/{id_b}"
    links = [
        (_("JSON"), f"{base}/comparison.json"),
        (_("HTML page"), f"{base}/comparison.html"),
        (_("Article %(side)s") % {"side": "A"}, f"{root_of(request)}/a/{id_a}"),
        (_("Article %(side)s") % {"side": "B"}, f"{root_of(request)}/a/{id_b}"),
        (_("Compare two other articles"), f"{root_of(request)}/compare"),
    ]
    permalink = str(request.url.replace(query="", fragment=""))
    return _comparison_page(request, a, b, (id_a, id_b), links=links, permalink=permalink)


@router.get("/compare/{id_a}/{id_b}/comparison.json")
async def comparison_json(id_a: str, id_b: str, runtime: RuntimeDep) -> Response:
    a, b = await load_analysis(runtime, id_a), await load_analysis(runtime, id_b)
    body = compare(a, b, analysis_ids=(id_a, id_b)).to_dict()
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers=attachment(f"unspin-{id_a}-{id_b}.json"),
    )


@router.get("/compare/{id_a}/{id_b}/comparison.html")
async def comparison_file(id_a: str, id_b: str, runtime: RuntimeDep) -> Response:
    """The self-contained page, as ``unspin compare --format html`` writes it."""
    a, b = await load_analysis(runtime, id_a), await load_analysis(runtime, id_b)
    page = render_comparison_html(compare(a, b, analysis_ids=(id_a, id_b)), a, b)
    return HTMLResponse(page, headers=attachment(f"unspin-{id_a}-{id_b}.html"))


@router.get("/corpus/compare")
def corpus_compare_page(request: Request, runtime: RuntimeDep, a: CorpusId = None, b: CorpusId = None) -> HTMLResponse:
    """Two stored corpus articles compared; the form to choose them while either is missing."""
    if a is None or b is None:
        return render(request, "corpus_compare.html.j2", {"section": "corpus", "a": a, "b": b})
    first, second = _corpus_analysis(runtime, a), _corpus_analysis(runtime, b)
    corpus = f"{root_of(request)}/corpus"
    links = [
        (_("Article %(side)s") % {"side": "A"}, f"{corpus}/articles/{a}"),
        (_("Article %(side)s") % {"side": "B"}, f"{corpus}/articles/{b}"),
        (_("Compare two other articles"), f"{corpus}/compare"),
        (_("Back to the corpus"), corpus),
    ]
    # Shared, the link opens in the reader's own interface language, not in the one chosen here.
    permalink = str(request.url.remove_query_params(LANGUAGE_PARAMETER).replace(fragment=""))
    return _comparison_page(request, first, second, (None, None), links=links, permalink=permalink)


def _corpus_analysis(runtime: Runtime, article_id: int) -> Analysis:
    analysis = get_analysis(runtime.corpus, article_id)
    if analysis is None:
        raise HTTPException(404, detail=_("no article %(id)s in the corpus") % {"id": article_id})
    return analysis


def _comparison_page(
    request: Request,
    a: Analysis,
    b: Analysis,
    ids: tuple[str | None, str | None],
    *,
    links: list[tuple[str, str]],
    permalink: str,
) -> HTMLResponse:
    context = comparison_context(compare(a, b, analysis_ids=ids), a, b)
    return render(
        request, "comparison.html.j2", {**context, "section": "compare", "links": links, "permalink": permalink}
    )
