"""``/healthz`` (the process answers) and ``/readyz`` (the model is loaded), for orchestration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import RETRY_WHILE_LOADING, RuntimeDep
from ..problems import problem_response, problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get(
    "/readyz", response_model=Health, summary="Readiness: the model is loaded", responses=problem_responses(503)
)
def readyz(runtime: RuntimeDep) -> Any:
    if runtime.ready:
        return {"status": "ready"}
    detail = f"the model could not be loaded: {runtime.load_error}" if runtime.load_error else "loading the model"
    return problem_response(503, detail, instance="/readyz", headers={"Retry-After": RETRY_WHILE_LOADING})
