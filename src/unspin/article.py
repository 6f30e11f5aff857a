"""Articles and their paragraphs, with exact character offsets into the original text.

Offsets are the contract: ``article.text[p.start:p.end] == p.text`` for every paragraph,
counted in code points of the text as given (a BOM and every ``\\r`` count as one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .language import detect_language

if TYPE_CHECKING:
    from .formats.decode import decode_bytes, read_text

__all__ = ["Article", "Paragraph", "decode_bytes", "read_text"]

_DATE_HEADER = re.compile(r"\A(\ufeff?\s*)date[ \t]+(\d{4}-\d{2}-\d{2})(?=\s|\Z)")
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")  # a blank line may hold any whitespace, NBSP too
_TITLE_MAX_CHARS = 200
_BOM = "\ufeff"
_DECODING = ("decode_bytes", "read_text")  # live in unspin.formats.decode; importable from here too


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph: ``number`` is its 1-based line number in SemEval files, its ordinal otherwise."""

    number: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """A news article: the original text, metadata and paragraphs with offsets into ``text``."""

    text: str
    paragraphs: tuple[Paragraph, ...]
    id: str | None = None
    title: str | None = None
    date: dt.date | None = None
    source: str | None = None
    language: str | None = None
    url: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text, a stable identity for resuming and de-duplicating."""
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()

    def with_metadata(self, **changes: object) -> Article:
        """Return a copy with metadata replaced (``None`` values are ignored)."""
        given: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **given)

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        id: str | None = None,
        title: str | None = None,
        date: dt.date | None = None,
        source: str | None = None,
        language: str | None = None,
        url: str | None = None,
    ) -> Article:
        """Parse plain text: an optional ``date YYYY-MM-DD`` header, then blank-line paragraphs.

        The header is metadata and belongs to no paragraph; offsets still refer to ``text``.

        Examples
        --------
        >>> a = Article.from_text("date 2022-03-11 First part.\\n\\nSecond part.")
        >>> a.date.isoformat(), [p.text for p in a.paragraphs]
        ('2022-03-11', ['First part.', 'Second part.'])
        >>> a.text[a.paragraphs[1].start:a.paragraphs[1].end]
        'Second part.'
        """
        _check_text(text)
        body_start = int(text.startswith(_BOM))
        header = _DATE_HEADER.match(text)
        if header:
            date = date or _parse_date(header.group(2))
            body_start = header.end()
        paragraphs = tuple(_blank_line_paragraphs(text, body_start))
        if not paragraphs:
            raise InputError("the article has no text besides its date header")
        title = title or _title_from_first_paragraph(paragraphs)
        return cls._build(text, paragraphs, id, title, date, source, language, url)

    @classmethod
    def from_semeval(
        cls,
        text: str,
        *,
        id: str | None = None,
        source: str | None = None,
        language: str | None = None,
    ) -> Article:
        """Parse a SemEval-2023 article: paragraph N is line N of ``text.split("\\n")``.

        Lines that are blank after ``strip()`` have no paragraph; a trailing ``\\r`` stays
        in the line, and line 1 is the title.

        Examples
        --------
        >>> a = Article.from_semeval("Title\\r\\n\\r\\nBody text.\\r\\n")
        >>> [(p.number, p.text) for p in a.paragraphs]
        [(1, 'Title\\r'), (3, 'Body text.\\r')]
        """
        _check_text(text)
        paragraphs = []
        offset = 0
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                paragraphs.append(Paragraph(number, offset, offset + len(line), line))
            offset += len(line) + 1
        if not paragraphs:
            raise InputError("the article has no text")
        title = text.split("\n", 1)[0].strip().lstrip("\ufeff") or None
        return cls._build(text, tuple(paragraphs), id, title, None, source, language, None)

    @classmethod
    def _build(cls, text, paragraphs, id, title, date, source, language, url) -> Article:
        if language is None:
            language = detect_language(" ".join(p.text for p in paragraphs[:40]))
        return cls(text, paragraphs, id, title, date, source, language, url)


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise InputError(f"expected article text as str, got {type(text).__name__}")
    if not text.lstrip(_BOM).strip():
        raise InputError("the article is empty")


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"invalid date in the date header: {value!r} (expected YYYY-MM-DD)") from exc


def _blank_line_paragraphs(text: str, start: int) -> Iterator[Paragraph]:
    number = 0
    for chunk_start, chunk_end in _split_keep_offsets(text, start):
        chunk = text[chunk_start:chunk_end]
        first, last = chunk_start + len(chunk) - len(chunk.lstrip()), chunk_start + len(chunk.rstrip())
        if last > first:
            number += 1
            yield Paragraph(number, first, last, text[first:last])


def _split_keep_offsets(text: str, start: int) -> list[tuple[int, int]]:
    chunks, position = [], start
    for blank in _BLANK_LINES.finditer(text, start):
        chunks.append((position, blank.start()))
        position = blank.end()
    chunks.append((position, len(text)))
    return chunks


def _title_from_first_paragraph(paragraphs: tuple[Paragraph, ...]) -> str | None:
    """A one-line first paragraph without final punctuation reads as a headline."""
    first = paragraphs[0].text.strip().lstrip("\ufeff")
    looks_like_headline = (
        len(paragraphs) > 1 and "\n" not in first and len(first) <= _TITLE_MAX_CHARS and first[-1:] not in ".!?…:;,"
    )
    return first if looks_like_headline else None


def __getattr__(name: str) -> Any:
    # Decoding belongs to the readers (unspin.formats.decode), which build on this module:
    # importing it from there at the top would be circular.
    if name in _DECODING:
        from .formats import decode

        return getattr(decode, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
