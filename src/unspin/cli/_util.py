"""The shared Typer app and error handling of the ``unspin`` command."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..analyzer import Analyzer
    from ..store import CorpusFilter, Store

app = typer.Typer(
    name="unspin",
    help="Find persuasion techniques, framing and genre in news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


def _version_line() -> str:
    """unspin's version and the default model's, read from its meta.json without loading torch."""
    import json
    import platform

    from .._version import __version__
    from ..config import default_model_path

    path = default_model_path()
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        model = f"{meta['name']} {meta['version']}"
    except (OSError, ValueError, TypeError, KeyError):
        model = "none readable"
    return f"unspin {__version__} (Python {platform.python_version()}); default model: {model} at {path}"


def _print_version(wanted: bool) -> None:
    if wanted:
        out_console.print(_version_line(), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Show the version and the default model, then exit.",
        ),
    ] = False,
) -> None:
    """Find persuasion techniques, framing and genre in news articles."""


UiLanguageOption = Annotated[
    str | None,
    typer.Option(
        "--ui-language",
        metavar="LANG",
        help="Language of the terminal view and of HTML pages: en, fr, de, it, pl or ru (default: "
        "UNSPIN_UI_LANGUAGE, else the locale, else en). The article's own language is detected separately.",
    ),
]

Db = Annotated[
    str | None,
    typer.Option(
        help="A SQLite file or postgresql:// URL (default: $UNSPIN_DB, else corpus.db in the user's data directory).",
        show_default=False,
    ),
]


Sources = Annotated[
    list[str] | None, typer.Option("--source", help="Only these sources (repeatable).", show_default=False)
]
Languages = Annotated[
    list[str] | None, typer.Option("--language", help="Only these languages (repeatable).", show_default=False)
]
Techniques = Annotated[
    list[str] | None,
    typer.Option("--technique", help="Only articles with one of these techniques (repeatable).", show_default=False),
]
DateFrom = Annotated[
    dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day included.", show_default=False)
]
DateTo = Annotated[
    dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day included.", show_default=False)
]
Model = Annotated[
    str | None,
    typer.Option(help="NAME==VERSION of the analyses to use (default: the latest model).", show_default=False),
]


def corpus_filter(
    sources: list[str] | None = None,
    languages: list[str] | None = None,
    techniques: list[str] | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    model: str | None = None,
) -> CorpusFilter:
    """The slice that the corpus options name."""
    from ..store import CorpusFilter

    return CorpusFilter.build(
        sources=sources or [],
        languages=languages or [],
        techniques=techniques or [],
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        model=model,
    )


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def show_rows(rows: Sequence[BaseModel], columns: list[str], as_json: bool, title: str) -> None:
    """A table of ``columns`` on the terminal, or every field as JSON."""
    if as_json:
        out_console.out(
            json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2), highlight=False
        )
        return
    if not rows:
        say("nothing matches")
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(cell(getattr(row, c)) for c in columns))
    out_console.print(table)


def say(message: str) -> None:
    """A message on stderr, printed as it is."""
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)


def cell(value: Any) -> str:
    """A value as a table cell: short floats, lists and mappings on one line."""
    from pydantic import BaseModel  # only the corpus and review commands need pydantic

    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-3 and value else f"{value:,.3f}".rstrip("0").rstrip(".")
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, BaseModel):  # e.g. an entity and its count: "Brussels 4"
        return " ".join(cell(v) for v in value.model_dump().values() if v is not None)
    return str(value)


def open_store(db: str | None) -> Store:
    """The corpus store that ``--db`` names (SQLAlchemy loads only now)."""
    from ..store import Store

    return Store(db)


def database_file(db: str | None) -> Path | None:
    """The SQLite file of ``--db``, or ``None`` for a server database (SQLAlchemy loads only now)."""
    from ..store import db as database

    return database.database_file(db)


def database_files(db: str | None) -> list[Path]:
    """The SQLite file of ``--db`` (none for a server database), to keep outputs off it."""
    path = database_file(db)
    return [path] if path is not None else []


@contextmanager
def interface_language(code: str | None) -> Iterator[str]:
    """Speak ``code`` (or the environment's interface language) inside the block."""
    from ..i18n import checked_ui_language, environment_ui_language, ui_language

    with ui_language(checked_ui_language(code) if code else environment_ui_language()) as chosen:
        yield chosen


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def refuse_overwriting_inputs(outputs: Mapping[str, Path | None], inputs: Iterable[Path]) -> None:
    """Exit 2, before anything is written, when an output option names an input file or another output.

    Files are compared by device and inode, so symlinks and hard links count; ``inputs``
    is only iterated when some output exists already.
    """
    named = [(option, path) for option, path in outputs.items() if path is not None]
    for i, (option, path) in enumerate(named):
        for other_option, other in named[:i]:
            if path.resolve() == other.resolve() or _same_file(path, other):
                raise fail(f"{option} and {other_option} both name {path}: give them different files", code=2)
    existing = [(option, path) for option, path in named if path.exists()]
    if not existing:
        return
    for source in inputs:
        for option, path in existing:
            if _same_file(path, source):
                raise fail(f"{option} {path} is the input {source}: write to another file", code=2)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def load_analyzer(model: Path | None, threshold: float | None) -> Analyzer:
    """The model bundle at ``model`` (default: the shipped one), showing what passes ``threshold`` when given."""
    from ..analyzer import Analyzer  # torch loads only once the inputs are known
    from ..config import default_model_path

    analyzer = Analyzer.from_bundle(model or default_model_path())
    return analyzer if threshold is None else analyzer.with_thresholds(threshold, threshold)
