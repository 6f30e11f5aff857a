"""``unspin corpus``: load analyses into the corpus store and ask it questions.

Every question is a function of :mod:`unspin.store` (the REST API's ``/v1/corpus/*`` calls
the same ones); commands print a table, or JSON with ``--json``.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..formats.registry import output_format_of
from ._util import (
    AsJson,
    DateFrom,
    DateTo,
    Db,
    Languages,
    Model,
    Sources,
    Techniques,
    UiLanguageOption,
    app,
    cell,
    corpus_filter,
    database_files,
    interface_language,
    open_store,
    out_console,
    refuse_overwriting_inputs,
    say,
    show_rows,
)

if TYPE_CHECKING:
    from ..corpus.periods import Period as PeriodName
    from ..store import CorpusFilter, Store

corpus_app = typer.Typer(help="Store analyses in a database and ask the corpus questions.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

Wide = Annotated[
    bool,
    typer.Option(
        "--wide/--long",
        help="Wide: periods (or, without --period, techniques) as columns. "
        "Long: one row per source, period and label. JSON is the same either way.",
    ),
]
ARTICLE_INDEX_LIMIT = 2000  # newest articles of the slice the offline report can list


class Period(str, Enum):
    day = "day"
    week = "week"
    month = "month"


class GroupBy(str, Enum):
    source = "source"
    language = "language"
    none = "none"


class Level(str, Enum):
    technique = "technique"
    category = "category"


class TrendKind(str, Enum):
    technique = "technique"
    category = "category"
    frame = "frame"
    genre = "genre"


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


@corpus_app.command("import")
def import_(
    results: Annotated[list[Path], typer.Argument(help="JSON Lines files written by `unspin analyze`.")],
    db: Db = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Analyses per transaction.")] = 200,
) -> None:
    """Load earlier results; analyses already stored (same text, same model) are skipped, bad lines reported."""
    for path in database_files(db):
        refuse_overwriting_inputs({"--db": path}, results)
    failures: list[str] = []

    def report(where: str, reason: str) -> None:
        failures.append(where)
        say(f"skipped {where}: {reason}")

    with open_store(db) as store:
        for path in results:
            stats = store.import_jsonl(path, batch_size=batch_size, on_error=report)
            say(f"{path}: {stats}")
    if failures:
        raise typer.Exit(1)


@corpus_app.command()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    format: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="jsonl (analyses), csv or parquet (article and span tables); default from the suffix. "
            "CSV text cells starting with = + - @ get a leading ' so spreadsheets do not run them as formulas.",
            show_default=False,
        ),
    ] = None,
    raw_csv: Annotated[
        bool, typer.Option("--raw-csv", help="Write CSV text cells as they are, formula characters included.")
    ] = False,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    technique: Techniques = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
) -> None:
    """Write stored analyses back out, in the formats `unspin analyze` writes."""
    from ..formats.outputs import open_writer
    from ..store.articles import iter_analyses

    fmt = format or _export_format(output)
    refuse_overwriting_inputs(_written_by_export(fmt, output), database_files(db))
    filters = corpus_filter(source, language, technique, date_from, date_to, model)
    with open_store(db) as store:
        writer = open_writer(fmt.value, output, embedding=True, raw_csv=raw_csv)
        count = 0
        try:
            for analysis in iter_analyses(store, filters):
                writer.write(analysis)
                count += 1
        finally:
            writer.close()
    say(f"wrote {count:,} analyses to {output}")


def _written_by_export(fmt: ExportFormat, output: Path) -> dict[str, Path | None]:
    from ..formats.outputs import spans_path

    return {"--output": output, "the span table": spans_path(output) if fmt is not ExportFormat.jsonl else None}


def _export_format(output: Path) -> ExportFormat:
    try:
        return ExportFormat(output_format_of(output.suffix))
    except ValueError:
        raise typer.BadParameter(
            f"cannot tell the format from {output.name!r}; give --format", param_hint="--format"
        ) from None


@corpus_app.command()
def demo(db: Db = None) -> None:
    """Load the shipped demo corpus (fictitious outlets, a year, four languages) and find its narratives."""
    from ..store.demo import demo_analyses
    from ..store.narratives import build_narratives

    with open_store(db) as store:
        stats = store.add(demo_analyses())
        built = build_narratives(store)
        say(f"demo corpus in {store.url}: {stats}; {built.narratives} narratives found")
        say("next: unspin corpus report -o dashboard.html" + (f" --db {db}" if db else ""))


@corpus_app.command()
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("dashboard.html"),
    period: Annotated[Period, typer.Option(help="Time step of the charts.")] = Period.month,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    technique: Techniques = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    ui_language: UiLanguageOption = None,
) -> None:
    """Write the corpus dashboard as one self-contained HTML file (works offline)."""
    with interface_language(ui_language) as chosen:  # an unknown language fails before anything is read
        refuse_overwriting_inputs({"--output": output}, database_files(db))
        filters = corpus_filter(source, language, technique, date_from, date_to, model)
        with open_store(db) as store:
            write_dashboard(store, filters, output, period=period.value, ui_language=chosen)
    say(f"wrote {output}")


def write_dashboard(
    store: Store,
    filters: CorpusFilter,
    output: Path,
    *,
    period: PeriodName = "month",
    ui_language: str | None = None,
) -> None:
    """Write the dashboard of a slice of the corpus as one self-contained, offline HTML file.

    The file holds the charts' data and an index of the newest
    :data:`ARTICLE_INDEX_LIMIT` articles, so that clicking a chart lists its articles
    without a server. It loads nothing from the network. Its words are in ``ui_language``
    (default: the current interface language).

    Raises
    ------
    InputError
        If the file cannot be written, or ``ui_language`` is not one of the six.
    """
    from ..corpus.views import build_dashboard
    from ..files import write_text
    from ..render.dashboard import render_dashboard

    dashboard = build_dashboard(store, filters, period=period, articles_limit=ARTICLE_INDEX_LIMIT)
    page = render_dashboard(dashboard, ui_language=ui_language)
    write_text(output, page, "the dashboard")


@corpus_app.command()
def info(
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
) -> None:
    """What the store holds: articles, words, sources, languages, dates, models."""
    from ..store.articles import overview

    with open_store(db) as store:
        view = overview(store, corpus_filter(source, language, None, date_from, date_to, model))
        if as_json:
            out_console.out(view.model_dump_json(indent=2), highlight=False)
            return
        out_console.print(
            f"{store.url}\n{view.articles:,} articles, {view.words:,} words, "
            f"{view.first_date or '-'} to {view.last_date or '-'} ({view.undated:,} undated); "
            f"model {view.model or '-'}",
            markup=False,
            highlight=False,
        )
        out_console.print("sources: " + cell(view.sources), markup=False, highlight=False)
        out_console.print("languages: " + cell(view.languages), markup=False, highlight=False)


@corpus_app.command()
def rates(
    by: Annotated[GroupBy, typer.Option(help="One row group per source, per language, or none.")] = GroupBy.source,
    period: Annotated[Period | None, typer.Option(help="Also split by day, week or month.", show_default=False)] = None,
    level: Annotated[Level, typer.Option(help="Techniques or their categories.")] = Level.technique,
    wide: Wide = False,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    technique: Techniques = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
    ui_language: UiLanguageOption = None,
) -> None:
    """Technique use per source and period: labelled paragraphs per 1,000 words and per article, with counts."""
    from ..render.corpus_terminal import rates_table
    from ..store.queries import groups
    from ..store.queries import rates as query

    with interface_language(ui_language):
        filters = corpus_filter(source, language, technique, date_from, date_to, model)
        with open_store(db) as store:
            rows = query(store, filters, by=by.value, period=period.value if period else None, level=level.value)
            totals = groups(store, filters, by=by.value, period=period.value if period else None) if wide else {}
        if as_json or not rows:
            show_rows(rows, [], as_json, "")
            return
        every: PeriodName | None = period.value if period else None
        table = rates_table(
            rows, totals, by=by.value, period=every, level=level.value, wide=wide, width=out_console.width
        )
        out_console.print(table)


@corpus_app.command()
def trend(
    label: Annotated[
        str, typer.Argument(help="A technique, category key, frame or genre: its label or name, in any case.")
    ],
    kind: Annotated[TrendKind, typer.Option(help="What LABEL is.")] = TrendKind.technique,
    period: Annotated[Period, typer.Option(help="Time step.")] = Period.week,
    by: Annotated[GroupBy, typer.Option(help="One series per source, per language, or one in all.")] = GroupBy.source,
    wide: Wide = False,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
    ui_language: UiLanguageOption = None,
) -> None:
    """A label over time with its change points (techniques per 1,000 words; frames, genres as shares)."""
    from ..render.corpus_terminal import trend_table
    from ..store.queries import trend as query

    with interface_language(ui_language):
        with open_store(db) as store:
            result = query(
                store,
                label,
                corpus_filter(source, language, None, date_from, date_to, model),
                kind=kind.value,
                period=period.value,
                by=by.value,
            )
        if as_json:
            out_console.out(result.model_dump_json(indent=2), highlight=False)
        elif result.series:
            out_console.print(trend_table(result, by=by.value, wide=wide, width=out_console.width))
        else:
            say("nothing matches")


@corpus_app.command()
def compare(
    a_source: Annotated[
        list[str] | None, typer.Option("--a-source", help="Slice A: sources.", show_default=False)
    ] = None,
    a_language: Annotated[list[str] | None, typer.Option("--a-language", show_default=False)] = None,
    a_from: Annotated[dt.datetime | None, typer.Option("--a-from", formats=["%Y-%m-%d"], show_default=False)] = None,
    a_to: Annotated[dt.datetime | None, typer.Option("--a-to", formats=["%Y-%m-%d"], show_default=False)] = None,
    b_source: Annotated[
        list[str] | None, typer.Option("--b-source", help="Slice B: sources.", show_default=False)
    ] = None,
    b_language: Annotated[list[str] | None, typer.Option("--b-language", show_default=False)] = None,
    b_from: Annotated[dt.datetime | None, typer.Option("--b-from", formats=["%Y-%m-%d"], show_default=False)] = None,
    b_to: Annotated[dt.datetime | None, typer.Option("--b-to", formats=["%Y-%m-%d"], show_default=False)] = None,
    level: Annotated[Level, typer.Option(help="Techniques or their categories.")] = Level.technique,
    db: Db = None,
    model: Model = None,
    as_json: AsJson = False,
    ui_language: UiLanguageOption = None,
) -> None:
    """Which techniques slice A uses more than slice B: rate ratio, 95% interval, p and q values.

    The table restates A and B (their filters and sizes) and gives no ratio where a slice has
    fewer than 5 paragraphs with the label (too few to estimate one); the q-value still holds.
    """
    from ..render.corpus_terminal import comparison_table, describe_slice
    from ..store.compare import MIN_COUNT
    from ..store.compare import compare as query
    from ..store.queries import groups

    with interface_language(ui_language):
        a = corpus_filter(a_source, a_language, None, a_from, a_to, model)
        b = corpus_filter(b_source, b_language, None, b_from, b_to, model)
        with open_store(db) as store:
            rows = query(store, a, b, level=level.value)
            sizes = [_size(groups(store, f, by="none")) for f in (a, b)]
        if as_json:
            show_rows(rows, [], True, "")
            return
        for name, filters, (articles, words) in zip(("A", "B"), (a, b), sizes, strict=True):
            out_console.print(f"{name}: {describe_slice(filters, articles, words)}", markup=False, highlight=False)
        if not rows:
            say("nothing to compare: a slice has no articles")
            return
        out_console.print(comparison_table(rows, level.value, MIN_COUNT, width=out_console.width))


def _size(totals: dict[Any, tuple[int, int]]) -> tuple[int, int]:
    """Articles and words of a slice, from :func:`unspin.store.queries.groups` by none."""
    return sum(n for n, _ in totals.values()), sum(w for _, w in totals.values())


@corpus_app.command()
def phrases(
    technique: Annotated[
        list[str] | None,
        typer.Option("--of", help="Only phrases of these techniques (repeatable).", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Phrases per technique.")] = 10,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
) -> None:
    """The commonest span texts per technique, normalised, with the entities around them."""
    from ..store.phrases import top_phrases

    filters = corpus_filter(source, language, None, date_from, date_to, model)
    with open_store(db) as store:
        rows = [
            row
            for name in (technique or [None])  # type: ignore[list-item]  # None: every technique
            for row in top_phrases(store, filters, technique=name, limit=limit)
        ]
    show_rows(rows, ["technique", "phrase", "count", "articles", "entities"], as_json, "top phrases")


@corpus_app.command()
def cooccurrence(
    min_count: Annotated[int, typer.Option(min=1, help="Leave out rarer pairs.")] = 1,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
) -> None:
    """Technique pairs found in the same paragraph, against what chance would give."""
    from ..store.phrases import cooccurrence as query

    with open_store(db) as store:
        rows = query(store, corpus_filter(source, language, None, date_from, date_to, model), min_count=min_count)
    show_rows(rows, list(type(rows[0]).model_fields) if rows else [], as_json, "co-occurring techniques")


@corpus_app.command()
def narratives(
    build: Annotated[bool, typer.Option("--build", help="Cluster the articles anew before listing.")] = False,
    embed: Annotated[
        bool, typer.Option("--embed", help="First compute embeddings for stored articles without one (runs the model).")
    ] = False,
    model_path: Annotated[
        Path | None, typer.Option("--model-path", help="Model bundle for --embed.", show_default=False)
    ] = None,
    period: Annotated[Period, typer.Option(help="Time step of the timelines.")] = Period.month,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
) -> None:
    """Recurring narratives: clusters of articles by embedding, with top terms, sources and first appearance."""
    from ..store.narratives import build_narratives, embed_missing
    from ..store.narratives import narratives as query

    filters = corpus_filter(source, language, None, date_from, date_to, model)
    with open_store(db) as store:
        if embed:
            from ..analyzer import Analyzer
            from ..config import default_model_path

            embedded = embed_missing(store, Analyzer.from_bundle(model_path or default_model_path()))
            say(f"embedded {embedded:,} articles")
        if build:
            built = build_narratives(store, filters)
            say(
                f"{built.narratives} narratives among {built.articles:,} articles "
                f"({built.clustered:,} clustered, {built.assigned:,} assigned, {built.seconds:.1f} s)"
            )
        rows = query(store, filters, period=period.value)
    show_rows(rows, ["id", "label", "size", "first", "sources"], as_json, "narratives")


@corpus_app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words (all must match) and "quoted phrases".')],
    spans: Annotated[
        bool, typer.Option("--spans", help="Search the technique spans instead of whole articles.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    technique: Techniques = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
) -> None:
    """Full-text search of the corpus, filtered like every other question."""
    from ..store.articles import search as run

    with open_store(db) as store:
        hits = run(
            store,
            query,
            corpus_filter(source, language, technique, date_from, date_to, model),
            target="spans" if spans else "articles",
            limit=limit,
        )
    if as_json:
        show_rows(hits, [], True, "")
        return
    for hit in hits:
        article = hit.article
        heading = f"#{article.id} {article.date or ''} {article.source} {article.title or ''}".strip()
        out_console.print(
            heading + (f" [{hit.span_technique}]" if hit.span_technique else ""), markup=False, highlight=False
        )
        out_console.print("    " + hit.snippet.replace("\n", " "), markup=False, highlight=False)
    if not hits:
        say("nothing matches")


@corpus_app.command()
def articles(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    db: Db = None,
    source: Sources = None,
    language: Languages = None,
    technique: Techniques = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    model: Model = None,
    as_json: AsJson = False,
) -> None:
    """The articles behind a number, newest first."""
    from ..store.articles import list_articles

    with open_store(db) as store:
        rows = list_articles(
            store, corpus_filter(source, language, technique, date_from, date_to, model), limit=limit, offset=offset
        )
    show_rows(rows, ["id", "date", "source", "language", "genre", "title", "technique_paragraphs"], as_json, "articles")
