"""Every format unspin reads or writes: one entry each, with its name, suffixes, media types and reader or writer.

What lists formats derives from here: the readers' choice by file suffix, the CLI's
``--input-format`` and ``--format`` choices, the server's upload detection and
accept-lists, the cluster's shard patterns and the writers. A new format is one entry.

Readers and writers are named here and imported when first used, so every layer can read
the registry (the server's accept-lists, the CLI's choices) without importing the readers,
the writers, or what they need (httpx, pyarrow, rich).

Examples
--------
>>> INPUT_FORMATS["jsonl"].suffixes
('.jsonl', '.ndjson')
>>> input_format_of(".TSV"), output_format_of(".pq")
('csv', 'parquet')
>>> accept("text", "html")
'.txt,.text,.md,.html,.htm,.xhtml,text/plain,text/html'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal

__all__ = [
    "INPUT_FORMATS",
    "INPUT_FORMAT_CHOICES",
    "OUTPUT_FORMATS",
    "STREAM_FORMATS",
    "InputFormat",
    "InputFormatEntry",
    "OutputFormat",
    "OutputFormatEntry",
    "accept",
    "input_format_of",
    "output_format_of",
]

# The names of INPUT_FORMAT_CHOICES and OUTPUT_FORMATS, for type checkers (tests/test_registry.py keeps them equal).
InputFormat = Literal["auto", "text", "jsonl", "csv", "parquet", "html", "urls"]
OutputFormat = Literal["text", "json", "jsonl", "csv", "parquet", "html"]


@dataclass(frozen=True, slots=True)
class _Named:
    """A function of ``unspin.formats.<module>``, imported when first called."""

    module: str
    function: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def resolve(self) -> Callable[..., Any]:
        function: Callable[..., Any] = getattr(import_module(f"unspin.formats.{self.module}"), self.function)
        return function


@dataclass(frozen=True, slots=True)
class InputFormatEntry:
    """How one input format is recognised and read.

    Attributes
    ----------
    name : str
        Its ``--input-format`` choice (``ReadOptions.input_format``) and server job format.
    title : str
        What people call it, for forms.
    suffixes : tuple of str
        File-name suffixes, lower case.
    media_types : tuple of str
        Media types, the usual one first.
    read : callable
        A one-document format reads ``(name, data, options, **metadata)`` into an
        :class:`~unspin.article.Article`; a stream format (``many``) reads
        ``(name, source, options, fetcher)`` into :class:`~unspin.formats.documents.Document`
        objects, ``source`` being an open binary stream (left open) or a function opening one.
    many : bool
        Whether a file holds many documents (records, URLs) rather than one.
    detected : bool
        Whether ``auto`` recognises it by suffix or media type; a URL list must be asked for.
    read_as : str, optional
        The format it is read as, when it is a variant of another: TSV is CSV whose file
        name says tab-separated.
    upload : bool
        Whether the server takes it as a batch job's upload.
    """

    name: str
    title: str
    suffixes: tuple[str, ...]
    media_types: tuple[str, ...]
    read: Callable[..., Any]
    many: bool = False
    detected: bool = True
    read_as: str | None = None
    upload: bool = False

    @property
    def input_format(self) -> str:
        """The ``ReadOptions.input_format`` it is read with."""
        return self.read_as or self.name


@dataclass(frozen=True, slots=True)
class OutputFormatEntry:
    """How one output format is chosen and written.

    Attributes
    ----------
    name : str
        Its ``--format`` choice.
    suffixes : tuple of str
        Output file suffixes that choose it when no format is given, lower case.
    media_types : tuple of str
        Media types, the usual one first.
    open : callable
        ``(output, *, append, stdout, console, embedding, raw_csv)`` to a
        :class:`~unspin.formats.outputs.ResultWriter`; see
        :func:`~unspin.formats.outputs.open_writer`.
    tables : bool
        Whether it writes the article and span tables, two files, so it needs an output name.
    """

    name: str
    suffixes: tuple[str, ...]
    media_types: tuple[str, ...]
    open: Callable[..., Any]
    tables: bool = False


_JSONL = (".jsonl", ".ndjson"), ("application/x-ndjson", "application/jsonl", "application/ndjson")
_CSV = (".csv",), ("text/csv",)
_PARQUET = (".parquet", ".pq"), ("application/vnd.apache.parquet",)

INPUT_FORMATS: Mapping[str, InputFormatEntry] = {
    entry.name: entry
    for entry in (
        InputFormatEntry(
            "text",
            "Plain text",
            (".txt", ".text", ".md"),
            ("text/plain", "text/markdown"),
            _Named("documents", "read_text_document"),
        ),
        InputFormatEntry("jsonl", "JSON Lines", *_JSONL, _Named("records", "read_jsonl"), many=True, upload=True),
        InputFormatEntry("csv", "CSV", *_CSV, _Named("records", "read_csv"), many=True, upload=True),
        InputFormatEntry(
            "tsv",
            "TSV",
            (".tsv",),
            ("text/tab-separated-values",),
            _Named("records", "read_csv"),
            many=True,
            read_as="csv",
            upload=True,
        ),
        InputFormatEntry("parquet", "Parquet", *_PARQUET, _Named("records", "read_parquet"), many=True),
        InputFormatEntry(
            "html", "HTML", (".html", ".htm", ".xhtml"), ("text/html",), _Named("web", "read_html_document")
        ),
        InputFormatEntry(
            "urls",
            "URLs, one a line",
            (".txt",),
            ("text/plain",),
            _Named("web", "read_url_list"),
            many=True,
            detected=False,
            upload=True,
        ),
    )
}

OUTPUT_FORMATS: Mapping[str, OutputFormatEntry] = {
    entry.name: entry
    for entry in (
        OutputFormatEntry("text", (), ("text/plain",), _Named("outputs", "open_terminal")),
        OutputFormatEntry("json", (".json",), ("application/json",), _Named("outputs", "open_json")),
        OutputFormatEntry("jsonl", *_JSONL, _Named("outputs", "open_jsonl")),
        OutputFormatEntry("csv", *_CSV, _Named("outputs", "open_csv"), tables=True),
        OutputFormatEntry("parquet", *_PARQUET, _Named("outputs", "open_parquet"), tables=True),
        OutputFormatEntry("html", (".html", ".htm"), ("text/html",), _Named("outputs", "open_html")),
    )
}

INPUT_FORMAT_CHOICES: tuple[str, ...] = ("auto", *(e.name for e in INPUT_FORMATS.values() if e.read_as is None))
"""``ReadOptions.input_format`` values: ``auto`` (by suffix) and every format not read as another."""
STREAM_FORMATS = frozenset(name for name, entry in INPUT_FORMATS.items() if entry.many)
_INPUT_BY_SUFFIX = {s: e.input_format for e in INPUT_FORMATS.values() if e.detected for s in e.suffixes}
_OUTPUT_BY_SUFFIX = {s: e.name for e in OUTPUT_FORMATS.values() for s in e.suffixes}


def input_format_of(suffix: str) -> str:
    """The input format a file with this suffix is read in under ``auto``: anything unknown is text."""
    return _INPUT_BY_SUFFIX.get(suffix.lower(), "text")


def output_format_of(suffix: str) -> str | None:
    """The output format an output file's suffix asks for, or None."""
    return _OUTPUT_BY_SUFFIX.get(suffix.lower())


def accept(*names: str) -> str:
    """An HTML ``accept`` attribute for these input formats: their suffixes, then their usual media types."""
    entries = [INPUT_FORMATS[name] for name in names]
    suffixes = dict.fromkeys(s for e in entries for s in e.suffixes)
    media_types = dict.fromkeys(e.media_types[0] for e in entries)
    return ",".join([*suffixes, *media_types])
