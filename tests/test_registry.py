"""The format registry: one entry per format, and everything that lists formats agrees with it."""

from __future__ import annotations

from typing import get_args

from unspin.formats.registry import (
    INPUT_FORMAT_CHOICES,
    INPUT_FORMATS,
    OUTPUT_FORMATS,
    InputFormat,
    OutputFormat,
    accept,
    input_format_of,
    output_format_of,
)


def test_the_names_are_pinned() -> None:
    assert list(INPUT_FORMATS) == ["text", "jsonl", "csv", "tsv", "parquet", "html", "urls"]
    assert list(OUTPUT_FORMATS) == ["text", "json", "jsonl", "csv", "parquet", "html"]
    assert get_args(InputFormat) == INPUT_FORMAT_CHOICES == ("auto", "text", "jsonl", "csv", "parquet", "html", "urls")
    assert get_args(OutputFormat) == tuple(OUTPUT_FORMATS)


def test_every_reader_and_writer_resolves() -> None:
    functions = [entry.read for entry in INPUT_FORMATS.values()] + [entry.open for entry in OUTPUT_FORMATS.values()]
    for function in functions:
        assert callable(function.resolve()), function  # type: ignore[attr-defined]


def test_suffixes_choose_formats() -> None:
    assert [input_format_of(s) for s in (".JSONL", ".ndjson", ".tsv", ".pq", ".xhtml", ".txt", ".json", ".md")] == [
        "jsonl",
        "jsonl",
        "csv",
        "parquet",
        "html",
        "text",
        "text",
        "text",
    ]
    assert [output_format_of(s) for s in (".json", ".NDJSON", ".pq", ".htm", ".xhtml", ".txt")] == [
        "json",
        "jsonl",
        "parquet",
        "html",
        None,
        None,
    ]


def test_accept_lists() -> None:
    assert accept("text", "html") == ".txt,.text,.md,.html,.htm,.xhtml,text/plain,text/html"
    assert accept("jsonl", "csv", "tsv", "urls") == (
        ".jsonl,.ndjson,.csv,.tsv,.txt,application/x-ndjson,text/csv,text/tab-separated-values,text/plain"
    )


def test_the_front_ends_derive_their_lists() -> None:
    from unspin.cli.analyze import InputFormat as CliInputFormat
    from unspin.cli.analyze import OutputFormat as CliOutputFormat
    from unspin.server.jobs import INPUT_FILES, JOB_FORMATS, JobFormat

    assert [f.value for f in CliInputFormat] == list(INPUT_FORMAT_CHOICES)
    assert "parquet" in [f.value for f in CliInputFormat]
    assert [f.value for f in CliOutputFormat] == list(OUTPUT_FORMATS)
    assert JOB_FORMATS == get_args(JobFormat) == ("jsonl", "csv", "tsv", "urls")
    assert INPUT_FILES["tsv"] == "input.tsv"
