"""``unspin analyze``: analyse one article, a directory of articles, or stdin."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, nullcontext
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.markup import escape

from ..analysis import Analysis
from ..article import Article, decode_bytes, read_text
from ..errors import BundleError, InputError, UnspinError
from ._util import app, err_console, fail, out_console, warn


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


def iter_documents(paths: list[str], encoding: str) -> Iterator[tuple[str, Article | InputError]]:
    """Yield ``(name, article or the error that prevented reading it)`` for every input."""
    for raw in paths:
        if raw == "-":
            yield "<stdin>", _parse("<stdin>", lambda: decode_bytes(sys.stdin.buffer.read(), name="<stdin>", encoding=encoding))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not files:
                yield str(path), InputError(f"{path}: no .txt articles in this directory")
            for file in files:
                yield str(file), _parse(str(file), lambda f=file: read_text(f, encoding=encoding))
        elif not path.exists():
            yield raw, InputError(f"{raw}: no such file or directory")
        else:
            yield raw, _parse(raw, lambda p=path: read_text(p, encoding=encoding))


def _parse(name: str, read) -> Article | InputError:  # noqa: ANN001
    try:
        text, encoding = read()
        article = Article.from_text(text, id=Path(name).stem if name != "<stdin>" else None)
        return article if encoding == "utf-8" else article.with_metadata(meta={"encoding": encoding})
    except InputError as exc:
        message = str(exc)
        return InputError(message if message.startswith(name) else f"{name}: {message}")


def _open_output(output: Path | None) -> AbstractContextManager[TextIO]:
    if output is None:
        return nullcontext(sys.stdout)
    try:
        return output.open("w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from exc


def _write(analysis: Analysis, fmt: OutputFormat, stream: TextIO, pretty: bool) -> None:
    if fmt is OutputFormat.text:
        from ..render.terminal import print_analysis

        print_analysis(analysis, out_console)
    else:
        indent = 2 if pretty else None
        stream.write(json.dumps(analysis.to_dict(), ensure_ascii=False, indent=indent) + "\n")
        stream.flush()


@app.command()
def analyze(
    inputs: Annotated[list[str], typer.Argument(help="Article files, directories of .txt files, or - for stdin.")],
    model: Annotated[Path | None, typer.Option(help="Model bundle directory (default: the shipped model).")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text (terminal view), json or jsonl.")] = OutputFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON/JSONL here instead of stdout.")] = None,
    threshold: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Technique confidence threshold (default: the model's).")] = None,
    encoding: Annotated[str, typer.Option(help="Input encoding, or auto to detect it.")] = "auto",
) -> None:
    """Find persuasion techniques, frames and genre in articles."""
    from ..analyze import Analyzer, default_model_path

    if format is OutputFormat.text and output is not None:
        raise fail("--output needs --format json or jsonl", code=2)
    documents = list(iter_documents(inputs, encoding))
    if len(documents) == 1 and isinstance(documents[0][1], InputError):
        raise documents[0][1]
    try:
        analyzer = Analyzer.from_bundle(model or default_model_path(), technique_threshold=threshold)
    except BundleError as exc:
        raise fail(str(exc)) from exc  # the message already says how to get a model
    fmt = OutputFormat.jsonl if format is OutputFormat.json and len(documents) > 1 else format
    failures = 0
    with _open_output(output) as stream:
        for name, item in documents:
            try:
                if isinstance(item, InputError):
                    raise item
                _write(analyzer(item), fmt, stream, pretty=fmt is OutputFormat.json)
            except UnspinError as exc:
                failures += 1
                err_console.print(f"[red]skipped[/] {escape(str(exc))}", soft_wrap=True)
    if failures:
        warn(f"{failures} of {len(documents)} documents failed")
        raise typer.Exit(1)
