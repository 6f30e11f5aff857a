"""Files of many articles, one a record: JSONL lines, CSV (or TSV) rows and Parquet rows.

A record's fields (JSONL keys, CSV and Parquet columns) are matched case-insensitively
against :data:`~unspin.formats.documents.DEFAULT_FIELDS` or ``ReadOptions.fields``.
Documents are named ``path:line`` for JSONL and CSV (the line a record starts on) and
``path:row`` for Parquet (counted from 1). Each record is capped at
``ReadOptions.max_bytes``; the files may be of any size.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import IO, TYPE_CHECKING, Any

from ..article import Article
from ..errors import InputError
from .decode import check_decoded
from .documents import (
    BROKEN_STREAM,
    DEFAULT_FIELDS,
    Document,
    ReadOptions,
    Source,
    document,
    parse_date,
    read_lines,
    reason,
    size,
    with_encoding,
)
from .registry import INPUT_FORMATS, InputFormat

if TYPE_CHECKING:
    from .web import Fetcher

__all__ = ["article_from_record", "count_records", "parse_json_line", "read_csv", "read_jsonl", "read_parquet"]

_PARQUET_BATCH_ROWS = 256
_COUNT_CHUNK_BYTES = 1 << 20
# A TSV name, compressed or not (compressed shards: see unspin.cluster).
_TSV = re.compile(
    rf"({'|'.join(map(re.escape, INPUT_FORMATS['tsv'].suffixes))})(\.(gz|bz2|xz|zst|lz4))?$", re.IGNORECASE
)


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
    date, raw_date = parse_date(values.pop("date"))
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
    while chunk := stream.read(_COUNT_CHUNK_BYTES):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (last != b"\n")


def _check_record_size(text: str, max_bytes: int) -> None:
    if len(text) > max_bytes:
        raise InputError(f"the record is larger than the {size(max_bytes)} limit for one article; raise --max-size")


def _selected(records: Iterator[Any], wanted: range | None) -> Iterator[Any]:
    """The records numbered ``wanted`` (all when None), parsed by the caller only once selected."""
    return records if wanted is None else islice(records, wanted.start, wanted.stop)


def _first_selected(wanted: range | None) -> bool:
    """Whether the first record is wanted: a problem with the whole file is reported by that partition only."""
    return wanted is None or 0 in wanted


def _text_column_problem(columns: list[str], text_names: tuple[str, ...], listed: str) -> str | None:
    lowered = {c.lower() for c in columns}
    if not any(n.lower() in lowered for n in text_names):
        return (
            f"no text column {' or '.join(map(repr, text_names))} ({listed} {', '.join(columns)}); "
            f"name it with --field text=COLUMN"
        )
    return None


# ---------------------------------------------------------------------------- JSONL


def read_jsonl(name: str, source: Source, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    """One document per JSON object, one a line; blank lines are skipped."""
    return read_lines(name, source, options, fetcher, _jsonl_documents)


def _jsonl_documents(
    name: str, lines: IO[str], encoding: str, options: ReadOptions, fetcher: Fetcher
) -> Iterator[Document]:
    records = ((number, line) for number, line in enumerate(lines, start=1) if line.strip())
    for number, line in _selected(records, options.records):
        yield document(f"{name}:{number}", _jsonl_article, line, encoding, options)


def parse_json_line(line: str | bytes) -> Any:
    """One JSON Lines record; whatever the decoder raises on a hostile line becomes :class:`InputError`.

    Besides malformed JSON, Python's decoder raises ValueError for an integer of over 4,300
    digits (by default) and RecursionError for arrays or objects nested thousands deep.

    Examples
    --------
    >>> parse_json_line('{"id": ' + "1" * 5000 + '}')
    Traceback (most recent call last):
    ...
    unspin.errors.InputError: not valid JSON (a number with too many digits); each line must be one JSON object
    """
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise _not_json(f"{exc.msg}, column {exc.colno}") from exc
    except RecursionError as exc:
        raise _not_json("nested too deeply") from exc
    except ValueError as exc:  # too many digits, or bytes that are not UTF-8
        raise _not_json("a number with too many digits" if "digits" in str(exc) else str(exc).split(":")[0]) from exc


def _not_json(problem: str) -> InputError:
    return InputError(f"not valid JSON ({problem}); each line must be one JSON object")


def _jsonl_article(line: str, encoding: str, options: ReadOptions) -> Article:
    _check_record_size(line, options.max_bytes)
    check_decoded(line, encoding)
    record = parse_json_line(line)
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got a {type(record).__name__}")
    return with_encoding(article_from_record(record, options.fields), encoding)


# ---------------------------------------------------------------------------- CSV and TSV


def read_csv(name: str, source: Source, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    """One document per row; the first row names the columns. A TSV name means tab-separated."""
    return read_lines(name, source, options, fetcher, _csv_file_documents, newline="")  # csv reads line ends itself


def _csv_file_documents(
    name: str, lines: IO[str], encoding: str, options: ReadOptions, fetcher: Fetcher
) -> Iterator[Document]:
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


def _csv_documents(name: str, rows: Any, header: list[str], encoding: str, options: ReadOptions) -> Iterator[Document]:
    for line, row in _selected(_csv_records(rows), options.records):
        if isinstance(row, csv.Error):
            yield Document(f"{name}:{line}", reason=f"malformed CSV row ({row})")
        else:
            yield document(f"{name}:{line}", _csv_article, row, header, encoding, options)


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
        check_decoded(cell, encoding)
    return with_encoding(article_from_record(dict(zip(header, row, strict=True)), options.fields), encoding)


# ---------------------------------------------------------------------------- Parquet


def read_parquet(name: str, source: Source, options: ReadOptions, fetcher: Fetcher | None = None) -> Iterator[Document]:
    """One document per row of a Parquet file; only the columns named in ``options.fields`` are read."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        yield Document(name, reason="reading Parquet needs pyarrow: pip install 'unspin[parquet]'")
        return
    try:
        stream = (
            source() if callable(source) else io.BytesIO(source.read())
        )  # Parquet is read from its end: stdin cannot seek
    except BROKEN_STREAM as exc:
        yield Document(name, reason=reason(exc, name))
        return
    with stream:
        try:
            parquet = pq.ParquetFile(stream)
        except (*BROKEN_STREAM, pa.ArrowException) as exc:
            yield Document(name, reason=f"not a readable Parquet file ({exc})")
            return
        try:
            yield from _parquet_documents(name, parquet, options)
        except (*BROKEN_STREAM, pa.ArrowException) as exc:
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
        yield document(f"{name}:{row + 1}", _parquet_article, record, options)


def _parquet_rows(parquet: Any, columns: list[str], wanted: range | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row index, record) of the wanted rows, reading only the row groups that hold them."""
    groups: list[int] = []
    first = offset = 0
    for group in range(parquet.metadata.num_row_groups):
        group_rows = parquet.metadata.row_group(group).num_rows
        if wanted is None or (offset < wanted.stop and wanted.start < offset + group_rows):
            first = first if groups else offset
            groups.append(group)
        offset += group_rows
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
