"""Errors as RFC 9457 problem details (``application/problem+json``), one handler per kind."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import BundleError, InputError, StoreError, UnspinError

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("unspin.server")


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong (``title``) and what to do about it (``detail``)."""

    type: str = Field(
        default="about:blank", description="A URI naming the kind of problem; about:blank: see the status."
    )
    title: str = Field(description="The HTTP status phrase.")
    status: int
    detail: str = Field(description="What went wrong in this request, and what to do.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Each invalid field, for 422 validation errors."
    )


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extensions.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting these statuses as problem+json."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }


def status_of(error: UnspinError) -> int:
    """The one place an :class:`UnspinError` becomes an HTTP status."""
    if isinstance(error, InputError):
        return 422
    if isinstance(error, (BundleError, StoreError)):
        return 503
    return 500


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(UnspinError, _unspin_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal_error)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The offending input is left out: it may be a whole article, or a key.
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in errors[:5])
    return problem_response(
        422, f"invalid request: {where}" if where else "invalid request", instance=request.url.path, errors=errors
    )


async def _unspin_error(request: Request, exc: UnspinError) -> JSONResponse:
    status = status_of(exc)
    if status >= 500:
        logger.error("%s %s: %s", request.method, request.url.path, exc)
    return problem_response(status, str(exc), instance=request.url.path)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("internal error in %s %s", request.method, request.url.path)
    return problem_response(
        500, "internal error; the server log has the details, please report it", instance=request.url.path
    )
