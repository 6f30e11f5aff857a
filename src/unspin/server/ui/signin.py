"""Signing in and out on a server with API keys (the key is kept in an HttpOnly cookie)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import (
    RedirectResponse,
    Response,
)

from ..deps import RuntimeDep, get_caller
from .common import KEY_COOKIE, cookie_path, local_path, open_router, render, root_of

router = open_router()


@router.get("/signin")
def sign_in_page(request: Request, runtime: RuntimeDep, next: str = "/") -> Response:
    if runtime.keys is None:
        return RedirectResponse(f"{root_of(request)}/", status_code=303)
    return render(request, "signin.html.j2", {"next": local_path(next), "error": None})


@router.post("/signin")
async def sign_in(request: Request, runtime: RuntimeDep) -> Response:
    """Check the key like the API does; keep it in a cookie the page's scripts cannot read."""
    async with request.form(max_files=0, max_fields=2) as form:
        key, next_path = str(form.get("key") or "").strip(), local_path(str(form.get("next") or "/"))
    if runtime.keys is None:
        return RedirectResponse(f"{root_of(request)}/", status_code=303)
    try:
        get_caller(request, runtime, key=key)
    except HTTPException as exc:
        if exc.status_code != 401:
            raise
        return render(request, "signin.html.j2", {"next": next_path, "error": exc.detail}, status=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        KEY_COOKIE,
        key,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=cookie_path(request),
    )
    return response


@router.post("/signout")
def sign_out(request: Request) -> RedirectResponse:
    response = RedirectResponse(f"{root_of(request)}/signin", status_code=303)
    response.delete_cookie(KEY_COOKIE, path=cookie_path(request))
    return response
