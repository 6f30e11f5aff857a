"""``POST /v1/analyze``: one article, as text or a URL the server fetches."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...analysis import Analysis
from ...analyzer import MAX_ARTICLE_CHARS
from ...article import Article
from ...errors import InputError
from ...formats.inputs import ReadOptions, is_url, read_documents
from ...schema import AnalysisDocument
from ..deps import Caller, CallerDep, InferenceDep, RuntimeDep, charge
from ..inference import InferenceQueue, ShuttingDown
from ..problems import problem_responses
from ..runtime import Runtime, select_categories
from ._options import Categories, Threshold, category_keys

router = APIRouter(prefix="/v1", tags=["analyze"])

EXAMPLE_TEXT = (
    "date 2022-03-11 The West has launched an unprecedented sanctions pressure.\n\n"
    "But all the statements only confirm that we will not give up!"
)


class AnalyzeRequest(BaseModel):
    """An article's text (and optional metadata), or the URL of a page to fetch it from."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": EXAMPLE_TEXT}]})

    text: str | None = Field(
        default=None,
        max_length=MAX_ARTICLE_CHARS,
        description=(
            "The article; blank lines separate paragraphs, and an optional first token `date YYYY-MM-DD` "
            "gives its date. Every offset in the result indexes this exact string."
        ),
    )
    url: str | None = Field(
        default=None,
        max_length=2048,
        description=(
            "An http(s) page whose main text is analysed instead of `text`; loopback and private "
            "addresses are refused unless the server allows them."
        ),
    )
    id: str | None = Field(default=None, max_length=500)
    title: str | None = Field(default=None, max_length=2000)
    date: dt.date | None = Field(default=None, description="Publication date, YYYY-MM-DD.")
    source: str | None = Field(default=None, max_length=500)
    language: str | None = Field(
        default=None,
        min_length=2,
        max_length=3,
        pattern=r"^[a-z]{2,3}$",
        description="ISO 639-1 code; detected when left out.",
    )

    @model_validator(mode="after")
    def _text_or_url(self) -> AnalyzeRequest:
        if (self.text is None) == (self.url is None):
            raise ValueError("give either text or url, not both and not neither")
        return self

    def metadata(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "date": self.date, "source": self.source, "language": self.language}


def article_of(request: AnalyzeRequest, options: ReadOptions) -> Article:
    """The article to analyse: parsed from the text, or fetched (blocking: call it in a thread)."""
    if request.text is not None:
        return Article.from_text(request.text, **request.metadata())
    assert request.url is not None
    if not is_url(request.url) or urlsplit(request.url).scheme.lower() not in ("http", "https"):
        # read_documents would read anything else as a path on the server's disk
        raise InputError(f"{request.url[:100]}: only http and https URLs can be read")
    documents = list(read_documents([request.url], options=options))
    if len(documents) != 1:
        raise InputError(f"{request.url}: expected one page")
    return documents[0].unwrap().with_metadata(**request.metadata())


async def read_article(runtime: Runtime, request: AnalyzeRequest) -> Article:
    """The request's article; URLs are fetched on the fetch pool, so slow pages hold no request thread."""
    if request.url is not None:
        return await asyncio.wrap_future(runtime.fetch_pool.submit(article_of, request, runtime.read_options))
    return await run_in_threadpool(article_of, request, runtime.read_options)


async def analyse_article(
    runtime: Runtime, caller: Caller, inference: InferenceQueue, article: Article, *, threshold: float | None = None
) -> Analysis:
    """Charge the article's model tokens to the caller, then analyse it on the queue.

    Raises HTTPException 413 or 429 (the compute budget) or 503 (shutting down).
    """
    tokens = await run_in_threadpool(inference.analyzer.cost, article)
    charge(runtime, caller, tokens)
    try:
        [analysis] = await asyncio.wrap_future(inference.submit([article], threshold=threshold, cost=tokens))
    except ShuttingDown as exc:
        raise HTTPException(503, detail="the server is shutting down; retry shortly") from exc
    return analysis


@router.post(
    "/analyze",
    response_model=AnalysisDocument,
    summary="Analyse one article",
    responses={
        200: {
            "description": "The analysis, in the published schema. When stored, `Content-Location` "
            "and `X-Analysis-Id` give its permalink.",
            "headers": {
                "Content-Location": {
                    "schema": {"type": "string"},
                    "description": "/v1/analyses/{id}, where it is kept",
                },
                "X-Analysis-Id": {"schema": {"type": "string"}, "description": "The id of the stored analysis"},
            },
        },
        **problem_responses(401, 413, 422, 429, 503),
    },
)
async def analyze(
    body: AnalyzeRequest,
    runtime: RuntimeDep,
    inference: InferenceDep,
    caller: CallerDep,
    threshold: Threshold = None,
    categories: Categories = None,
    store: Annotated[bool, Query(description="Keep the analysis on the server for its permalink.")] = True,
) -> JSONResponse:
    """Find persuasion techniques (with spans), frames and genre in one article.

    Send `{"text": ...}` (with optional `title`, `date`, `source`, `language`, `id`) or
    `{"url": ...}`. The analysis is stored for a permalink unless `store=false`.
    """
    article = await read_article(runtime, body)
    analysis = await analyse_article(runtime, caller, inference, article, threshold=threshold)
    document = select_categories(analysis, category_keys(categories)).to_dict()
    headers = {}
    if store:
        analysis_id = await run_in_threadpool(runtime.analyses.save, document)
        headers = {"Content-Location": f"/v1/analyses/{analysis_id}", "X-Analysis-Id": analysis_id}
    return JSONResponse(document, headers=headers)
