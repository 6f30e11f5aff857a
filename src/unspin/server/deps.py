"""Dependencies shared by the routers: the runtime, settings, the model, and the caller (key + rate limit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ..review.identity import local_reviewer
from .inference import InferenceQueue
from .runtime import Runtime
from .security import retry_after
from .settings import Settings

RETRY_WHILE_LOADING = "5"
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="An API key from the server's key file (or send it as a bearer token).",
)
bearer = HTTPBearer(auto_error=False, description="An API key from the server's key file.")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


def get_inference(runtime: RuntimeDep) -> InferenceQueue:
    """The model's inference queue; 503 with Retry-After while the model is still loading."""
    if runtime.inference is None:
        detail = (
            f"the model could not be loaded: {runtime.load_error}"
            if runtime.load_error
            else "the model is still loading; retry in a few seconds"
        )
        raise HTTPException(503, detail=detail, headers={"Retry-After": RETRY_WHILE_LOADING})
    return runtime.inference


@dataclass(frozen=True)
class Caller:
    """Who is calling: ``owner`` is the id of their API key (``None`` on a server without keys).

    ``identity`` is what limits count against: the key, else the client's address.
    ``reviewer`` is the name their reviews are stored under: the key's name in the key
    file, else ``UNSPIN_REVIEWER`` or the OS user (see :func:`unspin.review.identity.local_reviewer`).
    """

    owner: str | None
    identity: str = "address:?"
    reviewer: str = ""


def get_caller(
    request: Request,
    runtime: RuntimeDep,
    key: Annotated[str | None, Security(api_key_header)] = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> Caller:
    """Check the API key (when the server has keys) and the caller's rate limit.

    A missing or wrong key counts against the client address's limit first, so keys
    cannot be guessed at full speed.
    """
    address = f"address:{request.client.host if request.client else '?'}"
    owner = None
    if runtime.keys is not None:
        supplied = key or (credentials.credentials if credentials else None)
        owner = runtime.keys.identify(supplied) if supplied else None
        if owner is None:
            _throttle(runtime, address)
            detail = (
                "the API key is not valid; ask the server's operator for one"
                if supplied
                else "this server needs an API key: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
            )
            raise HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})
    identity = f"key:{owner}" if owner else address
    _throttle(runtime, identity)
    reviewer = (runtime.keys.reviewer(owner) if runtime.keys is not None and owner else None) or local_reviewer()
    return Caller(owner, identity, reviewer)


def _throttle(runtime: Runtime, identity: str) -> None:
    wait = runtime.limiter.acquire(identity)
    if wait:
        raise _too_many(f"rate limit of {runtime.limiter.per_minute} requests a minute reached", wait)


def _too_many(limit: str, wait: float) -> HTTPException:
    return HTTPException(
        429, detail=f"{limit}; retry in {retry_after(wait)} s", headers={"Retry-After": retry_after(wait)}
    )


def charge(runtime: Runtime, caller: Caller, tokens: int) -> None:
    """Take an analysis's model tokens from the caller's budget: 413 over the per-request cap, 429 over the minute's."""
    settings = runtime.settings
    if tokens > settings.max_request_tokens:
        raise HTTPException(
            413,
            detail=f"the article is {tokens:,} model tokens, over the {settings.max_request_tokens:,} "
            "one request may take; split it, or send it as a batch job",
        )
    wait = runtime.budget.acquire(caller.identity, tokens)
    if wait:
        raise _too_many(f"compute budget of {settings.tokens_per_minute:,} model tokens a minute used up", wait)


SettingsDep = Annotated[Settings, Depends(get_settings)]
InferenceDep = Annotated[InferenceQueue, Depends(get_inference)]
CallerDep = Annotated[Caller, Depends(get_caller)]
