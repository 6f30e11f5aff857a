"""``unspin analyze``: one article or a whole corpus, from files, directories, stdin, URLs or feeds.

One document (a text or HTML file, stdin, a URL) is shown in the terminal by default and
fails with a one-line error. Anything that can hold more (a directory, JSONL, CSV, a
feed, several inputs) is a batch: results stream as JSON Lines (or CSV/Parquet tables),
failures go to an errors file and the run goes on, and a rerun on the same output
resumes where the last one stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..batch import (
    DEFAULT_BATCH_SIZE,
    ErrorLog,
    LogProgress,
    NoProgress,
    ProgressReporter,
    RichProgress,
    configure_threads,
    errors_path_for,
    load_done_hashes,
    run_batch,
)
from ..cluster.plan import DEFAULT_PARTITION_ROWS
from ..errors import UnspinError
from ..formats.inputs import (
    DEFAULT_GLOBS,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    Document,
    ReadOptions,
    count_documents,
    input_files,
    is_batch,
    parse_field_overrides,
    read_documents,
)
from ..formats.outputs import ResultWriter, TeeWriter, open_writer, spans_path
from ..formats.registry import INPUT_FORMAT_CHOICES, OUTPUT_FORMATS, output_format_of
from ._util import (
    UiLanguageOption,
    app,
    database_file,
    err_console,
    fail,
    interface_language,
    load_analyzer,
    open_store,
    out_console,
    refuse_overwriting_inputs,
    warn,
)

if TYPE_CHECKING:
    from ..store import Store


OutputFormat = Enum("OutputFormat", [(name, name) for name in OUTPUT_FORMATS], type=str)  # type: ignore[misc]
InputFormat = Enum("InputFormat", [(name, name) for name in INPUT_FORMAT_CHOICES], type=str)  # type: ignore[misc]
_TABLE_FORMATS = tuple(OutputFormat(name) for name, entry in OUTPUT_FORMATS.items() if entry.tables)
_AUTO = InputFormat("auto")


@app.command()
def analyze(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Article files, directories, JSONL/CSV/HTML files, http(s) URLs, or - for stdin.", show_default=False
        ),
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", metavar="URL", help="An RSS or Atom feed to analyse, newest items first (repeatable)."),
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model bundle directory (default: the shipped model).")] = None,
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="text (terminal view), json, jsonl, csv, parquet or html (a self-contained report; a folder of pages for a batch). Default: from the --output "
            "suffix; without --output, text for one document and jsonl for a batch. CSV text cells starting with "
            "= + - @ get a leading ' so spreadsheets do not run them as formulas (see --raw-csv).",
            show_default=False,
        ),
    ] = None,
    raw_csv: Annotated[
        bool, typer.Option("--raw-csv", help="Write CSV text cells as they are, formula characters included.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write results here instead of stdout (csv/parquet: the article table; "
            "the span table goes beside it as NAME.spans.csv/.parquet).",
        ),
    ] = None,
    errors: Annotated[
        Path | None,
        typer.Option(help="JSONL file of failed documents (default for a batch with --output: OUTPUT.errors.jsonl)."),
    ] = None,
    resume: Annotated[
        bool | None,
        typer.Option(
            "--resume/--no-resume",
            help="Skip documents already in the JSONL --output and append to it "
            "(default: on when the output exists; --no-resume overwrites it).",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Show techniques and spans at or above this calibrated confidence "
            "(default: the model's F1-balanced thresholds; lower finds more, less precisely).",
        ),
    ] = None,
    encoding: Annotated[str, typer.Option(help="Input encoding, or auto to detect it.")] = "auto",
    input_format: Annotated[
        InputFormat,
        typer.Option(
            help="How to read inputs; auto goes by file suffix (.jsonl, .csv/.tsv, .parquet, .html, else text). "
            "urls: a file of URLs, one a line."
        ),
    ] = _AUTO,
    glob: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATTERN",
            help=f"Files to read from directories (repeatable; default {', '.join(DEFAULT_GLOBS)}).",
            show_default=False,
        ),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KEY=NAME",
            help="JSONL key or CSV column for text, id, title, date, source, url or language, "
            "e.g. --field text=body (repeatable).",
            show_default=False,
        ),
    ] = None,
    max_size: Annotated[
        float, typer.Option(min=0.001, metavar="MiB", help="Largest article file, web page or record read.")
    ] = DEFAULT_MAX_BYTES / 2**20,
    timeout: Annotated[
        float, typer.Option(min=0.01, help="Seconds allowed for one URL, download included.")
    ] = DEFAULT_TIMEOUT,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Documents analysed together (a killed run loses at most these).")
    ] = DEFAULT_BATCH_SIZE,
    threads: Annotated[
        int | None,
        typer.Option(min=1, help="Torch threads (default: OMP_NUM_THREADS, else one per core).", show_default=False),
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Also add the analyses to the corpus store (see `unspin corpus`); a batch without "
            "--output writes only to the store.",
        ),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            help="Corpus database for --store: a SQLite file or postgresql:// URL (default: $UNSPIN_DB, "
            "else corpus.db in the user's data directory).",
            show_default=False,
        ),
    ] = None,
    embeddings: Annotated[
        bool,
        typer.Option(
            "--embeddings", help="Add each article's embedding to JSON/JSONL output (for `unspin corpus import`)."
        ),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="Analyse JSONL, CSV or Parquet shards on a Dask cluster: tcp://HOST:8786, or "
            "local:N for N local worker processes; --output names the results folder (docs/distributed.md).",
            show_default=False,
        ),
    ] = None,
    partition_size: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="ROWS",
            help="With --cluster: records per partition, the unit a worker analyses and a rerun skips once finished.",
        ),
    ] = DEFAULT_PARTITION_ROWS,
    ui_language: UiLanguageOption = None,
) -> None:
    """Find persuasion techniques, frames and genre in articles."""
    inputs, feeds = inputs or [], feed or []
    if not inputs and not feeds:
        raise fail("give articles to analyse (files, directories, URLs, - for stdin) or --feed URL", code=2)
    # The terminal view and HTML pages speak the interface language (an unknown one fails here, before
    # anything is read); JSON, JSONL, CSV and Parquet have none.
    with interface_language(ui_language):
        options = ReadOptions(
            input_format=input_format.value,
            encoding=encoding,
            globs=tuple(glob or DEFAULT_GLOBS),
            fields=parse_field_overrides(field or []),
            max_bytes=int(max_size * 2**20),
            timeout=timeout,
        )
        if cluster is not None:
            from ._cluster import analyze_on_cluster

            analyze_on_cluster(
                cluster,
                inputs,
                feeds,
                options,
                globs=glob,
                output=output,
                fmt=format and format.value,
                errors=errors,
                resume=resume,
                store=store,
                embeddings=embeddings,
                model=model,
                threshold=threshold,
                partition_rows=partition_size,
                batch_size=batch_size,
                threads=threads,
            )
            return
        batch = is_batch(inputs, feeds, options)
        fmt = _output_format(format, output, batch)
        errors_path = errors or (errors_path_for(output) if output is not None and batch else None)
        options = replace(options, exclude=_own_files(fmt, output, errors_path))
        refuse_overwriting_inputs(
            _written_files(fmt, output, errors_path, database_file(db) if store else None),
            input_files(inputs, options),
        )
        documents = _documents(inputs, feeds, options, batch)
        analyzer = load_analyzer(model, threshold)
        configure_threads(threads)
        done = _resume(resume, fmt, output)
        corpus = _open_store(db) if store else None
        if corpus is not None and done:
            _add_missing_to_store(corpus, output)  # type: ignore[arg-type]
        writer = _writer(
            fmt,
            output,
            append=done is not None,
            embeddings=embeddings,
            raw_csv=raw_csv,
            store=corpus,
            store_only=store and batch and output is None,
        )
        progress = _progress(batch, inputs, feeds, options)
        error_log = ErrorLog(errors_path, echo=_error_echo(progress, batch))
        try:
            stats = run_batch(
                documents, analyzer, writer, errors=error_log, done=done, batch_size=batch_size, progress=progress
            )
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk, a vanished output folder
            raise UnspinError(f"{output or 'stdout'}: cannot write the results: {exc.strerror or exc}") from exc
        finally:
            writer.close()
            error_log.close()
        if batch:
            listed = f"; failures are listed in {errors_path}" if stats.failed and errors_path else ""
            _echo(stats.summary() + listed)
        if stats.failed:
            raise typer.Exit(1)


def _writer(
    fmt: OutputFormat,
    output: Path | None,
    *,
    append: bool,
    embeddings: bool,
    raw_csv: bool,
    store: Store | None,
    store_only: bool,
) -> ResultWriter:
    """The output writer, the store's, or both."""
    if store is None:
        return open_writer(fmt.value, output, append=append, console=out_console, embedding=embeddings, raw_csv=raw_csv)
    from ..store.store import StoreWriter

    store_writer = StoreWriter(store)
    if store_only:
        return store_writer
    return TeeWriter(
        open_writer(fmt.value, output, append=append, console=out_console, embedding=embeddings, raw_csv=raw_csv),
        store_writer,
    )


def _open_store(db: str | None) -> Store:
    store = open_store(db)
    _echo(f"storing analyses in {store.url}")
    return store


def _add_missing_to_store(store: Store, output: Path) -> None:
    """Store what a killed run wrote to ``output`` but had not committed yet: the store commits in
    batches, the JSONL per document, and resuming skips whatever the JSONL holds."""
    stats = store.import_jsonl(output, on_error=lambda where, reason: None)  # resuming ignores such lines too
    if stats.added:
        _echo(f"added {stats.added:,} analyses from {output} that were missing in the store")


def _documents(inputs: list[str], feeds: list[str], options: ReadOptions, batch: bool) -> Iterable[Document]:
    """A batch is read lazily; a single document is read now, and one that cannot be read is an error."""
    if batch:
        return read_documents(inputs, feeds=feeds, options=options)
    documents = list(read_documents(inputs, options=options))
    documents[0].unwrap()
    return documents


def _output_format(requested: OutputFormat | None, output: Path | None, batch: bool) -> OutputFormat:
    fmt = requested or _default_format(output, batch)
    if fmt is OutputFormat("text") and output is not None:
        raise fail("--format text is for the terminal; write files with --format json, jsonl, csv or parquet", code=2)
    if fmt in _TABLE_FORMATS and output is None:
        raise fail(f"--format {fmt.value} writes two tables; name the article table with --output FILE", code=2)
    if fmt is OutputFormat("html") and batch and (output is None or output_format_of(output.suffix) == "html"):
        raise fail("a batch makes one HTML page per article and an index: give a folder with --output DIR", code=2)
    if fmt is OutputFormat("json") and batch:
        warn("several documents are written as JSON Lines, one analysis per line")
        return OutputFormat("jsonl")
    return fmt


def _default_format(output: Path | None, batch: bool) -> OutputFormat:
    if output is None:
        return OutputFormat("jsonl") if batch else OutputFormat("text")
    fmt = output_format_of(output.suffix)
    if fmt is None:
        known = ", ".join(sorted(s for entry in OUTPUT_FORMATS.values() for s in entry.suffixes))
        raise fail(f"cannot tell the output format from {output.name!r} ({known}); give --format", code=2)
    return OutputFormat(fmt)


def _own_files(fmt: OutputFormat, output: Path | None, errors_path: Path | None) -> frozenset[Path]:
    """This run's output files, never to be read back as input from a directory."""
    files = _written_files(fmt, output, errors_path, None).values()
    return frozenset(p.resolve() for p in files if p is not None)


def _written_files(
    fmt: OutputFormat, output: Path | None, errors_path: Path | None, db_file: Path | None
) -> dict[str, Path | None]:
    """The files this run writes, by the option naming them."""
    files = {"--output": output, "--errors": errors_path, "--db": db_file}
    if output is not None and fmt in _TABLE_FORMATS:
        files["the span table"] = spans_path(output)
    return files


def _resume(resume: bool | None, fmt: OutputFormat, output: Path | None) -> set[str] | None:
    """Content hashes already in the output when resuming, else ``None`` (the output is overwritten)."""
    resumable = fmt is OutputFormat("jsonl") and output is not None
    if resume and not resumable:
        raise fail("--resume needs a JSON Lines output: --format jsonl --output FILE", code=2)
    if resume is False or not resumable or not output.exists():  # type: ignore[union-attr]
        return None
    done = load_done_hashes(output)  # type: ignore[arg-type]
    if done:
        _echo(f"resuming {output}: {len(done):,} documents already analysed are skipped")
    return done


def _progress(batch: bool, inputs: list[str], feeds: list[str], options: ReadOptions) -> ProgressReporter:
    if not batch:
        return NoProgress()
    progress: ProgressReporter = RichProgress(err_console) if err_console.is_terminal else LogProgress(_echo)
    if not feeds:
        threading.Thread(target=_count_into, args=(progress, inputs, options), name="unspin-count", daemon=True).start()
    return progress


def _count_into(progress: ProgressReporter, inputs: list[str], options: ReadOptions) -> None:
    total = count_documents(inputs, options)
    if total is not None:
        progress.set_total(total)


def _error_echo(progress: ProgressReporter, batch: bool) -> Callable[[str], None]:
    if not batch:
        return lambda message: err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return lambda message: progress.log(f"failed: {message}")


def _echo(message: str) -> None:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
