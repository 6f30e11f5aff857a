"""``unspin compare A B``: two articles analysed and compared side by side.

A and B are read as ``unspin analyze`` reads one article (text or HTML files, http(s) URLs);
the result is the terminal view by default, or the comparison's JSON or a self-contained
HTML page, to a file or stdout.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..article import Article
from ..compare import compare as compare_analyses
from ..errors import InputError
from ..files import write_text
from ..formats.inputs import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, ReadOptions, input_files, is_batch, read_documents
from ._util import (
    UiLanguageOption,
    app,
    fail,
    interface_language,
    load_analyzer,
    out_console,
    refuse_overwriting_inputs,
)


class CompareFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


_SUFFIXES = {".json": CompareFormat.json, ".html": CompareFormat.html, ".htm": CompareFormat.html}


@app.command()
def compare(
    first: Annotated[str, typer.Argument(metavar="A", help="An article: a text or HTML file, or an http(s) URL.")],
    second: Annotated[str, typer.Argument(metavar="B", help="The article compared with A; differences are B − A.")],
    format: Annotated[
        CompareFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="text (terminal view), json (the comparison) or html (a self-contained page with both texts). "
            "Default: from the --output suffix, else text.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON or HTML here instead of stdout.")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model bundle directory (default: the shipped model).")] = None,
    threshold: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Show techniques and spans at or above this calibrated confidence."),
    ] = None,
    encoding: Annotated[str, typer.Option(help="Input encoding, or auto to detect it.")] = "auto",
    max_size: Annotated[
        float, typer.Option(min=0.001, metavar="MiB", help="Largest article file or web page read.")
    ] = DEFAULT_MAX_BYTES / 2**20,
    timeout: Annotated[float, typer.Option(min=0.01, help="Seconds allowed for one URL.")] = DEFAULT_TIMEOUT,
    ui_language: UiLanguageOption = None,
) -> None:
    """Compare two articles: techniques per 1,000 words, frames, genre, and both texts highlighted side by side."""
    fmt = _output_format(format, output)
    with interface_language(ui_language) as language:  # an unknown language fails before the model loads
        options = ReadOptions(encoding=encoding, max_bytes=int(max_size * 2**20), timeout=timeout)
        refuse_overwriting_inputs({"--output": output}, input_files([first, second], options))
        articles = [_read_article(name, raw, options) for name, raw in (("A", first), ("B", second))]
        a, b = load_analyzer(model, threshold).analyze_many(articles)
        comparison = compare_analyses(a, b)
        if fmt is CompareFormat.text:
            from ..render.terminal import render_comparison_terminal  # rich and jinja load only for the format asked

            out_console.print(render_comparison_terminal(comparison, a, b, ui_language=language))
        elif fmt is CompareFormat.json:  # language-neutral
            _write(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2) + "\n", output)
        else:
            from ..render.html import render_comparison_html

            _write(render_comparison_html(comparison, a, b, ui_language=language), output)


def _output_format(requested: CompareFormat | None, output: Path | None) -> CompareFormat:
    if output is None:
        return requested or CompareFormat.text
    fmt = requested or _SUFFIXES.get(output.suffix.lower())
    if fmt is None:
        raise fail(f"cannot tell the output format from {output.name!r} (.json, .html); give --format", code=2)
    if fmt is CompareFormat.text:
        raise fail("--format text is for the terminal; write files with --format json or html", code=2)
    return fmt


def _read_article(name: str, raw: str, options: ReadOptions) -> Article:
    """One article, read as ``unspin analyze`` reads it; a folder or a file of many articles is refused."""
    if is_batch([raw], [], options):
        raise InputError(f"{name}: {raw} holds several articles; compare takes one article file or URL each")
    [document] = read_documents([raw], options=options)
    return document.unwrap()


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text(output, text, "the comparison")
