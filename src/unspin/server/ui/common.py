"""The machinery every page shares: errors as pages, the caller from the sign-in cookie, rendering."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
)
from fastapi.routing import APIRoute
from jinja2 import ChoiceLoader, Environment, PackageLoader
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..._version import __version__
from ...analysis import Analysis
from ...errors import InputError, UnspinError
from ...i18n import DEFAULT_UI_LANGUAGE, N_, UI_LANGUAGE_NAMES, UI_LANGUAGES, current_ui_language
from ...i18n import gettext as _
from ...render.html import (
    article_context,
    render_html,
    report_environment,
)
from ..deps import Caller, RuntimeDep, get_caller
from ..language import LANGUAGE_PARAMETER
from ..problems import status_of
from ..runtime import Runtime

KEY_COOKIE = "unspin_key"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A route for people: errors become pages (a missing key leads to sign-in), not problem+json."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except StarletteHTTPException as exc:
                if exc.status_code == 401:
                    return sign_in_redirect(request)
                detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
                return error_page(request, exc.status_code, detail, exc.headers)
            except RequestValidationError:
                return error_page(request, 404, _("there is no page at this address"))
            except UnspinError as exc:
                return error_page(request, status_of(exc), str(exc))

        return page_handler


def ui_caller(request: Request, runtime: RuntimeDep) -> Caller:
    """The API's check (API key and rate limit), with the key from the sign-in cookie."""
    return get_caller(request, runtime, key=request.cookies.get(KEY_COOKIE))


UiCaller = Annotated[Caller, Depends(ui_caller)]


def open_router() -> APIRouter:
    """Pages anyone may see (assets, signing in)."""
    return APIRouter(include_in_schema=False, route_class=PageRoute)


def pages_router() -> APIRouter:
    """Pages for callers with a valid key (anyone on a server without keys)."""
    return APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(ui_caller)])


# ---------------------------------------------------------------------------- rendering


@cache
def templates() -> Environment:
    """The report's environment (autoescape, filters), finding the UI's templates first."""
    report = report_environment()
    assert report.loader is not None
    return report.overlay(loader=ChoiceLoader([PackageLoader("unspin.server", "ui_templates"), report.loader]))


def root_of(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    defaults = {
        "root": root_of(request),
        "version": __version__,
        "csp": None,
        "section": None,
        "store_url": None,  # a "Store in corpus" button's form action
        "stored": None,  # where that button put it
        "review_action": None,  # a "Review" button's form: {"url", "method"}
        "signed_in": runtime.keys is not None and KEY_COOKIE in request.cookies,
        "ui_languages": language_links(request),
    }
    page = templates().get_template(template).render({**defaults, **context})
    # The page's language follows the request's (UiLanguageMiddleware): caches must key on what chose it.
    language_headers = {"Content-Language": current_ui_language(), "Vary": "Accept-Language, Cookie"}
    return HTMLResponse(page, status_code=status, headers={**language_headers, **(headers or {})})


def language_links(request: Request) -> list[dict[str, Any]]:
    """The switcher's entries: this page in each interface language (the home page after a form post)."""
    page = (
        request.url if request.method in ("GET", "HEAD") else request.url.replace(path=f"{root_of(request)}/", query="")
    )
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return [
        {
            "code": code,
            "name": UI_LANGUAGE_NAMES[code],
            "href": str(page.include_query_params(**{LANGUAGE_PARAMETER: code})).removeprefix(origin),
            "current": code == current_ui_language(),
        }
        for code in UI_LANGUAGES
    ]


# The reason phrases of the errors a page can show; others stay in English.
STATUS_PHRASES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Content Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Content"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    502: N_("Bad Gateway"),
    503: N_("Service Unavailable"),
    504: N_("Gateway Timeout"),
}


def error_page(request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """An error as a page: the status's phrase in the interface language, ``detail`` as given."""
    phrase = _(STATUS_PHRASES[status]) if status in STATUS_PHRASES else HTTPStatus(status).phrase
    return render(
        request,
        "error.html.j2",
        {"status": status, "phrase": phrase, "detail": detail},
        status=status,
        headers=headers,
    )


def report_page(
    request: Request,
    analysis: Analysis,
    *,
    links: list[tuple[str, str]],
    permalink: str | None = None,
    store_url: str | None = None,
    stored: Mapping[str, str] | None = None,
    review_action: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The report of one analysis with its links; ``store_url`` adds a "Store in corpus" button, ``stored``
    a notice of where it went (``text``, ``href`` and ``label`` of its link), ``review_action`` a "Review"
    button (the ``url`` and ``method`` of its form)."""
    context = {
        "permalink": permalink,
        "links": links,
        "store_url": store_url,
        "stored": stored,
        "review_action": review_action,
    }
    return render(request, "analysis.html.j2", {**article_context(analysis), **context})


# ---------------------------------------------------------------------------- one analysis's downloads


def download_links(json_url: str, report_url: str) -> list[tuple[str, str]]:
    """The links of an analysis's JSON and HTML report files, as every result page shows them."""
    return [(_("JSON"), json_url), (_("HTML report"), report_url)]


def json_file(document: bytes, stem: str) -> Response:
    """An analysis's published JSON, as stored, to download."""
    return Response(document, media_type="application/json", headers=attachment(f"{stem}.json"))


def report_file(document: bytes, stem: str) -> HTMLResponse:
    """The self-contained report file of an analysis's JSON, as ``unspin analyze --format html`` writes it."""
    analysis = Analysis.from_dict(json.loads(document))
    return HTMLResponse(render_html(analysis), headers=attachment(f"{stem}.html"))


def format_count(value: int) -> str:
    """A count as the interface language writes it (``12,345``, ``12 345``, ``12.345``)."""
    language = current_ui_language()
    if language == DEFAULT_UI_LANGUAGE:
        return f"{value:,}"
    from babel.numbers import format_decimal  # Babel is there: the other languages' catalogues need it

    return format_decimal(value, locale=language)


def format_fraction(value: float) -> str:
    """A fraction as a whole percentage in the interface language (``45%``, ``45 %``)."""
    language = current_ui_language()
    if language == DEFAULT_UI_LANGUAGE:
        return f"{value:.0%}"
    from babel.numbers import format_percent

    return format_percent(value, locale=language)


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_path = target if request.method == "GET" else "/"
    response = RedirectResponse(f"{root_of(request)}/signin?{urlencode({'next': next_path})}", status_code=303)
    response.delete_cookie(KEY_COOKIE, path=cookie_path(request))
    return response


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/``: a sign-in never sends people elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def cookie_path(request: Request) -> str:
    return root_of(request) or "/"


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def message_of(error: InputError | ValidationError) -> str:
    if isinstance(error, InputError):
        return str(error)
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        problems.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(problems)
