"""``/v1/analyses/{id}``: an analysis kept by ``POST /v1/analyze``, for permalinks, and storing it in the corpus."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...analysis import Analysis
from ...schema import AnalysisDocument
from ...store.articles import stored_id
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


class StoredLinks(BaseModel):
    article: str = Field(description="The stored article: `GET /v1/corpus/articles/{id}`.")


class StoredAnalysis(BaseModel):
    """Where an analysis went in the corpus."""

    added: bool = Field(
        description="False when the corpus held it already (same text, same model): nothing is stored twice."
    )
    article_id: int = Field(description="Its id in the corpus.")
    links: StoredLinks


@router.post(
    "/{analysis_id}/store",
    response_model=StoredAnalysis,
    summary="Store an analysis in the corpus",
    responses=problem_responses(401, 404, 429, 503),
)
async def store_analysis(analysis_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    """Add the analysis to the server's corpus store, as `unspin corpus import` would; storing it again
    changes nothing and answers with the same `article_id`."""
    added, article_id = await run_in_threadpool(store_in_corpus, runtime, await load_analysis(runtime, analysis_id))
    return {"added": added, "article_id": article_id, "links": {"article": f"/v1/corpus/articles/{article_id}"}}


def store_in_corpus(runtime: Runtime, analysis: Analysis) -> tuple[bool, int]:
    """Add one analysis to the corpus: whether it was new, and its id there."""
    with runtime.corpus_writes:
        stats = runtime.corpus.add([analysis])
    article_id = stored_id(runtime.corpus, analysis)
    assert article_id is not None  # just stored, and articles are never removed from a corpus
    return stats.added == 1, article_id
