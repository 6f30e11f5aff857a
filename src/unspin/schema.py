"""The published JSON schema of an analysis, as pydantic models.

``Analysis.to_dict()`` must validate against :class:`AnalysisDocument`; the file
docs/analysis.schema.json is generated from it (``python -m unspin.schema > docs/analysis.schema.json``)
and a test keeps the two in step.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Probability = Field(ge=0.0, le=1.0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArticleInfo(_Strict):
    id: str | None
    title: str | None
    date: str | None = Field(description="Publication date, YYYY-MM-DD.")
    source: str | None
    url: str | None
    language: str | None = Field(description="ISO 639-1 code detected (or given).")
    content_hash: str = Field(description="SHA-256 of the text, hex.")
    text: str = Field(description="The article exactly as given; every offset indexes this string.")
    meta: dict[str, str] | None = None


class ModelInfo(_Strict):
    name: str
    version: str
    quality: str | None = Field(None, description="How accurate the shown highlights were on validation, in one line.")


class GenreResult(_Strict):
    model_config = ConfigDict(extra="forbid", title="Genre")  # the published schema's name

    label: Literal["opinion", "reporting", "satire"] = Field(description="The most probable genre.")
    probabilities: dict[str, float]
    uncertain: bool = Field(
        False, description="The genre's confidence is below the model's bar, or the text is too short."
    )


class FrameLabel(_Strict):
    label: str
    probability: float = Probability


class Frames(_Strict):
    labels: list[FrameLabel] = Field(description="Predicted frames, most probable first.")
    probabilities: dict[str, float]


class Evidence(_Strict):
    start: int = Field(ge=0)
    end: int = Field(ge=1)


class TechniqueConfidence(_Strict):
    technique: str
    confidence: float = Probability
    evidence: Evidence | None = Field(None, description="The sentence that carries the technique most strongly.")


class SpanOut(_Strict):
    start: int = Field(ge=0, description="Character offset into article.text, inclusive.")
    end: int = Field(ge=1, description="Character offset, exclusive: text[start:end] is the span.")
    technique: str
    category: str
    confidence: float = Probability
    text: str


class Candidates(_Strict):
    techniques: list[TechniqueConfidence]
    spans: list[SpanOut]


class ParagraphOut(_Strict):
    number: int = Field(ge=1, description="Line number in SemEval files, else the paragraph's ordinal.")
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    techniques: list[TechniqueConfidence]
    spans: list[SpanOut]
    candidates: Candidates | None = Field(None, description="Below the threshold, down to the model's floor.")


class Summary(_Strict):
    techniques: dict[str, int] = Field(description="Paragraphs labelled with each technique.")
    categories: dict[str, int]
    spans: int
    paragraphs: int
    paragraphs_with_techniques: int
    share_of_paragraphs_with_techniques: float = Probability


class AnalysisDocument(_Strict):
    """One analysed article."""

    schema_version: Literal["1.1"] = Field(description="Changes whenever this schema changes.")
    article: ArticleInfo
    model: ModelInfo
    genre: GenreResult
    frames: Frames
    paragraphs: list[ParagraphOut]
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="The confidence the shown techniques and spans passed."
    )
    summary: Summary
    embedding: list[float] | None = Field(
        None,
        description="The article's unit-length embedding, only when asked for (e.g. `unspin analyze --embeddings`).",
    )


def json_schema() -> str:
    return json.dumps(AnalysisDocument.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(json_schema(), end="")
