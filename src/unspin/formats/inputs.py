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

This module picks the reader for each input; the readers live beside it:
:mod:`~unspin.formats.documents` (documents, options, plain text),
:mod:`~unspin.formats.records` (JSONL, CSV, Parquet), :mod:`~unspin.formats.web`
(URLs, HTML, URL lists), :mod:`~unspin.formats.feeds` and :mod:`~unspin.formats.decode`,
each one entry of :mod:`~unspin.formats.registry`.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

from ..article import Article
from ..errors import InputError
from .documents import (
    BROKEN_STREAM,
    DEFAULT_FIELDS,
    DEFAULT_GLOBS,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    Document,
    ReadOptions,
    Source,
    document,
    open_capped,
    parse_field_overrides,
    read_capped,
    reason,
)
from .feeds import read_feed
from .records import article_from_record, count_records
from .registry import INPUT_FORMATS, STREAM_FORMATS, InputFormat, input_format_of
from .web import (
    Fetched,
    Fetcher,
    article_from_html,
    fetch_article,
    is_url,
    looks_like_html,
    public_address,
)

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_GLOBS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
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
    "input_files",
    "is_batch",
    "is_url",
    "parse_field_overrides",
    "public_address",
    "read_documents",
    "read_feed",
    "read_records",
]


def format_of(path: Path, options: ReadOptions) -> InputFormat:
    """The format a file is read in: ``options.input_format``, or by its suffix when ``auto``."""
    if options.input_format != "auto":
        return options.input_format
    return cast(InputFormat, input_format_of(path.suffix))


def is_batch(inputs: Iterable[str], feeds: Iterable[str], options: ReadOptions) -> bool:
    """Whether these inputs may hold more than one document (a directory, a JSONL file, a feed...)."""
    inputs = list(inputs)
    if list(feeds) or len(inputs) != 1:
        return True
    raw = inputs[0]
    if raw == "-" or is_url(raw):
        return options.input_format in STREAM_FORMATS
    path = Path(raw)
    return path.is_dir() or format_of(path, options) in STREAM_FORMATS


def input_files(inputs: Iterable[str], options: ReadOptions) -> Iterator[Path]:
    """The local files :func:`read_documents` reads: the files named, and those found in directories."""
    for raw in inputs:
        if raw == "-" or is_url(raw):
            continue
        path = Path(raw)
        yield from _directory_files(path, options) if path.is_dir() else [path]


# ---------------------------------------------------------------------------- entry point


def read_documents(
    inputs: Iterable[str], *, feeds: Iterable[str] = (), options: ReadOptions | None = None
) -> Iterator[Document]:
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


def read_records(
    name: str, open_stream: Callable[[], IO[bytes]], fmt: InputFormat, options: ReadOptions | None = None
) -> Iterator[Document]:
    """The documents of one JSONL, CSV or Parquet file that ``open_stream`` opens, local or remote.

    This is how a cluster run reads a partition: ``open_stream`` comes from fsspec, and
    ``options.records`` picks the partition's records. The stream is closed after reading.
    """
    options = options or ReadOptions()
    with Fetcher(options) as fetcher:
        yield from _read_stream(name, open_stream, fmt, options, fetcher)


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
    if options.input_format in STREAM_FORMATS:
        yield from _read_stream(url, partial(_download, fetcher, url), options.input_format, options, fetcher)
    else:
        yield document(url, fetch_article, fetcher, url, options)


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
    if fmt in STREAM_FORMATS:
        yield from _read_stream(str(path), lambda: path.open("rb"), fmt, options, fetcher)
    else:
        yield document(str(path), _read_file, path, fmt, options, path.stem if id is None else id)


def _read_file(path: Path, fmt: InputFormat, options: ReadOptions, id: str) -> Article:
    return _read_whole(str(path), open_capped(path, options.max_bytes), fmt, options, id=id)


def _read_stream(
    name: str, source: Source, fmt: InputFormat, options: ReadOptions, fetcher: Fetcher
) -> Iterator[Document]:
    """Read ``source`` as ``fmt``: stdin (left open), or a function opening a stream (closed after reading)."""
    if fmt in STREAM_FORMATS:
        yield from INPUT_FORMATS[fmt].read(name, source, options, fetcher)
        return
    try:
        data = read_capped(source() if callable(source) else source, options.max_bytes)
    except (*BROKEN_STREAM, InputError) as exc:
        yield Document(name, reason=reason(exc, name))
        return
    yield document(name, _read_whole, name, data, fmt, options)


def _read_whole(name: str, data: bytes, fmt: InputFormat, options: ReadOptions, **metadata: Any) -> Article:
    """One document of a one-document format; under ``auto``, text that opens like a web page is HTML."""
    if options.input_format == "auto" and looks_like_html(data):
        fmt = "html"
    article: Article = INPUT_FORMATS[fmt].read(name, data, options, **metadata)
    return article


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
    if fmt == "urls":
        return None
    if fmt not in STREAM_FORMATS:
        return 1
    try:
        with path.open("rb") as stream:
            return max(count_records(str(path), stream, fmt, options), 1)
    except (OSError, ValueError, ImportError, csv.Error):  # the reader reports the file as one failed document
        return 1
