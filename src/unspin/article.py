"""Articles and their paragraphs, with exact character offsets into the original text.

Offsets are the contract: ``article.text[p.start:p.end] == p.text`` for every paragraph,
counted in code points of the text as given (a BOM and every ``\\r`` count as one).
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputError, where
from .language import detect_language

__all__ = ["Article", "Paragraph", "read_text", "decode_bytes"]

_DATE_HEADER = re.compile(r"\A(\ufeff?\s*)date[ \t]+(\d{4}-\d{2}-\d{2})(?=\s|\Z)")
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")  # a blank line may hold any whitespace, NBSP too
_TITLE_MAX_CHARS = 200
_BOM = "\ufeff"
# charset-normalizer's "chaos" often ties between single-byte code pages, and its first
# pick turns latin-1 French into Baltic ("très" -> "trčs"). Near-ties are settled by
# symbols stuck to letters ("Rz¹d" is Polish read as cp1252), then in favour of
# windows-1252 (latin-1's printable superset, the most common legacy encoding).
_PREFERRED_LEGACY_ENCODING = "cp1252"
_NEAR_TIE_CHAOS = 0.05


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
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

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
    def _build(cls, text, paragraphs, id, title, date, source, language, url) -> Article:  # noqa: ANN001
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


def decode_bytes(data: bytes, *, name: str = "<input>", encoding: str = "auto") -> tuple[str, str]:
    """Decode article bytes, returning ``(text, encoding)``.

    UTF-8 (with its BOM kept as U+FEFF, so offsets match other tools) is tried first;
    with ``encoding="auto"`` UTF-16, cp1251, koi8-r, latin-1 and others are detected.
    Binary and undecodable input raise :class:`InputError`, never mojibake.
    """
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise InputError(f"{where(name)}the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(data, "utf-16", name), "utf-16"
    if encoding not in ("auto", "utf-8", "utf8"):
        return _decode_as(data, encoding, name), encoding
    try:
        return _reject_binary(data.decode("utf-8"), name), "utf-8"
    except UnicodeDecodeError as exc:
        if encoding != "auto":
            raise InputError(
                f"{where(name)}not valid UTF-8 (byte {exc.start}); convert it or give its encoding"
            ) from exc
    return _detect_and_decode(data, name)


def _decode_as(data: bytes, encoding: str, name: str) -> str:
    try:
        return _reject_binary(data.decode(encoding), name)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"{where(name)}cannot decode as {encoding}: {exc}") from exc


def _detect_and_decode(data: bytes, name: str) -> tuple[str, str]:
    if b"\x00" in data:
        raise InputError(f"{where(name)}looks like a binary file, not text")
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.chaos > 0.3:
        raise InputError(f"{where(name)}cannot tell the text encoding; convert the file to UTF-8")
    tied = [m for m in matches if m.chaos <= best.chaos + _NEAR_TIE_CHAOS]
    preferred = _PREFERRED_LEGACY_ENCODING
    chosen = min(tied, key=lambda m: (_symbols_touching_letters(str(m)), preferred not in m.could_be_from_charset))
    encoding = preferred if preferred in chosen.could_be_from_charset else chosen.encoding
    return _reject_binary(str(chosen), name), encoding


def _symbols_touching_letters(text: str) -> int:
    return sum(
        1
        for before, char, after in zip(" " + text, text, text[1:] + " ")
        if char >= "\x80" and not char.isalpha() and (before.isalpha() or after.isalpha())
    )


def _reject_binary(text: str, name: str) -> str:
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\v")
    if "\x00" in sample or controls > max(8, len(sample) // 100):
        raise InputError(f"{where(name)}looks like a binary file, not text")
    return text


def read_text(path: str | Path, *, encoding: str = "auto") -> tuple[str, str]:
    """Read a text file without newline translation, returning ``(text, encoding)``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise InputError(f"{where(path)}is a directory, expected a file") from exc
    except OSError as exc:
        raise InputError(f"{where(path)}cannot read: {exc.strerror or exc}") from exc
    return decode_bytes(data, name=str(path), encoding=encoding)
