"""Writers for analyses, every one of them fed from :meth:`Analysis.to_dict` (the published schema).

=========  ==========================================================================
json       one pretty JSON document per analysis (meant for a single article)
jsonl      one JSON document per line, flushed after each: the batch format, resumable
csv        two tables for spreadsheets: ``out.csv`` with one row per article and
           ``out.spans.csv`` with one row per span (UTF-8 with a BOM, so Excel reads it);
           a text cell starting with = + - @, a tab or a carriage return gets a leading
           ``'`` so that a spreadsheet shows it rather than running it as a formula
           (``raw_csv=True``, ``--raw-csv``, writes it as it is)
parquet    the same two tables as ``out.parquet`` and ``out.spans.parquet``, typed,
           for pandas, polars and DuckDB
text       the terminal view (:func:`unspin.render.terminal.render_terminal`)
=========  ==========================================================================

The article table has the metadata, genre and frames, counts, and one column per
technique (paragraphs labelled with it) and per category (paragraph labels in it);
``content_hash`` joins it to the span table. The full text is only in JSON and JSONL.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from rich.console import Console

from ..analysis import Analysis
from ..errors import InputError
from ..files import write_atomically
from ..taxonomy import CATEGORIES, TECHNIQUE_LABELS
from .registry import OUTPUT_FORMATS, OutputFormat

__all__ = [
    "ARTICLE_COLUMNS",
    "SPAN_COLUMNS",
    "OutputFormat",
    "ResultWriter",
    "article_row",
    "csv_safe",
    "open_writer",
    "span_rows",
    "spans_path",
]

ColumnType = Literal["str", "int", "float", "date"]

ARTICLE_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("id", "str"),
    ("title", "str"),
    ("date", "date"),
    ("source", "str"),
    ("url", "str"),
    ("language", "str"),
    ("content_hash", "str"),
    ("encoding", "str"),
    ("genre", "str"),
    ("genre_probability", "float"),
    ("frames", "str"),
    ("paragraphs", "int"),
    ("paragraphs_with_techniques", "int"),
    ("spans", "int"),
    *((key, "int") for key in CATEGORIES),
    *((label, "int") for label in TECHNIQUE_LABELS),
)
SPAN_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("content_hash", "str"),
    ("article_id", "str"),
    ("paragraph", "int"),
    ("start", "int"),
    ("end", "int"),
    ("technique", "str"),
    ("category", "str"),
    ("confidence", "float"),
    ("text", "str"),
)
_FRAME_SEPARATOR = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


class ResultWriter(Protocol):
    """Where analyses go, one at a time; :meth:`close` finishes the output."""

    def write(self, analysis: Analysis) -> None: ...

    def close(self) -> None: ...


def article_row(document: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the article table from an :meth:`Analysis.to_dict` document."""
    article, summary = document["article"], document["summary"]
    genre = document["genre"]
    return {
        **{key: article.get(key) for key in ("id", "title", "date", "source", "url", "language", "content_hash")},
        "encoding": (article.get("meta") or {}).get("encoding"),
        "genre": genre["label"],
        "genre_probability": genre["probabilities"][genre["label"]],
        "frames": _FRAME_SEPARATOR.join(f["label"] for f in document["frames"]["labels"]),
        "paragraphs": summary["paragraphs"],
        "paragraphs_with_techniques": summary["paragraphs_with_techniques"],
        "spans": summary["spans"],
        **{key: summary["categories"].get(key, 0) for key in CATEGORIES},
        **{label: summary["techniques"].get(label, 0) for label in TECHNIQUE_LABELS},
    }


def span_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of the span table from an :meth:`Analysis.to_dict` document."""
    article = document["article"]
    return [
        {
            "content_hash": article["content_hash"],
            "article_id": article.get("id"),
            "paragraph": paragraph["number"],
            **{key: span[key] for key in ("start", "end", "technique", "category", "confidence", "text")},
        }
        for paragraph in document["paragraphs"]
        for span in paragraph["spans"]
    ]


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, behind a ``'`` (the OWASP advice); other values unchanged.

    Examples
    --------
    >>> csv_safe("=SUM(A1:A9)"), csv_safe("-5 degrees"), csv_safe(-0.5), csv_safe("Brussels")
    ("'=SUM(A1:A9)", "'-5 degrees", -0.5, 'Brussels')
    """
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def spans_path(path: Path) -> Path:
    """The span table beside an article table: ``out.csv`` -> ``out.spans.csv``."""
    return path.with_name(f"{path.stem}.spans{path.suffix}")


def open_writer(
    fmt: OutputFormat,
    output: Path | None = None,
    *,
    append: bool = False,
    stdout: IO[str] | None = None,
    console: Console | None = None,
    embedding: bool = False,
    raw_csv: bool = False,
) -> ResultWriter:
    """A writer of ``fmt`` to ``output`` (or ``stdout``; ``console`` for the terminal view).

    ``append`` continues an existing JSONL file, as a resumed run does; ``embedding``
    adds each article's embedding to JSON output; ``raw_csv`` leaves CSV text cells that
    a spreadsheet would run as formulas as they are (see :func:`csv_safe`).

    Raises
    ------
    InputError
        When the output cannot be created, or the format needs a file and none is given.
    """
    import sys

    entry = OUTPUT_FORMATS[fmt]
    if entry.tables and output is None:
        raise InputError(f"--format {fmt} writes two files; give the article table's name with --output")
    writer: ResultWriter = entry.open(
        output, append=append, stdout=stdout or sys.stdout, console=console, embedding=embedding, raw_csv=raw_csv
    )
    return writer


# The writers of the output formats (unspin.formats.registry), each taking
# (output, *, append, stdout, console, embedding, raw_csv) and using what it needs.


def open_terminal(output: Path | None, *, stdout: IO[str], console: Console | None, **_: Any) -> ResultWriter:
    return TerminalWriter(console or Console(file=stdout))


def open_html(output: Path | None, *, stdout: IO[str], **_: Any) -> ResultWriter:
    return HtmlWriter(output, stdout)


def open_json(output: Path | None, *, append: bool, stdout: IO[str], embedding: bool, **_: Any) -> ResultWriter:
    return _json_writer(output, append=append, stdout=stdout, embedding=embedding, indent=2)


def open_jsonl(output: Path | None, *, append: bool, stdout: IO[str], embedding: bool, **_: Any) -> ResultWriter:
    return _json_writer(output, append=append, stdout=stdout, embedding=embedding, indent=None)


def open_csv(output: Path, *, raw_csv: bool = False, **_: Any) -> ResultWriter:
    return CsvWriter(output, raw=raw_csv)


def open_parquet(output: Path, **_: Any) -> ResultWriter:
    return ParquetWriter(output)


def _json_writer(
    output: Path | None, *, append: bool, stdout: IO[str], embedding: bool, indent: int | None
) -> JsonWriter:
    stream = _open(output, "a" if append else "w") if output else stdout
    return JsonWriter(stream, indent=indent, close_stream=output is not None, embedding=embedding)


def _open(path: Path, mode: str, *, encoding: str = "utf-8", newline: str | None = None) -> IO[str]:
    try:
        return path.open(mode, encoding=encoding, newline=newline)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


class JsonWriter:
    """The published JSON, one document per analysis, flushed at once (JSON Lines without ``indent``)."""

    def __init__(
        self, stream: IO[str], *, indent: int | None = None, close_stream: bool = False, embedding: bool = False
    ) -> None:
        self.stream = stream
        self.indent = indent
        self.close_stream = close_stream
        self.embedding = embedding

    def write(self, analysis: Analysis) -> None:
        document = analysis.to_dict(embedding=self.embedding)
        self.stream.write(json.dumps(document, ensure_ascii=False, indent=self.indent) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.close_stream:
            self.stream.close()


class TeeWriter:
    """Several writers fed the same analyses: a file output and the corpus store, say."""

    def __init__(self, *writers: ResultWriter) -> None:
        self.writers = writers

    def write(self, analysis: Analysis) -> None:
        for writer in self.writers:
            writer.write(analysis)

    def close(self) -> None:
        for writer in self.writers:
            writer.close()


class CsvWriter:
    """The article and span tables as CSV, a row each as soon as an analysis is written.

    Text cells pass through :func:`csv_safe` unless ``raw``.
    """

    def __init__(self, path: Path, *, raw: bool = False) -> None:
        self.raw = raw
        self._files = [_open(p, "w", encoding="utf-8-sig", newline="") for p in (path, spans_path(path))]
        self._articles, self._spans = (
            csv.DictWriter(f, fieldnames=[name for name, _ in columns])
            for f, columns in zip(self._files, (ARTICLE_COLUMNS, SPAN_COLUMNS), strict=True)
        )
        self._articles.writeheader()
        self._spans.writeheader()

    def write(self, analysis: Analysis) -> None:
        document = analysis.to_dict()
        self._spans.writerows(self._safe(row) for row in span_rows(document))
        self._articles.writerow(self._safe(article_row(document)))
        for file in self._files:
            file.flush()

    def _safe(self, row: dict[str, Any]) -> dict[str, Any]:
        return row if self.raw else {key: csv_safe(value) for key, value in row.items()}

    def close(self) -> None:
        for file in self._files:
            file.close()


class ParquetWriter:
    """The article and span tables as Parquet, written in row groups and renamed into place on close.

    A run that is killed leaves no half-written Parquet file behind (only ``*.tmp`` files).
    """

    def __init__(self, path: Path, *, row_group: int = 1000) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise InputError("--format parquet needs pyarrow: pip install 'unspin[parquet]'") from exc
        self.targets = (path, spans_path(path))
        self.row_group = row_group
        self._tables = [
            _ParquetTable(target.with_name(target.name + ".tmp"), columns)
            for target, columns in zip(self.targets, (ARTICLE_COLUMNS, SPAN_COLUMNS), strict=True)
        ]

    def write(self, analysis: Analysis) -> None:
        document = analysis.to_dict()
        articles, spans = self._tables
        articles.add([article_row(document)])
        spans.add(span_rows(document))
        if len(articles.rows) >= self.row_group:
            self._flush()

    def close(self) -> None:
        self._flush()
        for table, target in zip(self._tables, self.targets, strict=True):
            table.close()
            table.path.replace(target)

    def _flush(self) -> None:
        for table in self._tables:
            table.flush()


class _ParquetTable:
    def __init__(self, path: Path, columns: Sequence[tuple[str, ColumnType]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "date": pa.date32()}
        self.path = path
        self.columns = columns
        self.schema = pa.schema([(name, types[kind]) for name, kind in columns])
        try:
            self._writer = pq.ParquetWriter(str(path), self.schema)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc}") from exc
        self.rows: list[dict[str, Any]] = []

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.rows.extend(rows)

    def flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            columns = {name: [_typed(row[name], kind) for row in self.rows] for name, kind in self.columns}
            self._writer.write_table(pa.Table.from_pydict(columns, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._writer.close()


def _typed(value: Any, kind: ColumnType) -> Any:
    return dt.date.fromisoformat(value) if kind == "date" and value else value


class TerminalWriter:
    """The terminal view, article after article."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def write(self, analysis: Analysis) -> None:
        from ..render.terminal import print_analysis

        print_analysis(analysis, self.console)

    def close(self) -> None:
        pass


class HtmlWriter:
    """Self-contained HTML reports: one page to a ``.html`` file or stdout, or, for an
    output directory, one page per article plus an ``index.html`` with the corpus summary."""

    def __init__(self, output: Path | None, stdout: IO[str]) -> None:
        self.output, self.stdout = output, stdout
        self.to_directory = output is not None and output.suffix.lower() not in OUTPUT_FORMATS["html"].suffixes
        self.pages: list[tuple[Analysis, str]] = []
        if self.to_directory:
            try:
                output.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            except OSError as exc:
                raise InputError(f"{output}: cannot create the report folder: {exc.strerror or exc}") from exc

    def write(self, analysis: Analysis) -> None:
        from ..render.html import render_html

        page = render_html(analysis)
        if not self.to_directory:
            if self.pages:
                raise InputError("several articles make several pages: give a folder with --output DIR")
            self.pages.append((analysis, ""))
            if self.output is None:
                self.stdout.write(page)
            else:
                _write_atomically(self.output, page)
            return
        name = f"{len(self.pages) + 1:05d}-{_safe_name(analysis.article.id or 'article')}.html"
        _write_atomically(self.output / name, page)  # type: ignore[operator]
        self.pages.append((analysis, name))

    def close(self) -> None:
        from ..render.html import render_index

        if self.to_directory and self.pages:
            analyses, links = zip(*self.pages, strict=False)
            _write_atomically(self.output / "index.html", render_index(list(analyses), list(links)))  # type: ignore[operator]


def _safe_name(article_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in article_id)[:60] or "article"


def _write_atomically(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
