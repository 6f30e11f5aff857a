"""``GET /v1/taxonomy`` and ``GET /v1/model``: what the labels mean, and which model gives them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ... import taxonomy
from ...i18n import UI_LANGUAGES, current_ui_language, localized
from ..deps import InferenceDep, get_caller
from ..language import LANGUAGE_COOKIE, LANGUAGE_PARAMETER
from ..problems import problem_responses

router = APIRouter(prefix="/v1", tags=["reference"], dependencies=[Depends(get_caller)])


class CategoryOut(BaseModel):
    key: str
    name: str
    colour: str = Field(description="#RRGGBB highlight background.")


class TechniqueOut(BaseModel):
    label: str
    name: str
    category: str = Field(description="The key of its category.")
    definition: str
    example: str


class LabelOut(BaseModel):
    label: str
    name: str
    definition: str


class Taxonomy(BaseModel):
    categories: list[CategoryOut]
    techniques: list[TechniqueOut]
    frames: list[LabelOut]
    genres: list[LabelOut]


class ModelOut(BaseModel):
    """The loaded model bundle's metadata."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())
    name: str
    version: str
    unspin_version: str | None = None
    thresholds: dict[str, Any] = Field(description="The model's default thresholds.")
    metrics: dict[str, Any] = Field(default_factory=dict, description="Validation metrics.")
    data: dict[str, Any] = Field(default_factory=dict, description="What it was trained on.")
    labels: dict[str, list[str]]


LanguageQuery = Annotated[
    str | None,
    Query(
        alias=LANGUAGE_PARAMETER,
        max_length=64,
        description=f"The language of the names, definitions and examples: one of {', '.join(UI_LANGUAGES)} "
        "(a region is ignored: `fr-CH` is `fr`). Without it (or for a language not among these), the "
        f"`{LANGUAGE_COOKIE}` cookie, then `Accept-Language`, then English. The answer's "
        "`Content-Language` says which was used.",
        examples=["fr"],
    ),
]


@router.get(
    "/taxonomy",
    response_model=Taxonomy,
    summary="Techniques, categories, frames and genres",
    responses={
        200: {
            "headers": {
                "Content-Language": {
                    "description": "The language of the texts.",
                    "schema": {"type": "string", "enum": list(UI_LANGUAGES)},
                },
                "Vary": {"description": "`Accept-Language, Cookie`.", "schema": {"type": "string"}},
            }
        },
        **problem_responses(401, 429),
    },
)
def get_taxonomy(response: Response, lang: LanguageQuery = None) -> dict[str, Any]:
    """Every label with its name, definition (and example), and each category's colour.

    Names, definitions and examples are in the interface language of the request (`lang`, the
    `unspin_lang` cookie or `Accept-Language`; English by default); labels, keys and colours are
    the same in every language.
    """
    # UiLanguageMiddleware has read ``lang`` and set the language; the parameter is declared to be documented.
    response.headers["Content-Language"] = current_ui_language()
    response.headers["Vary"] = "Accept-Language, Cookie"
    return {
        kind: [asdict(localized(entry)) for entry in table.values()]
        for kind, table in (
            ("categories", taxonomy.CATEGORIES),
            ("techniques", taxonomy.TECHNIQUES),
            ("frames", taxonomy.FRAMES),
            ("genres", taxonomy.GENRES),
        )
    }


@router.get("/model", response_model=ModelOut, summary="The loaded model", responses=problem_responses(401, 429, 503))
def get_model(inference: InferenceDep) -> dict[str, Any]:
    """The bundle's name, version, thresholds, training data summary and validation metrics."""
    meta = inference.analyzer.bundle.meta
    keep = ("name", "version", "unspin_version", "thresholds", "metrics", "data", "labels", "encoder")
    return {key: meta[key] for key in keep if key in meta}
