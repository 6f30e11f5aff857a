"""``GET /v1/analyses/{id}``: an analysis kept by ``POST /v1/analyze``, for permalinks."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ...analysis import Analysis
from ...schema import AnalysisDocument
from ..deps import RuntimeDep, get_caller
from ..problems import problem_responses
from ..runtime import Runtime

router = APIRouter(prefix="/v1/analyses", tags=["analyses"], dependencies=[Depends(get_caller)])


@router.get(
    "/{analysis_id}",
    response_model=AnalysisDocument,
    summary="A stored analysis",
    responses=problem_responses(401, 404, 429),
)
async def get_analysis(analysis_id: str, runtime: RuntimeDep) -> Response:
    """The analysis whose id `POST /v1/analyze` returned in `X-Analysis-Id`, exactly as it was returned."""
    stored = await run_in_threadpool(runtime.analyses.load, analysis_id)
    if stored is None:
        raise HTTPException(404, detail=f"no stored analysis {analysis_id[:64]!r}")
    return Response(stored, media_type="application/json")


async def load_analysis(runtime: Runtime, analysis_id: str) -> Analysis:
    """A stored analysis, rebuilt; 404 when there is none under this id."""
    stored = await run_in_threadpool(runtime.analyses.load, analysis_id)
    if stored is None:
        raise HTTPException(404, detail=f"no stored analysis {analysis_id[:64]!r}: check the id, it may be cut short")
    return Analysis.from_dict(json.loads(stored))
