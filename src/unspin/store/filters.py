"""Which slice of the corpus a question is about: sources, languages, techniques, dates, model."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import InputError
from ..taxonomy import resolve_label

# Period arithmetic (weeks, months, the day after) must stay within what dates can hold.
FIRST_DAY, LAST_DAY = dt.date(1000, 1, 1), dt.date(9000, 12, 31)


class CorpusFilter(BaseModel):
    """A slice of the corpus; empty lists mean "all". Values that match nothing give empty results."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    techniques: list[str] = Field(
        default_factory=list,
        description="Articles with any of these techniques, by label or name in any case "
        "(`Loaded_Language`, `loaded language`); an unknown one is an error listing the close matches.",
    )
    date_from: dt.date | None = Field(None, description="First day included.")
    date_to: dt.date | None = Field(None, description="Last day included.")
    model: str | None = Field(
        None, description="NAME==VERSION or VERSION of the model whose analyses to use (default: the latest imported)."
    )

    @field_validator("sources", "languages", "techniques", "model")
    @classmethod
    def _no_nul(cls, value: list[str] | str | None) -> list[str] | str | None:
        # PostgreSQL refuses NUL in text parameters; no stored value can hold one anyway.
        if any("\x00" in v for v in ([value] if isinstance(value, str) else value or [])):
            raise ValueError("filter values cannot contain NUL characters")
        return value

    @field_validator("techniques")
    @classmethod
    def _known_techniques(cls, value: list[str]) -> list[str]:
        # A typo would otherwise match nothing, and all-zero answers read as "the technique is absent".
        return list(dict.fromkeys(resolve_label(v, "technique") for v in value))

    @field_validator("date_from", "date_to")
    @classmethod
    def _plausible(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise ValueError(f"dates go from {FIRST_DAY} to {LAST_DAY}")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> CorpusFilter:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    @classmethod
    def build(cls, **values: object) -> CorpusFilter:
        """Like the constructor, but a bad value raises :class:`InputError` with a one-line message."""
        try:
            return cls.model_validate({k: v for k, v in values.items() if v is not None})
        except ValueError as exc:
            raise InputError(_first_error(exc)) from exc

    def where(self, table: sa.FromClause, model_id: int, *, date_column: str = "date") -> list[sa.ColumnElement]:
        """Conditions on a table with model_id, source, language and a date (or day) column."""
        c = table.c
        conditions = [c.model_id == model_id]
        if self.sources:
            conditions.append(c.source.in_(self.sources))
        if self.languages:
            conditions.append(c.language.in_(self.languages))
        if self.date_from:
            conditions.append(c[date_column] >= self.date_from)
        if self.date_to:
            conditions.append(c[date_column] <= self.date_to)
        return conditions


EVERYTHING = CorpusFilter()  # the default slice: the whole corpus (filters are immutable)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()) if not isinstance(x, int))  # "techniques", not ".0"
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc)
