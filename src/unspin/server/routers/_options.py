"""Query options shared by the analysis routes."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Annotated

from fastapi import Query

from ...taxonomy import CATEGORIES

CategoryKey = Enum("CategoryKey", {key: key for key in CATEGORIES}, type=str)  # type: ignore[misc]

Threshold = Annotated[
    float | None,
    Query(
        ge=0.0,
        le=1.0,
        description="Show techniques and spans at or above this calibrated confidence (default: the model's own thresholds).",
    ),
]
Categories = Annotated[
    list[CategoryKey] | None,
    Query(description="Keep only techniques of these categories (repeat the option for several)."),
]


def category_keys(categories: Sequence[Enum] | None) -> list[str] | None:
    return [c.value for c in categories] if categories else None
