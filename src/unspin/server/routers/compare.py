"""``GET /v1/compare``: two stored analyses compared, as ``unspin compare --format json`` writes it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ...compare import Comparison, compare
from ..deps import RuntimeDep, get_caller
from ..problems import problem_responses
from .analyses import load_analysis

router = APIRouter(prefix="/v1", tags=["analyses"], dependencies=[Depends(get_caller)])

AnalysisId = Query(max_length=128, description="The id of a stored analysis (`X-Analysis-Id` of `POST /v1/analyze`).")


@router.get(
    "/compare",
    response_model=Comparison,
    summary="Compare two stored analyses",
    responses=problem_responses(401, 404, 422, 429),
)
async def compare_analyses(
    a: Annotated[str, AnalysisId], b: Annotated[str, AnalysisId], runtime: RuntimeDep
) -> dict[str, Any]:
    """Two stored analyses compared, B against A.

    Techniques and categories per 1,000 words (labelled paragraphs, as the corpus counts them) in A and B
    with the difference B − A, genre and frame probabilities, the techniques only one uses, and the
    paragraphs paired by position. The `schema` key names the version of this shape.
    """
    first, second = await load_analysis(runtime, a), await load_analysis(runtime, b)
    return compare(first, second, analysis_ids=(a, b)).to_dict()
