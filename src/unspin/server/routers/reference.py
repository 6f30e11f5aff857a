"""``GET /v1/taxonomy`` and ``GET /v1/model``: what the labels mean, and which model gives them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ... import taxonomy
from ..deps import InferenceDep, get_caller
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


@router.get(
    "/taxonomy",
    response_model=Taxonomy,
    summary="Techniques, categories, frames and genres",
    responses=problem_responses(401, 429),
)
def get_taxonomy() -> dict[str, Any]:
    """Every label with its name, definition (and example), and each category's colour."""
    return taxonomy.to_dict()


@router.get("/model", response_model=ModelOut, summary="The loaded model", responses=problem_responses(401, 429, 503))
def get_model(inference: InferenceDep) -> dict[str, Any]:
    """The bundle's name, version, thresholds, training data summary and validation metrics."""
    meta = inference.analyzer.bundle.meta
    keep = ("name", "version", "unspin_version", "thresholds", "metrics", "data", "labels", "encoder")
    return {key: meta[key] for key in keep if key in meta}
