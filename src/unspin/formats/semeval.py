"""Readers and writers for SemEval-2023 Task 3 files (formats: ``shared/data/README.md``).

Article offsets are code points of the file decoded from UTF-8 with no newline
translation: every ``\\r`` and a leading BOM count as one character.

Label files are tab-separated with no header. Readers accept LF or CRLF line ends,
a missing final newline, a leading BOM and fully empty lines (skipped). Label tuples
are returned in taxonomy order, duplicates dropped, so equal label sets compare equal;
writers use the same order, sort rows by numeric article id then line number and end
every row with LF, so reading and writing round-trip.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..article import Article
from ..errors import InputError, where
from ..files import write_text
from ..taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS
from .decode import read_text

__all__ = [
    "LabelledSpan",
    "TemplateRow",
    "article_paths",
    "fix_span_end",
    "read_article",
    "read_articles",
    "read_frame_labels",
    "read_genre_labels",
    "read_span_dir",
    "read_span_file",
    "read_technique_labels",
    "read_template",
    "write_frame_labels",
    "write_genre_labels",
    "write_span_file",
    "write_technique_labels",
]

_ARTICLE_FILE = re.compile(r"article(\d+)\.txt")
_SPAN_FILE = re.compile(r"article(\d+)-labels-subtask-3\.txt")
_ID_IN_NAME = re.compile(r"article(\d+)")

_K = TypeVar("_K")
_V = TypeVar("_V")

_GENRE_COLUMNS = ("article_id", "genre")
_FRAME_COLUMNS = ("article_id", "frames")
_TECHNIQUE_COLUMNS = ("article_id", "line_no", "techniques")
_SPAN_COLUMNS = ("article_id", "technique", "start", "end")
_TEMPLATE_COLUMNS = ("article_id", "line_no", "text")


@dataclass(frozen=True, slots=True)
class LabelledSpan:
    """A technique span: characters ``start`` (inclusive) to ``end`` (exclusive) of an article."""

    article_id: str
    technique: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TemplateRow:
    """One row of a ``.template`` file: a paragraph's text, any trailing ``\\r`` included."""

    article_id: str
    line_number: int
    text: str


# -- articles ---------------------------------------------------------------------------------------------


def read_article(path: str | Path, language: str | None = None) -> Article:
    """Read a SemEval article file exactly as the span offsets count it.

    Parameters
    ----------
    path
        An ``article<ID>.txt`` file; its id is ``<ID>`` (the file stem for other names).
    language
        ISO 639-1 code; detected from the text when ``None``.

    Returns
    -------
    Article
        Paragraph N is line N of the text split on ``\\n``, with any ``\\r`` and BOM kept.

    Raises
    ------
    InputError
        The file is missing, empty, binary or not UTF-8 (for example cp1251 or latin-1).
    """
    path = Path(path)
    text, encoding = read_text(path, encoding="utf-8")
    if encoding != "utf-8":
        raise InputError(f"{where(path)}the file is {encoding}; SemEval article files must be UTF-8")
    return Article.from_semeval(text, id=_id_from_name(path), language=language)


def read_articles(directory: str | Path, language: str | None = None) -> list[Article]:
    """Read every ``article<ID>.txt`` in ``directory``, sorted by numeric id.

    Raises
    ------
    InputError
        ``directory`` is not a directory, holds no article file, or a file is unreadable.
    """
    return [read_article(path, language) for path in article_paths(directory)]


def article_id(article: Article) -> str:
    """The SemEval id of an article read by :func:`read_articles` (every one has its file's id)."""
    if article.id is None:
        raise InputError("a SemEval article without an id; read articles with read_articles")
    return article.id


def article_paths(directory: str | Path) -> list[Path]:
    """The ``article<ID>.txt`` files of ``directory``, sorted by numeric id (raises as :func:`read_articles`)."""
    return _files_by_id(Path(directory), _ARTICLE_FILE, "article<ID>.txt")


def _id_from_name(path: Path) -> str:
    match = _ID_IN_NAME.match(path.name)
    return match.group(1) if match else path.stem


def _files_by_id(directory: Path, pattern: re.Pattern[str], example: str) -> list[Path]:
    """Files of ``directory`` whose whole name matches ``pattern``, sorted by the id it captures."""
    if not directory.is_dir():
        raise InputError(f"{where(directory)}not a directory")
    found = [(match.group(1), path) for path in directory.iterdir() if (match := pattern.fullmatch(path.name))]
    if not found:
        raise InputError(f"{where(directory)}no files named like {example}")
    return [path for article_id, path in sorted(found, key=lambda item: _id_sort_key(item[0]))]


def _id_sort_key(article_id: str) -> tuple[bool, int, str]:
    """Numeric ids in numeric order, then any others alphabetically."""
    numeric = article_id.isdigit()
    return (not numeric, int(article_id) if numeric else 0, article_id)


# -- paragraph and article labels -------------------------------------------------------------------------


def read_genre_labels(path: str | Path) -> dict[str, str]:
    """Read subtask-1 labels, ``<article_id>\\t<genre>``, as ``{article_id: genre}``.

    Raises
    ------
    InputError
        With a ``file:line:`` prefix: wrong column count, unknown genre, duplicate article.
    """
    path = Path(path)
    genres: dict[str, str] = {}
    for at, (article_id, genre) in _rows(path, _GENRE_COLUMNS):
        if genre not in GENRE_LABELS:
            raise InputError(at + _unknown_label(genre, GENRE_LABELS))
        _put_once(genres, article_id, genre, at, f"article {article_id}")
    return genres


def read_frame_labels(path: str | Path) -> dict[str, tuple[str, ...]]:
    """Read subtask-2 labels, ``<article_id>\\t<frame>[,<frame>...]``, as ``{article_id: frames}``.

    An empty or missing frames column gives an empty tuple (a prediction of no frame).

    Raises
    ------
    InputError
        With a ``file:line:`` prefix: wrong column count, unknown frame, duplicate article.
    """
    path = Path(path)
    frames: dict[str, tuple[str, ...]] = {}
    for at, (article_id, field) in _rows(path, _FRAME_COLUMNS, last_optional=True):
        _put_once(frames, article_id, _parse_labels(field, FRAME_LABELS, at), at, f"article {article_id}")
    return frames


def read_technique_labels(path: str | Path) -> dict[tuple[str, int], tuple[str, ...]]:
    """Read subtask-3 labels, ``<article_id>\\t<line_no>\\t<technique>[,...]``.

    Returns
    -------
    dict
        ``{(article_id, line_no): techniques}`` with 1-based line numbers. An empty third
        column means no technique; a row with the third column dropped altogether
        (``<article_id>\\t<line_no>``, as some writers emit for empty paragraphs) means
        the same.

    Raises
    ------
    InputError
        With a ``file:line:`` prefix: wrong column count, line number that is not a
        positive integer, unknown technique, duplicate (article, line).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
    >>> _ = path.write_text("7\\t1\\tDoubt,Slogans\\r\\n7\\t3\\t\\r\\n")
    >>> read_technique_labels(path)
    {('7', 1): ('Slogans', 'Doubt'), ('7', 3): ()}
    """
    path = Path(path)
    techniques: dict[tuple[str, int], tuple[str, ...]] = {}
    for at, (article_id, line_no, field) in _rows(path, _TECHNIQUE_COLUMNS, last_optional=True):
        key = (article_id, _parse_line_number(line_no, at))
        labels = _parse_labels(field, TECHNIQUE_LABELS, at)
        _put_once(techniques, key, labels, at, f"article {article_id} line {key[1]}")
    return techniques


def write_genre_labels(path: str | Path, genres: Mapping[str, str]) -> None:
    """Write ``{article_id: genre}`` in the official subtask-1 format."""
    for article_id, genre in genres.items():
        if genre not in GENRE_LABELS:
            raise InputError(f"article {article_id}: " + _unknown_label(genre, GENRE_LABELS))
    _write_rows(path, ((article_id, genres[article_id]) for article_id in _sorted_ids(genres)))


def write_frame_labels(path: str | Path, frames: Mapping[str, Iterable[str]]) -> None:
    """Write ``{article_id: frames}`` in the official subtask-2 format."""
    rows = (
        (article_id, _join_labels(frames[article_id], FRAME_LABELS, f"article {article_id}: "))
        for article_id in _sorted_ids(frames)
    )
    _write_rows(path, rows)


def write_technique_labels(path: str | Path, techniques: Mapping[tuple[str, int], Iterable[str]]) -> None:
    """Write ``{(article_id, line_no): techniques}`` in the official subtask-3 format.

    A paragraph without technique is written with an empty third column.
    """
    rows = (
        (*key, _join_labels(techniques[key], TECHNIQUE_LABELS, f"article {key[0]}: "))
        for key in sorted(techniques, key=lambda key: (_id_sort_key(key[0]), key[1]))
    )
    _write_rows(path, rows)


def _parse_labels(field: str, inventory: Sequence[str], at: str) -> tuple[str, ...]:
    return _canonical_labels((label.strip() for label in field.split(",")), inventory, at)


def _join_labels(labels: Iterable[str], inventory: Sequence[str], at: str) -> str:
    return ",".join(_canonical_labels(labels, inventory, at))


def _canonical_labels(labels: Iterable[str], inventory: Sequence[str], at: str) -> tuple[str, ...]:
    """The labels in inventory order without duplicates or empty strings; unknown ones raise."""
    given = set(labels) - {""}
    unknown = sorted(given.difference(inventory))
    if unknown:
        raise InputError(at + _unknown_label(unknown[0], inventory))
    return tuple(label for label in inventory if label in given)


def _unknown_label(label: str, inventory: Sequence[str]) -> str:
    close = difflib.get_close_matches(label, inventory, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(inventory)}"
    return f"unknown label {label!r}; {hint}"


def _parse_line_number(field: str, at: str) -> int:
    number = _parse_int(field, at, "line number")
    if number < 1:
        raise InputError(f"{at}line numbers are 1-based, found {number}")
    return number


def _parse_int(field: str, at: str, what: str) -> int:
    try:
        return int(field)
    except ValueError:
        raise InputError(f"{at}expected an integer {what}, found {field!r}") from None


def _put_once(rows: dict[_K, _V], key: _K, value: _V, at: str, description: str) -> None:
    if key in rows:
        raise InputError(f"{at}duplicate row for {description}")
    rows[key] = value


def _sorted_ids(mapping: Mapping[str, object]) -> list[str]:
    return sorted(mapping, key=_id_sort_key)


# -- spans ------------------------------------------------------------------------------------------------


def fix_span_end(text: str, start: int, end: int) -> int:
    """Return ``end`` corrected for the known one-character-short span ends.

    In the non-English span files, spans that run to the end of a sentence stop one
    character early (``…до Одесс|ы.``). When the span's last character and the next one
    are alphanumeric and a ``.`` follows, the end moves one character on. No correct
    English train span meets this condition, so the fix is safe for every language.

    Examples
    --------
    >>> text = "поехали до Одессы."
    >>> text[11:fix_span_end(text, 11, 16)]
    'Одессы'
    >>> fix_span_end("the end.", 4, 7)
    7
    """
    ends_inside_last_word = text[end - 1 : end].isalnum() and text[end : end + 1].isalnum()
    if start < end and ends_inside_last_word and text[end + 1 : end + 2] == ".":
        return end + 1
    return end


def read_span_file(path: str | Path, text: str | Mapping[str, str] | None = None) -> list[LabelledSpan]:
    """Read a span file, ``<article_id>\\t<technique>\\t<start>\\t<end>`` per row.

    Parameters
    ----------
    path
        A span file, usually ``article<ID>-labels-subtask-3.txt``; it may be empty.
    text
        The article text (or ``{article_id: text}`` for a file with several articles).
        When given, each end is corrected with :func:`fix_span_end` and the offsets are
        checked against the text.

    Raises
    ------
    InputError
        With a ``file:line:`` prefix: wrong column count, unknown technique, non-integer
        offsets, offsets outside ``0 <= start < end <= len(text)``, unknown article id.
    """
    return _read_technique_spans(Path(path), text, TECHNIQUE_LABELS, fix_end=True)


def read_span_dir(directory: str | Path, texts: Mapping[str, str] | None = None) -> list[LabelledSpan]:
    """Read every ``article<ID>-labels-subtask-3.txt`` of ``directory`` (see :func:`read_span_file`).

    ``texts`` maps article ids to article texts; when given, span ends are fixed and checked.
    """
    paths = _files_by_id(Path(directory), _SPAN_FILE, "article<ID>-labels-subtask-3.txt")
    return [span for path in paths for span in read_span_file(path, texts)]


def write_span_file(path: str | Path, spans: Iterable[LabelledSpan]) -> None:
    """Write spans in the official span-file format, sorted by article id and offsets."""
    _write_rows(path, ((s.article_id, s.technique, s.start, s.end) for s in _sorted_spans(spans)))


def _read_technique_spans(
    path: Path, text: str | Mapping[str, str] | None, inventory: Sequence[str], *, fix_end: bool
) -> list[LabelledSpan]:
    """Read ``<article_id>\\t<technique>\\t<start>\\t<end>`` rows; the technique is never split."""
    spans = []
    for at, (article_id, technique, start, end) in _rows(path, _SPAN_COLUMNS):
        if technique not in inventory:
            raise InputError(at + _unknown_label(technique, inventory))
        spans.append(_span(article_id, technique, start, end, _text_of(text, article_id, at), at, fix_end=fix_end))
    return spans


def _text_of(text: str | Mapping[str, str] | None, article_id: str, at: str) -> str | None:
    if text is None or isinstance(text, str):
        return text
    if article_id not in text:
        raise InputError(f"{at}no article text for article {article_id}")
    return text[article_id]


def _span(
    article_id: str, technique: str, start: str, end: str, text: str | None, at: str, *, fix_end: bool
) -> LabelledSpan:
    """Parse one span row's offsets, fix the end if asked, and check them against ``text``."""
    first, last = _parse_int(start, at, "start offset"), _parse_int(end, at, "end offset")
    if text is not None and fix_end:
        last = fix_span_end(text, first, last)
    limit = len(text) if text is not None else None
    if not 0 <= first < last or (limit is not None and last > limit):
        bound = "" if limit is None else f" <= {limit} (the article's length)"
        raise InputError(f"{at}span {first}-{last} is out of range; expected 0 <= start < end{bound}")
    return LabelledSpan(article_id, technique, first, last)


def _sorted_spans(spans: Iterable[LabelledSpan]) -> list[LabelledSpan]:
    return sorted(spans, key=lambda s: (_id_sort_key(s.article_id), s.start, s.end, s.technique))


# -- templates --------------------------------------------------------------------------------------------


def read_template(path: str | Path) -> list[TemplateRow]:
    """Read a ``.template`` file, ``<article_id>\\t<line_no>\\t<paragraph text>`` per row.

    The text is kept exactly, tabs and a trailing ``\\r`` included (it is part of the
    paragraph); a missing final newline is fine.

    Raises
    ------
    InputError
        With a ``file:line:`` prefix: fewer than 3 columns or a bad line number.
    """
    path = Path(path)
    return [
        TemplateRow(article_id, _parse_line_number(line_no, at), text)
        for at, (article_id, line_no, text) in _rows(path, _TEMPLATE_COLUMNS, free_text_last=True)
    ]


# -- tab-separated rows -----------------------------------------------------------------------------------


def _rows(
    path: Path, columns: Sequence[str], *, last_optional: bool = False, free_text_last: bool = False
) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(location prefix, fields)`` for each record of a tab-separated UTF-8 file.

    ``last_optional``: a row may omit the last column, read as empty.
    ``free_text_last``: the last column runs to the end of the line, tabs and ``\\r`` included.
    """
    for number, line in _numbered_lines(path):
        at = where(path, number)
        fields = line.split("\t", len(columns) - 1) if free_text_last else line.removesuffix("\r").split("\t")
        if last_optional and len(fields) == len(columns) - 1:
            fields.append("")
        if len(fields) != len(columns):
            expected = "\\t".join(f"<{column}>" for column in columns)
            raise InputError(f"{at}expected {len(columns)} tab-separated columns {expected}, found {len(fields)}")
        fields[0] = fields[0].strip()
        if not fields[0]:
            raise InputError(f"{at}the article id (column 1) is empty")
        yield at, fields


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(1-based line number, line)``, splitting on ``\\n`` only and skipping empty lines."""
    for number, line in enumerate(_read_utf8(path).split("\n"), start=1):
        if line not in ("", "\r"):
            yield number, line


def _read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{where(path)}cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where(path)}not valid UTF-8 (byte {exc.start}); convert the file to UTF-8") from exc


def _write_rows(path: str | Path, rows: Iterable[Sequence[object]]) -> None:
    path = Path(path)
    write_text(path, "".join("\t".join(map(str, row)) + "\n" for row in rows))
