"""The interface language of each request: ``?lang=``, then the switcher's cookie, then Accept-Language.

The middleware sets :mod:`unspin.i18n`'s context variable for the whole request, so pages
and the Python code that builds their context (taxonomy names, confidence words) speak
the same language. A ``?lang=`` that names one of the six languages is remembered in a
cookie, so the switcher's choice follows the reader from page to page.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from ..errors import InputError
from ..i18n import DEFAULT_UI_LANGUAGE, checked_ui_language, negotiate, ui_language

LANGUAGE_COOKIE = "unspin_lang"
LANGUAGE_PARAMETER = "lang"
_COOKIE_MAX_AGE = 365 * 24 * 3600


class UiLanguageMiddleware:
    """Choose each request's interface language and remember a ``?lang=`` choice in a cookie."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = _query_language(scope)
        language = chosen or _cookie_language(scope) or negotiate(_header(scope, b"accept-language"))
        with ui_language(language or DEFAULT_UI_LANGUAGE):
            await self.app(scope, receive, _remembering(send, chosen) if chosen else send)


def _remembering(send: Any, language: str) -> Any:
    cookie = f"{LANGUAGE_COOKIE}={language}; Max-Age={_COOKIE_MAX_AGE}; Path=/; SameSite=Lax"

    async def send_with_cookie(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
        await send(message)

    return send_with_cookie


def _query_language(scope: dict[str, Any]) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(LANGUAGE_PARAMETER, [])
    return _known(values[-1]) if values else None


def _cookie_language(scope: dict[str, Any]) -> str | None:
    cookies = SimpleCookie()
    try:
        cookies.load(_header(scope, b"cookie") or "")
    except CookieError:  # a malformed Cookie header is the client's problem, not a 500
        return None
    morsel = cookies.get(LANGUAGE_COOKIE)
    return _known(morsel.value) if morsel else None


def _known(code: str) -> str | None:
    try:
        return checked_ui_language(code)
    except InputError:
        return None


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name]
    return ", ".join(values) if values else None
