"""``unspin analyze --cluster``: the checks and messages around :func:`unspin.cluster.run_job`."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import typer

from ..batch import LogProgress, ProgressReporter, RichProgress
from ..cluster.plan import SHARD_FORMATS
from ..formats.inputs import ReadOptions
from ._util import err_console, fail

_RESULT_FORMATS = ("jsonl", "parquet")
_SHARD_INPUT_FORMATS = ("auto", *SHARD_FORMATS)
_SCHEME_SLASH = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):/(?!/)")


def analyze_on_cluster(
    address: str,
    inputs: list[str],
    feeds: list[str],
    options: ReadOptions,
    *,
    globs: list[str] | None,
    output: Path | None,
    fmt: str | None,
    errors: Path | None,
    resume: bool | None,
    store: bool,
    embeddings: bool,
    model: Path | None,
    threshold: float | None,
    partition_rows: int,
    batch_size: int,
    threads: int | None,
) -> None:
    """Run ``unspin analyze`` on a Dask cluster; exits 1 when documents failed, like a local batch."""
    _check(address, inputs, feeds, fmt, options)
    _check_batch_options(errors, resume, store)
    if output is None:
        raise fail("--cluster writes a folder of partitions: name it with --output DIR", code=2)
    try:
        import distributed  # noqa: F401  (imported here only to say how to install it)
    except ImportError as exc:
        raise fail("--cluster needs Dask: pip install 'unspin[distributed]'") from exc
    from ..cluster import SHARD_GLOBS, ClusterJob, connect, run_job

    job = ClusterJob(
        inputs=tuple(inputs),
        output=_folder(output),
        format="parquet" if fmt == "parquet" else "jsonl",
        model=str(model.absolute()) if model else None,
        threshold=threshold,
        options=replace(options, globs=tuple(globs) if globs else SHARD_GLOBS),
        embeddings=embeddings,
        partition_rows=partition_rows,
        batch_size=batch_size,
        threads=threads,
    )
    with connect(address) as client:
        _echo(f"Dask dashboard: {client.dashboard_link}")
        result = run_job(job, client, _progress())
    _echo(result.summary())
    if result.stats.failed:
        raise typer.Exit(1)


def _check(address: str, inputs: list[str], feeds: list[str], fmt: str | None, options: ReadOptions) -> None:
    """Usage errors (exit 2) for what a cluster run cannot do."""
    if "://" not in address and not address.startswith("local:"):
        raise fail(f"--cluster {address}: give a scheduler address (tcp://HOST:8786) or local:N", code=2)
    if "-" in inputs or feeds:
        raise fail("--cluster reads shard files, folders and globs, not stdin or feeds", code=2)
    if fmt not in (None, *_RESULT_FORMATS):
        raise fail(f"--cluster writes jsonl or parquet partitions, not {fmt}", code=2)
    if options.input_format not in _SHARD_INPUT_FORMATS:
        raise fail(
            "--cluster reads JSONL, CSV and Parquet shards: --input-format "
            f"{', '.join(_SHARD_INPUT_FORMATS[:-1])} or {_SHARD_INPUT_FORMATS[-1]}",
            code=2,
        )


def _check_batch_options(errors: Path | None, resume: bool | None, store: bool) -> None:
    """Usage errors (exit 2) for options of a local batch that a cluster run replaces."""
    if errors is not None:
        raise fail("--cluster lists failures in DIR/errors/, one file per partition: drop --errors", code=2)
    if resume is False:
        raise fail("--cluster reruns skip finished partitions; to start over, remove the --output folder", code=2)
    if store:
        raise fail(
            "--store writes from one process; load a cluster's results with "
            "`unspin corpus import DIR/analyses/*.jsonl`",
            code=2,
        )


def _folder(output: Path) -> str:
    """The --output folder: a URL as given (a Path turns s3://bucket into s3:/bucket), a local path made absolute."""
    raw = str(output)
    if _SCHEME_SLASH.match(raw):
        return _SCHEME_SLASH.sub(r"\1://", raw)
    return str(output.absolute())


def _progress() -> ProgressReporter:
    return RichProgress(err_console) if err_console.is_terminal else LogProgress(_echo)


def _echo(message: str) -> None:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
