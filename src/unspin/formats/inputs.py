"""Read articles from anywhere: text files, directories, stdin, JSONL, CSV, HTML, URLs and feeds.

Every reader yields :class:`Document` objects: a ``name`` saying where the article came
from (a path, ``path:line`` for a JSONL or CSV record, ``path:row`` for a Parquet row
counted from 1, a URL) and either the :class:`~unspin.article.Article` or the ``reason``
it could not be read. A bad file, line, row, page or feed item never stops the stream.

How an input is read
--------------------
========================  ====================================================================
``-``                     stdin: plain text, or HTML when it starts like a page; other formats
                          with ``input_format``
``http(s)://...``         fetched (timeout, size cap, at most 5 redirects); HTML pages go
                          through main-text extraction, ``text/plain`` is read as text
a directory               every file below it matching ``globs`` (default ``*.txt``: outputs,
                          notes and data files that live next to articles are not swept in),
                          hidden files and folders skipped, each read by its suffix
``.jsonl``/``.ndjson``    one JSON object per line
``.csv``/``.tsv``         one article per row, the first row names the columns
``.parquet``/``.pq``      one article per row (needs pyarrow); only the columns named in
                          ``fields`` are read
``.html``/``.htm``        main text, title, date and site name extracted with trafilatura
anything else             a plain-text article, with or without a ``date YYYY-MM-DD`` header
========================  ====================================================================

Record fields (JSONL keys, CSV and Parquet columns) are matched case-insensitively against
:data:`DEFAULT_FIELDS`, which :func:`parse_field_overrides` can change. Whole-document
inputs larger than ``max_bytes`` (10 MiB by default) are refused with a clear message
rather than read; JSONL, CSV and Parquet files may be of any size, but each record is capped the same.
Text that is not UTF-8 is decoded with a detected (or given) encoding, which is reported
in ``article.meta["encoding"]``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import email.utils
import io
import json
import logging
import lzma
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from ..article import Article, decode_bytes
from ..errors import InputError, where

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_GLOBS",
    "DEFAULT_MAX_BYTES",
    "Document",
    "Fetched",
    "Fetcher",
    "InputFormat",
    "ReadOptions",
    "article_from_html",
    "article_from_record",
    "count_documents",
    "count_records",
    "format_of",
    "is_batch",
    "is_url",
    "parse_field_overrides",
    "public_address",
    "read_documents",
    "read_feed",
    "read_records",
]

InputFormat = Literal["auto", "text", "jsonl", "csv", "parquet", "html", "urls"]
FieldKey = Literal["text", "id", "title", "date", "source", "url", "language"]

DEFAULT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "text": ("text", "content", "body"),
    "id": ("id",),
    "title": ("title",),
    "date": ("date",),
    "source": ("source",),
    "url": ("url",),
    "language": ("language", "lang"),
}
DEFAULT_GLOBS = ("*.txt",)
DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_TIMEOUT = 20.0
MAX_REDIRECTS = 5
MIN_MAIN_TEXT_WORDS = 15  # below this an HTML page's "main text" is menus or a JavaScript notice

_SUFFIX_FORMATS: Mapping[str, InputFormat] = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
    ".html": "html", ".htm": "html", ".xhtml": "html",
}
_STREAM_FORMATS = ("jsonl", "csv", "parquet", "urls")
# What reading a file that breaks off raises: a truncated or corrupt compressed file (read
# through fsspec by a cluster run), a lost connection.
_BROKEN_STREAM = (OSError, EOFError, zlib.error, lzma.LZMAError)
_PARQUET_BATCH_ROWS = 256
_TSV = re.compile(r"\.tsv(\.(gz|bz2|xz|zst|lz4))?$", re.IGNORECASE)  # compressed shards: see unspin.cluster
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<\?xml[^>]*>\s*<html)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that surrogateescape kept aside
_SNIFF_BYTES = 1 << 20
_CHUNK_BYTES = 1 << 16
# Browsers read pages declared as latin-1 or ASCII as windows-1252 (the WHATWG encoding standard).
_WEB_ALIASES = dict.fromkeys(("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"), "cp1252")
_USER_AGENT = "unspin (article analysis; +https://pypi.org/project/unspin/)"


@dataclass(frozen=True, slots=True)
class Document:
    """One input document: where it came from, and the article or why it could not be read.

    Examples
    --------
    >>> Document("notes.txt", reason="the file is empty").message
    'notes.txt: the file is empty'
    """

    name: str
    article: Article | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.article is not None

    @property
    def message(self) -> str:
        """``name: reason``, the one line reported for a failed document."""
        return f"{where(self.name)}{self.reason}"

    def unwrap(self) -> Article:
        """The article, or :class:`InputError` with :attr:`message`."""
        if self.article is None:
            raise InputError(self.message)
        return self.article


@dataclass(frozen=True)
class ReadOptions:
    """How inputs are read; every reader takes one.

    Parameters
    ----------
    input_format : {"auto", "text", "jsonl", "csv", "parquet", "html", "urls"}
        ``auto`` picks by file suffix (see the module docstring); ``urls`` reads a list of
        URLs, one a line (``#`` starts a comment).
    encoding : str
        ``auto`` detects it; anything else is the codec every file is decoded with.
    globs : tuple of str
        Patterns of the file names read from directories.
    fields : mapping
        Field key (``text``, ``id``, ``title``, ``date``, ``source``, ``url``, ``language``)
        to the JSONL keys or CSV columns tried for it, first match wins.
    max_bytes : int
        Largest article file, page or record read.
    timeout : float
        Seconds allowed for one HTTP request, download included.
    exclude : frozenset of Path
        Resolved paths never read from directories (the run's own output files).
    allow_private_addresses : bool
        Whether URLs may point at loopback, private, link-local or other non-public
        addresses. A server fetching its users' URLs turns this off: every address a host
        resolves to is then checked when connecting (redirects included), and the
        connection goes to the address that was checked.
    records : range, optional
        Read only these records (0-based; blank lines and rows are not records) of each
        JSONL, CSV or Parquet file: one partition of a large file in a cluster run.
    """

    input_format: InputFormat = "auto"
    encoding: str = "auto"
    globs: tuple[str, ...] = DEFAULT_GLOBS
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = DEFAULT_TIMEOUT
    exclude: frozenset[Path] = frozenset()
    allow_private_addresses: bool = True
    records: range | None = None


def parse_field_overrides(overrides: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Field names from ``KEY=NAME`` strings over :data:`DEFAULT_FIELDS`.

    Examples
    --------
    >>> parse_field_overrides(["text=story", "id=doc_id"])["text"]
    ('story',)
    """
    fields = dict(DEFAULT_FIELDS)
    for override in overrides:
        key, sep, name = (part.strip() for part in override.partition("="))
        if not sep or not name or key not in fields:
            raise InputError(f"--field {override!r}: expected KEY=NAME with KEY one of {', '.join(fields)}")
        fields[key] = (name,)
    return fields


def format_of(path: Path, options: ReadOptions) -> InputFormat:
    """The format a file is read in: ``options.input_format``, or by its suffix when ``auto``."""
    if options.input_format != "auto":
        return options.input_format
    return _SUFFIX_FORMATS.get(path.suffix.lower(), "text")


def is_url(raw: str) -> bool:
    return bool(_URL_SCHEME.match(raw))


def is_batch(inputs: Iterable[str], feeds: Iterable[str], options: ReadOptions) -> bool:
    """Whether these inputs may hold more than one document (a directory, a JSONL file, a feed...)."""
    inputs = list(inputs)
    if list(feeds) or len(inputs) != 1:
        return True
    raw = inputs[0]
    if raw == "-" or is_url(raw):
        return options.input_format in _STREAM_FORMATS
    path = Path(raw)
    return path.is_dir() or format_of(path, options) in _STREAM_FORMATS


# ---------------------------------------------------------------------------- entry point


def read_documents(inputs: Iterable[str], *, feeds: Iterable[str] = (),
                   options: ReadOptions | None = None) -> Iterator[Document]:
    """Read every input, then every feed, as a stream of documents.

    Parameters
    ----------
    inputs : iterable of str
        File and directory paths, ``http(s)://`` URLs, and ``-`` for stdin.
    feeds : iterable of str
        RSS or Atom feed URLs (or feed files); their items are read newest first.
    options : ReadOptions, optional

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_text("date 2022-03-11 They lie.\\n\\nThey always lie.")
    >>> _ = (folder / "b.txt").write_text("")
    >>> [(d.name.rsplit("/", 1)[-1], d.ok) for d in read_documents([str(folder)])]
    [('a.txt', True), ('b.txt', False)]
    """
    options = options or ReadOptions()
    with Fetcher(options) as fetcher:
        for raw in inputs:
            yield from _read_input(raw, options, fetcher)
        for feed in feeds:
            yield from read_feed(feed, options, fetcher)


def _read_input(raw: str, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    if raw == "-":
        yield from _read_stream("<stdin>", sys.stdin.buffer, _stdin_format(options), options, fetcher)
    elif is_url(raw):
        yield from _read_url_input(raw, options, fetcher)
    elif Path(raw).is_dir():
        yield from _read_directory(Path(raw), options, fetcher)
    elif not Path(raw).exists():
        yield Document(raw, reason="no such file or directory")
    else:
        yield from _read_path(Path(raw), options, fetcher)


def _stdin_format(options: ReadOptions) -> InputFormat:
    """stdin has no suffix: text unless told otherwise (HTML is recognised by its first bytes)."""
    return options.input_format if options.input_format != "auto" else "text"


def _read_url_input(url: str, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    if options.input_format in _STREAM_FORMATS:
        yield from _read_stream(url, partial(_download, fetcher, url), options.input_format, options, fetcher)
    else:
        yield _document(url, lambda: _article_from_fetched(fetcher.get(url), options))


def _download(fetcher: Fetcher, url: str) -> IO[bytes]:
    return io.BytesIO(fetcher.get(url).content)


def _read_directory(root: Path, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    files = _directory_files(root, options)
    if not files:
        patterns = ", ".join(options.globs)
        yield Document(str(root), reason=f"no files matching {patterns} in this directory; choose others with --glob")
    for path in files:
        yield from _read_path(path, options, fetcher, id=path.relative_to(root).with_suffix("").as_posix())


def _directory_files(root: Path, options: ReadOptions) -> list[Path]:
    found = {p for pattern in options.globs for p in root.rglob(pattern)}
    readable = (p for p in found if p.is_file() and not _hidden(p.relative_to(root)))
    return sorted(p for p in readable if p.resolve() not in options.exclude)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _read_path(path: Path, options: ReadOptions, fetcher: Fetcher, id: str | None = None) -> Iterator[Document]:
    fmt = format_of(path, options)
    if fmt in _STREAM_FORMATS:
        yield from _read_stream(str(path), lambda: path.open("rb"), fmt, options, fetcher)
    else:
        yield _document(str(path), _read_file, path, fmt, options, path.stem if id is None else id)


def _read_file(path: Path, fmt: InputFormat, options: ReadOptions, id: str) -> Article:
    return _read_whole(str(path), _open_capped(path, options.max_bytes), fmt, options, id=id)


def read_records(name: str, open_stream: Callable[[], IO[bytes]], fmt: InputFormat,
                 options: ReadOptions | None = None) -> Iterator[Document]:
    """The documents of one JSONL, CSV or Parquet file that ``open_stream`` opens, local or remote.

    This is how a cluster run reads a partition: ``open_stream`` comes from fsspec, and
    ``options.records`` picks the partition's records. The stream is closed after reading.
    """
    options = options or ReadOptions()
    with Fetcher(options) as fetcher:
        yield from _read_stream(name, open_stream, fmt, options, fetcher)


def _read_stream(name: str, source: IO[bytes] | Callable[[], IO[bytes]], fmt: InputFormat,
                 options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    """Read ``source`` as ``fmt``: stdin (left open), or a function opening a stream (closed after reading)."""
    if fmt == "parquet":
        yield from _read_parquet(name, source, options)
        return
    try:
        stream = source() if callable(source) else source
        if fmt not in _STREAM_FORMATS:
            data = _read_capped(stream, options.max_bytes)
        else:
            lines, encoding = _text_lines(name, stream, options, fmt, close=callable(source))
    except (*_BROKEN_STREAM, InputError) as exc:
        yield Document(name, reason=_reason(exc, name))
        return
    if fmt not in _STREAM_FORMATS:
        yield _document(name, lambda: _read_whole(name, data, fmt, options))
        return
    with lines:
        try:
            yield from _RECORD_READERS[fmt](name, lines, encoding, options, fetcher)
        except _BROKEN_STREAM as exc:
            yield Document(name, reason=f"the file breaks off: {_reason(exc, name)}")


def _read_whole(name: str, data: bytes, fmt: InputFormat, options: ReadOptions, **metadata: Any) -> Article:
    if fmt == "html" or (options.input_format == "auto" and _HTML_START.match(data[:512])):
        return article_from_html(data, encoding=options.encoding, name=name, **metadata)
    text, used = decode_bytes(data, name=name, encoding=options.encoding)
    return _with_encoding(Article.from_text(text, **metadata), used)


def _with_encoding(article: Article, encoding: str) -> Article:
    """Record a non-UTF-8 source encoding in ``meta`` (UTF-8, the norm, is not recorded)."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return article
    return article.with_metadata(meta={**article.meta, "encoding": encoding})


def _document(name: str, make: Callable[..., Article], *args: Any) -> Document:
    """The document ``make(*args)`` builds, or the reason it could not."""
    try:
        return Document(name, article=make(*args))
    except InputError as exc:
        return Document(name, reason=_reason(exc, name))


def _reason(exc: Exception, name: str) -> str:
    """The message without a location prefix: the document's name is reported beside it."""
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return str(exc).removeprefix(where(name))


# ---------------------------------------------------------------------------- size caps


def _open_capped(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as stream:
            return _read_capped(stream, max_bytes)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from exc


def _read_capped(stream: IO[bytes], max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"larger than the {_size(max_bytes)} limit for one article; split it or raise --max-size")
    return data


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.3g} MiB" if n_bytes >= 2**20 else f"{n_bytes / 2**10:.3g} KiB"


# ---------------------------------------------------------------------------- records: JSONL and CSV


def article_from_record(record: Mapping[str, Any], fields: Mapping[str, tuple[str, ...]] = DEFAULT_FIELDS) -> Article:
    """Build an article from one JSONL object or CSV row, looking fields up case-insensitively.

    A date that cannot be read is kept as text in ``meta["raw_date"]`` rather than losing the article.

    Examples
    --------
    >>> a = article_from_record({"Body": "They lie.", "id": 7, "date": "2022-03-11T08:00:00Z"})
    >>> a.id, a.date.isoformat(), a.text
    ('7', '2022-03-11', 'They lie.')
    """
    record = {str(k).strip().lower(): v for k, v in record.items()}
    text_names = fields["text"]
    present = [n for n in text_names if n.lower() in record]
    if not present:
        raise InputError(f"no text field (looked for {', '.join(text_names)}); name it with --field text=NAME")
    text = next((record[n.lower()] for n in present if record[n.lower()] not in (None, "")), "")
    if not isinstance(text, str):
        raise InputError(f"the text field {present[0]!r} holds a {type(text).__name__}, expected a string")
    values = {key: _scalar(record, names, key) for key, names in fields.items() if key != "text"}
    date, raw_date = _parse_date(values.pop("date"))
    article = Article.from_text(text, date=date, **values)
    return article.with_metadata(meta={**article.meta, "raw_date": raw_date}) if raw_date else article


def _scalar(record: Mapping[str, Any], names: tuple[str, ...], key: str) -> str | None:
    for name in names:
        value = record.get(name.lower())
        if value in (None, ""):
            continue
        if isinstance(value, (dict, list)):
            raise InputError(f"the {key} field {name!r} holds a {type(value).__name__}, expected text")
        return str(value).strip() or None
    return None


def _parse_date(value: str | None) -> tuple[dt.date | None, str | None]:
    """``(date, None)`` for ISO 8601 and RFC 2822 dates, ``(None, value)`` for anything else."""
    if value is None:
        return None, None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date(), None
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date(), None
    except (TypeError, ValueError, IndexError):
        return None, value


def _text_lines(name: str, stream: IO[bytes], options: ReadOptions, fmt: InputFormat,
                close: bool) -> tuple[IO[str], str]:
    """A text view of ``stream`` in its sniffed encoding; undecodable bytes become U+DC80..U+DCFF.

    CSV keeps every line ending for the csv module; JSONL and URL lists end lines at LF only.
    """
    head = stream.read(_SNIFF_BYTES)
    encoding = _sniff_encoding(head, options.encoding, name)
    replay = io.BufferedReader(_Prepend(head, stream, close))
    newline = "" if fmt == "csv" else "\n"
    return io.TextIOWrapper(replay, encoding=encoding, errors="surrogateescape", newline=newline), encoding


def _sniff_encoding(head: bytes, encoding: str, name: str) -> str:
    if encoding != "auto":
        return encoding
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _mostly_utf8(head):
        return "utf-8"
    return decode_bytes(head, name=name)[1]


def _mostly_utf8(head: bytes) -> bool:
    """UTF-8 with a few bad bytes (one corrupt record) is still UTF-8: each bad record fails alone.

    Legacy code pages almost never form valid multi-byte UTF-8 sequences by chance.
    """
    if len(head) == _SNIFF_BYTES:
        head = head[: head.rfind(b"\n") + 1] or head[:-3]  # no character cut in two at the end
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid = sum(1 for char in text if char > "\x7f") - bad
    return bad == 0 or valid > bad


class _Prepend(io.RawIOBase):
    """A raw stream that replays ``head`` and then continues with ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes], close_rest: bool) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self._close_rest = close_rest

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._close_rest and not self.closed:
            self._rest.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _check_decoded(text: str, encoding: str) -> None:
    if _UNDECODABLE.search(text):
        raise InputError(f"not valid {encoding} text; convert it to UTF-8 or give --encoding")


def _check_record_size(text: str, max_bytes: int) -> None:
    if len(text) > max_bytes:
        raise InputError(f"the record is larger than the {_size(max_bytes)} limit for one article; raise --max-size")


def _selected(records: Iterator[Any], wanted: range | None) -> Iterator[Any]:
    """The records numbered ``wanted`` (all when None), parsed by the caller only once selected."""
    return records if wanted is None else islice(records, wanted.start, wanted.stop)


def _first_selected(wanted: range | None) -> bool:
    """Whether the first record is wanted: a problem with the whole file is reported by that partition only."""
    return wanted is None or 0 in wanted


def _read_jsonl(name: str, lines: IO[str], encoding: str, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    records = ((number, line) for number, line in enumerate(lines, start=1) if line.strip())
    for number, line in _selected(records, options.records):
        yield _document(f"{name}:{number}", _jsonl_article, line, encoding, options)


def _jsonl_article(line: str, encoding: str, options: ReadOptions) -> Article:
    _check_record_size(line, options.max_bytes)
    _check_decoded(line, encoding)
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg}, column {exc.colno}); each line must be one JSON object") from exc
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got a {type(record).__name__}")
    return _with_encoding(article_from_record(record, options.fields), encoding)


def _read_csv(name: str, lines: IO[str], encoding: str, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    rows = _csv_reader(name, lines, options)
    header = [cell.strip() for cell in next(rows, [])]
    problem = _header_problem(header, options.fields["text"])
    if problem:
        if _first_selected(options.records):
            yield Document(name, reason=problem)
        return
    yield from _csv_documents(name, rows, header, encoding, options)


def _csv_reader(name: str, lines: Iterable[str], options: ReadOptions) -> Any:
    csv.field_size_limit(max(csv.field_size_limit(), options.max_bytes))
    return csv.reader(lines, delimiter="\t" if _TSV.search(name) else ",")


def _header_problem(header: list[str], text_names: tuple[str, ...]) -> str | None:
    if not any(header):
        return "the CSV file is empty; it needs a header row naming its columns"
    return _text_column_problem(header, text_names, "the header has")


def _text_column_problem(columns: list[str], text_names: tuple[str, ...], listed: str) -> str | None:
    lowered = {c.lower() for c in columns}
    if not any(n.lower() in lowered for n in text_names):
        return (f"no text column {' or '.join(map(repr, text_names))} ({listed} {', '.join(columns)}); "
                f"name it with --field text=COLUMN")
    return None


def _csv_documents(name: str, rows: Any, header: list[str], encoding: str, options: ReadOptions) -> Iterator[Document]:
    for line, row in _selected(_csv_records(rows), options.records):
        if isinstance(row, csv.Error):
            yield Document(f"{name}:{line}", reason=f"malformed CSV row ({row})")
        else:
            yield _document(f"{name}:{line}", _csv_article, row, header, encoding, options)


def _csv_records(rows: Any) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line, row or the error reading it) for every row that is not blank."""
    start = rows.line_num + 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
        else:
            if any(cell.strip() for cell in row):
                yield start, row
        start = rows.line_num + 1


def _csv_article(row: list[str], header: list[str], encoding: str, options: ReadOptions) -> Article:
    if len(row) != len(header):
        raise InputError(f"the row has {len(row)} fields but the header has {len(header)}; check its quoting")
    for cell in row:
        _check_record_size(cell, options.max_bytes)
        _check_decoded(cell, encoding)
    return _with_encoding(article_from_record(dict(zip(header, row, strict=True)), options.fields), encoding)


# ---------------------------------------------------------------------------- records: Parquet


def _read_parquet(name: str, source: IO[bytes] | Callable[[], IO[bytes]], options: ReadOptions) -> Iterator[Document]:
    """One document per row of a Parquet file; only the columns named in ``options.fields`` are read."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        yield Document(name, reason="reading Parquet needs pyarrow: pip install 'unspin[parquet]'")
        return
    try:
        stream = source() if callable(source) else io.BytesIO(source.read())  # Parquet is read from its end: stdin cannot seek
    except _BROKEN_STREAM as exc:
        yield Document(name, reason=_reason(exc, name))
        return
    with stream:
        try:
            parquet = pq.ParquetFile(stream)
        except (*_BROKEN_STREAM, pa.ArrowException) as exc:
            yield Document(name, reason=f"not a readable Parquet file ({exc})")
            return
        try:
            yield from _parquet_documents(name, parquet, options)
        except (*_BROKEN_STREAM, pa.ArrowException) as exc:
            yield Document(name, reason=f"the file breaks off: {exc}")


def _parquet_documents(name: str, parquet: Any, options: ReadOptions) -> Iterator[Document]:
    columns = parquet.schema_arrow.names
    problem = _text_column_problem(columns, options.fields["text"], "the columns are")
    if problem:
        if _first_selected(options.records):
            yield Document(name, reason=problem)
        return
    wanted = {n.lower() for names in options.fields.values() for n in names}
    read = [c for c in columns if c.lower() in wanted]
    for row, record in _parquet_rows(parquet, read, options.records):
        yield _document(f"{name}:{row + 1}", _parquet_article, record, options)


def _parquet_rows(parquet: Any, columns: list[str], wanted: range | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row index, record) of the wanted rows, reading only the row groups that hold them."""
    groups: list[int] = []
    first = offset = 0
    for group in range(parquet.metadata.num_row_groups):
        size = parquet.metadata.row_group(group).num_rows
        if wanted is None or (offset < wanted.stop and wanted.start < offset + size):
            first = first if groups else offset
            groups.append(group)
        offset += size
    if not groups:
        return
    row = first
    for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, row_groups=groups, columns=columns):
        for record in batch.to_pylist():
            if wanted is None or row in wanted:
                yield row, record
            row += 1


def _parquet_article(record: dict[str, Any], options: ReadOptions) -> Article:
    for value in record.values():
        if isinstance(value, str):
            _check_record_size(value, options.max_bytes)
    return article_from_record(record, options.fields)


# ---------------------------------------------------------------------------- HTML, URLs and feeds


def article_from_html(html: bytes | str, *, url: str | None = None, charset: str | None = None,
                      encoding: str = "auto", name: str = "<html>", **metadata: Any) -> Article:
    """Extract the main text of a web page, with its title, date and site name, as an article.

    Paragraphs are the extracted text blocks, separated by blank lines; ``article.text`` is
    that extracted text, and offsets point into it. ``charset`` is the one an HTTP header
    declared; a ``<meta charset>`` in the page is used otherwise. ``metadata`` (``id``,
    ``title``, ``date``, ``source``) takes precedence over what the page says; ``name``
    is the page's name in error messages.

    Raises
    ------
    InputError
        When the page has no main text (an index page, or one that needs JavaScript).
    """
    used = "utf-8"
    if isinstance(html, bytes):
        html, used = _decode_html(html, charset, encoding, name)
    extracted = _extract(html, url)
    blocks = (extracted.text or "").splitlines() if extracted else []
    text = "\n\n".join(block.strip() for block in blocks if block.strip())
    if len(text.split()) < MIN_MAIN_TEXT_WORDS:
        raise InputError("no main text found in the HTML page (an index page, or one that needs JavaScript?)")
    date, _ = _parse_date(extracted.date)
    found = {"title": extracted.title, "date": date, "source": extracted.sitename, "url": url or extracted.url}
    article = Article.from_text(text, **{**found, **{k: v for k, v in metadata.items() if v is not None}})
    return _with_encoding(article, used)


def _decode_html(data: bytes, charset: str | None, encoding: str, name: str) -> tuple[str, str]:
    """Valid UTF-8 wins (declarations are often wrong), then the declared charset, then detection."""
    declared = charset or _meta_charset(data)
    if encoding == "auto" and declared and _known_codec(declared):
        try:
            return decode_bytes(data, name=name, encoding="utf-8")
        except InputError:
            encoding = _WEB_ALIASES.get(declared.lower(), declared)
    return decode_bytes(data, name=name, encoding=encoding)


def _meta_charset(data: bytes) -> str | None:
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _extract(html: str, url: str | None) -> Any:
    _quiet_extraction_loggers()
    import trafilatura

    return trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )


def _quiet_extraction_loggers() -> None:
    """Keep trafilatura's warnings off stderr unless the application configures logging."""
    for name in ("trafilatura", "htmldate", "courlan"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded resource: the final URL after redirects, its bytes and content type."""

    url: str
    content: bytes
    content_type: str
    charset: str | None


class Fetcher:
    """Fetch http(s) URLs with one client: a time limit, a size cap and few redirects.

    The client is created on the first fetch, so reading local files never imports httpx.
    """

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self._client: httpx.Client | None = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()

    def get(self, url: str) -> Fetched:
        """Download ``url``; raises :class:`InputError` saying what went wrong and what to try."""
        import httpx

        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise InputError("only http and https URLs can be read")
        try:
            return self._download(url)
        except httpx.TimeoutException as exc:
            raise InputError(f"no answer within {self.options.timeout:g} s; try later or raise --timeout") from exc
        except httpx.TooManyRedirects as exc:
            raise InputError(f"more than {MAX_REDIRECTS} redirects") from exc
        except httpx.UnsupportedProtocol as exc:
            raise InputError("redirected to a URL that is not http or https") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise InputError(f"cannot fetch: {exc or type(exc).__name__}") from exc

    def _download(self, url: str) -> Fetched:
        deadline = time.monotonic() + self.options.timeout
        with self._http().stream("GET", url) as response:
            if response.status_code >= 400:
                raise InputError(f"HTTP {response.status_code} {response.reason_phrase}")
            declared = _content_length(response.headers.get("content-length"))
            if declared > self.options.max_bytes:
                raise InputError(f"the page is {_size(declared)}, over the {_size(self.options.max_bytes)} limit; "
                                 "raise --max-size")
            content = self._body(response, deadline)
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Fetched(str(response.url), content, media_type, response.charset_encoding)

    def _body(self, response: httpx.Response, deadline: float) -> bytes:
        body = bytearray()
        for chunk in response.iter_bytes(_CHUNK_BYTES):
            body += chunk
            if len(body) > self.options.max_bytes:
                raise InputError(f"the page is over the {_size(self.options.max_bytes)} limit; raise --max-size")
            if time.monotonic() > deadline:
                raise InputError(f"the download took over {self.options.timeout:g} s; try later or raise --timeout")
        return bytes(body)

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=self.options.timeout,
                headers={"User-Agent": _USER_AGENT},
                transport=None if self.options.allow_private_addresses else _public_only_transport(),
            )
        return self._client


def _public_only_transport() -> httpx.HTTPTransport:
    """A transport whose every connection, redirects included, goes to a checked public address.

    Giving the client a transport also leaves out proxies from the environment, which would
    fetch any address on our behalf.
    """
    import httpcore
    import httpx

    class PublicOnlyBackend(httpcore.SyncBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                        local_address: str | None = None, socket_options: Any = None) -> Any:
            return super().connect_tcp(public_address(host, port), port, timeout, local_address, socket_options)

    transport = httpx.HTTPTransport()
    # httpx has no public hook for opening connections; its httpcore pool takes a network backend.
    transport._pool._network_backend = PublicOnlyBackend()  # type: ignore[union-attr]
    return transport


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``, once every address it resolves to is known to be public.

    Raises
    ------
    InputError
        When the host cannot be resolved, or any of its addresses is loopback, private,
        link-local, multicast, reserved or unspecified.

    Examples
    --------
    >>> public_address("127.0.0.1", 80)
    Traceback (most recent call last):
    ...
    unspin.errors.InputError: not fetched: 127.0.0.1 resolves to 127.0.0.1, a loopback, private or other non-public address
    """
    import ipaddress
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"cannot resolve the host {host!r}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if not addresses:
        raise InputError(f"cannot resolve the host {host!r}")
    for address in addresses:
        if not _is_public(address):
            raise InputError(f"not fetched: {host} resolves to {address}, a loopback, private or other non-public address")
    return str(addresses[0])


def _is_public(address: Any) -> bool:
    embedded = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if embedded is not None and not _is_public(embedded):
        return False
    return bool(address.is_global and not address.is_multicast and not address.is_reserved)


def _content_length(header: str | None) -> int:
    """The announced size, or 0 when it is missing or malformed (the download is capped anyway)."""
    return int(header) if header and header.strip().isdigit() else 0


def _article_from_fetched(page: Fetched, options: ReadOptions, **metadata: Any) -> Article:
    if page.content_type in ("text/plain", "text/markdown"):
        text, used = decode_bytes(page.content, name=page.url, encoding=page.charset or options.encoding)
        return _with_encoding(Article.from_text(text, url=page.url, **metadata), used)
    if page.content_type and "html" not in page.content_type and "xml" not in page.content_type:
        raise InputError(f"content type {page.content_type}: unspin reads HTML pages and plain text")
    return article_from_html(page.content, url=page.url, charset=page.charset, encoding=options.encoding,
                             name=page.url, **metadata)


def _read_url_list(name: str, lines: IO[str], encoding: str, options: ReadOptions,
                   fetcher: Fetcher) -> Iterator[Document]:
    """One URL a line; blank lines and lines starting with ``#`` are skipped."""
    pages = replace(options, input_format="auto")
    for line in map(str.strip, lines):
        if line and not line.startswith("#"):
            yield from _read_url_input(line, pages, fetcher)


def read_feed(source: str, options: ReadOptions | None = None, fetcher: Fetcher | None = None) -> Iterator[Document]:
    """Read the items of an RSS or Atom feed (a URL or a file), newest first.

    Each item's link is fetched and its main text extracted; an item without a link is
    read from the content the feed carries. A broken item becomes a failed document
    named by its link (or ``feed#item-N``) and the other items are still read.
    """
    options = options or ReadOptions()
    if fetcher is None:
        with Fetcher(options) as own:
            yield from read_feed(source, options, own)
        return
    try:
        data = fetcher.get(source).content if is_url(source) else _open_capped(Path(source), options.max_bytes)
    except InputError as exc:
        yield Document(source, reason=_reason(exc, source))
        return
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f" ({problem})" if problem else ""
        yield Document(source, reason=f"not an RSS or Atom feed, or one without items{detail}")
        return
    feed_title = parsed.feed.get("title") or None
    for number, entry in _newest_first(parsed.entries):
        yield _feed_item(entry, f"{source}#item-{number}", feed_title, options, fetcher)


def _newest_first(entries: list[Any]) -> list[tuple[int, Any]]:
    numbered = list(enumerate(entries, start=1))
    return sorted(numbered, key=lambda item: _entry_time(item[1]) or (), reverse=True)


def _entry_time(entry: Mapping[str, Any]) -> tuple[int, ...] | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return tuple(parsed[:6]) if parsed else None


def _feed_item(entry: Mapping[str, Any], fallback_name: str, feed_title: str | None,
               options: ReadOptions, fetcher: Fetcher) -> Document:
    when = _entry_time(entry)
    metadata: dict[str, Any] = {"title": entry.get("title") or None, "date": dt.date(*when[:3]) if when else None,
                                "source": feed_title}
    link = entry.get("link")
    if link:
        return _document(link, lambda: _article_from_fetched(fetcher.get(link), options, **metadata))
    content = (entry.get("content") or [{}])[0].get("value") or entry.get("summary")
    if not content:
        return Document(fallback_name, reason="the feed item has neither a link nor any content")
    return _document(fallback_name, lambda: article_from_html(content, name=fallback_name, **metadata))


# ---------------------------------------------------------------------------- counting, for progress


def count_documents(inputs: Iterable[str], options: ReadOptions | None = None) -> int | None:
    """How many documents :func:`read_documents` will yield, or ``None`` where that is unknown.

    Local files only: stdin, URLs and URL lists make it unknown. JSONL lines and CSV
    records are counted by scanning the files, which is fast next to analysing them.
    """
    options = options or ReadOptions()
    total = 0
    for raw in inputs:
        if raw == "-" or is_url(raw):
            return None
        path = Path(raw)
        paths = _directory_files(path, options) if path.is_dir() else [path]
        for file in paths:
            count = _count_in_file(file, options)
            if count is None:
                return None
            total += count
    return total


def _count_in_file(path: Path, options: ReadOptions) -> int | None:
    fmt = format_of(path, options)
    if fmt not in ("jsonl", "csv", "parquet"):
        return None if fmt == "urls" else 1
    try:
        with path.open("rb") as stream:
            return max(count_records(str(path), stream, fmt, options), 1)
    except (OSError, ValueError, ImportError, csv.Error):  # the reader reports the file as one failed document
        return 1


def count_records(name: str, stream: IO[bytes], fmt: InputFormat, options: ReadOptions | None = None) -> int:
    """The records of a JSONL, CSV or Parquet file, to cut it into partitions and to show progress.

    JSONL lines are counted without parsing (blank lines, which are no records, too); CSV
    rows are parsed, since article text often spans lines; a Parquet file is not read
    beyond its footer.
    """
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(stream).metadata.num_rows)
    if fmt == "csv":
        with io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="") as lines:
            rows = _csv_reader(name, lines, options or ReadOptions())
            next(rows, None)  # the header
            return sum(1 for _ in _csv_records(rows))
    count, last = 0, b"\n"
    while chunk := stream.read(_SNIFF_BYTES):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (last != b"\n")


_RECORD_READERS: Mapping[str, Callable[[str, IO[str], str, ReadOptions, Fetcher], Iterator[Document]]] = {
    "jsonl": _read_jsonl, "csv": _read_csv, "urls": _read_url_list,
}
