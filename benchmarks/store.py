"""The corpus store at scale: import rate, size on disk and dashboard query latency.

    python benchmarks/store.py --articles 1000000 --backend both --db-dir runs/store-bench --keep

Synthetic analyses (``unspin.store.synthetic``: 40 sources, one language each of en/fr/de,
three years of days from 2024-01-01, 3 to 6 paragraphs, techniques and one-word spans drawn
per paragraph, two frames, a 384-dimension embedding unless ``--no-embeddings``) are made in
a second process, chunk by chunk, and imported through ``Store.add`` (the real import path,
default batch size) in this one. The import rate counts only the time spent in
``Store.add``, not the time waiting for the generator. Rows are the rows written to the
article, paragraph, paragraph-technique, span, frame and embedding tables; aggregate rows
are reported on their own.

After the import it runs ANALYZE (timed), clusters a sample of ``--build-narratives``
articles into narratives (timed; a batch job, so that ``narratives()`` has something to
show), measures the database's size (SQLite: the file plus its WAL; PostgreSQL:
``pg_database_size``), then times every dashboard query: one cold run on a freshly opened
store (new connection, empty SQLite page cache; the OS file cache is not dropped), one
warm-up, then the median, min and max of ``--runs`` runs (two runs and no warm-up for a
query whose cold run took over 10 s). Wall time is what is reported; the CPU time of this
process and the load average are recorded beside it, because on a shared machine the wall
time also measures the neighbours.

With ``--keep`` the database is kept afterwards and an existing one is reused: the import
then resumes after the articles already stored (generation is deterministic per chunk),
so a stopped run can be restarted with the same command. Creating the file
``<db-dir>/STOP`` ends the import after the current chunk and goes on to ANALYZE and the
queries at the size reached. Without ``--keep`` the database is created afresh and
removed at the end.

PostgreSQL: ``--pg-url`` (default ``$UNSPIN_BENCH_PG`` or
postgresql://unspin:unspin@127.0.0.1:5432/unspin_bench); the database must exist and its
``public`` schema is dropped and recreated on a fresh run.

Results are printed and written as JSON (``--json``, default
``<db-dir>/store-<articles>.json``, one key per backend, merged with what is there).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import inspect
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from unspin.store import CorpusFilter, Store, synthetic
from unspin.store import tables as t
from unspin.taxonomy import FRAME_LABELS, TECHNIQUE_LABELS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://unspin:unspin@127.0.0.1:5432/unspin_bench"
SOURCES = 40
LANGUAGES = ("en", "fr", "de")
START = dt.date(2024, 1, 1)
DAYS = 3 * 365
SEED = 0
ROW_TABLES = ("articles", "paragraphs", "paragraph_techniques", "spans", "frames", "embeddings")
AGG_TABLES = ("agg_articles", "agg_labels", "agg_articles_monthly", "agg_labels_monthly")
AHEAD = 3  # chunks generated ahead of the import
SLOW = 10.0  # seconds: a query whose cold run takes longer gets two timed runs, not --runs


# -- generation -------------------------------------------------------------------------------------


def generate_chunk(args: tuple[int, int, int, bool]) -> list:
    """Analyses ``first`` to ``first + count - 1``: the same ones whatever the chunking.

    Mirrors ``synthetic.synthetic_analyses`` (same per-source rates and narrative centres)
    but with one random stream per chunk, so that chunks can be made apart and a resumed
    import makes only what is missing.
    """
    first, count, total, embeddings = args
    rng = random.Random(SEED)
    centres = (
        np.random.default_rng(SEED)
        .normal(size=(len(synthetic.NARRATIVE_WORDS), synthetic.EMBEDDING_DIM))
        .astype(np.float32)
    )
    outlet_rates = [rng.uniform(0.05, 0.6) for _ in range(SOURCES)]
    rng = random.Random(f"{SEED}:{first}")
    model = {"name": "synthetic", "version": "1"}
    shift = START + dt.timedelta(days=DAYS // 2)
    out = []
    for i in range(first, min(first + count, total)):
        outlet = i % SOURCES
        day = START + dt.timedelta(days=rng.randrange(DAYS))
        narrative = rng.randrange(len(synthetic.NARRATIVE_WORDS))
        rate = outlet_rates[outlet] * (2 if day >= shift else 1)
        analysis = synthetic._analysis(
            rng, i, outlet, day, LANGUAGES[outlet % len(LANGUAGES)], narrative, rate, centres[narrative], model, (3, 6)
        )
        if not embeddings:
            analysis = dataclasses.replace(analysis, embedding=None)
        out.append(analysis)
    return out


# -- databases --------------------------------------------------------------------------------------


def sqlite_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def prepare(backend: str, args: argparse.Namespace) -> str:
    """The database target, emptied unless --keep."""
    if backend == "sqlite":
        path = Path(args.db_dir) / f"store-{args.articles}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not args.keep:
            for f in sqlite_files(path):
                f.unlink(missing_ok=True)
        return str(path)
    if not args.keep:
        engine = sa.create_engine(args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    return args.pg_url


def cleanup(backend: str, target: str, args: argparse.Namespace) -> None:
    if args.keep:
        return
    if backend == "sqlite":
        for f in sqlite_files(Path(target)):
            f.unlink(missing_ok=True)
    else:
        engine = sa.create_engine(target.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()


def row_counts(store: Store) -> dict[str, int]:
    with store.connect() as connection:
        return {
            name: connection.scalar(sa.select(sa.func.count()).select_from(t.metadata.tables[name]))
            for name in (*ROW_TABLES, *AGG_TABLES)
        }


def size_on_disk(store: Store, target: str) -> dict[str, int]:
    if store.dialect == "sqlite":
        main, wal, _ = sqlite_files(Path(target))
        return {
            "file": main.stat().st_size,
            "wal": wal.stat().st_size if wal.exists() else 0,
            "total": main.stat().st_size + (wal.stat().st_size if wal.exists() else 0),
        }
    with store.connect() as connection:
        total = connection.scalar(sa.text("SELECT pg_database_size(current_database())"))
        tables = {
            name: connection.scalar(sa.text("SELECT pg_total_relation_size(:t)"), {"t": name})
            for name in (*ROW_TABLES, *AGG_TABLES)
        }
    return {"total": int(total), "tables": {k: int(v) for k, v in tables.items()}}


def analyze(store: Store) -> float:
    began = time.perf_counter()
    with store.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - began


# -- import -----------------------------------------------------------------------------------------


def run_import(store: Store, args: argparse.Namespace, log: Callable[[str], None]) -> dict:
    before = row_counts(store)
    stored = before["articles"]
    chunk = args.chunk
    first_chunk = stored // chunk  # the import is in order: chunks before this one are all stored
    starts = list(range(first_chunk * chunk, args.articles, chunk))
    if not starts:
        log(f"all {args.articles:,} articles already stored")
        return {"resumed_from": stored, "added": 0}
    log(f"importing articles {starts[0]:,} to {args.articles - 1:,} ({stored:,} already stored)")
    in_add = cpu_in_add = waiting = 0.0
    stop_file = Path(args.db_dir) / "STOP"  # touch it to end the import early and go on to the queries
    stop_file.unlink(missing_ok=True)
    added = skipped = 0
    wall = time.perf_counter()
    last_report = wall
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        pending = deque(
            pool.apply_async(generate_chunk, ((s, chunk, args.articles, args.embeddings),)) for s in starts[:AHEAD]
        )  # at most AHEAD chunks made ahead: memory stays flat
        following = iter(starts[AHEAD:])
        while pending and not stop_file.exists():
            began = time.perf_counter()
            analyses = pending.popleft().get()
            if (s := next(following, None)) is not None:
                pending.append(pool.apply_async(generate_chunk, ((s, chunk, args.articles, args.embeddings),)))
            waiting += time.perf_counter() - began
            began, cpu = time.perf_counter(), time.process_time()
            stats = store.add(analyses, **({"batch_size": args.batch_size} if args.batch_size else {}))
            in_add += time.perf_counter() - began
            cpu_in_add += time.process_time() - cpu
            added += stats.added
            skipped += stats.skipped
            if time.perf_counter() - last_report > 60:
                last_report = time.perf_counter()
                log(
                    f"  {stored + added:,} stored, {added / in_add:,.0f} articles/s in Store.add "
                    f"({added / cpu_in_add:,.0f} per CPU second of this process), {last_report - wall:,.0f} s wall, "
                    f"{waiting:,.0f} s waiting for the generator, load {os.getloadavg()[0]:.1f}"
                )
    wall = time.perf_counter() - wall
    if stop_file.exists():
        log(f"stopped early by {stop_file}")
    after = row_counts(store)
    rows = sum(after[n] - before[n] for n in ROW_TABLES)
    result = {
        "resumed_from": stored,
        "stopped_early": stop_file.exists(),
        "added": added,
        "skipped": skipped,
        "seconds_in_add": round(in_add, 1),
        "cpu_seconds_in_add": round(cpu_in_add, 1),
        "articles_per_cpu_s": round(added / cpu_in_add, 1) if cpu_in_add else None,
        "seconds_wall": round(wall, 1),
        "seconds_waiting_for_generator": round(waiting, 1),
        "articles_per_s": round(added / in_add, 1) if in_add else None,
        "rows_written": rows,
        "rows_per_s": round(rows / in_add, 1) if in_add else None,
        "rows_by_table": {n: after[n] - before[n] for n in ROW_TABLES},
        "aggregate_rows": {n: after[n] for n in AGG_TABLES},
    }
    log(
        f"imported {added:,} articles in {in_add:,.0f} s: {result['articles_per_s']:,} articles/s, "
        f"{result['rows_per_s']:,} rows/s ({rows:,} rows)"
    )
    return result


# -- queries ----------------------------------------------------------------------------------------


def optional(module: str) -> object | None:
    try:
        return importlib.import_module(f"unspin.store.{module}")
    except ModuleNotFoundError:
        return None


def call(function: Callable, store: Store, *args: object, **kwargs: object) -> object:
    """Call with only the keyword arguments the function accepts (optional modules may differ)."""
    accepted = inspect.signature(function).parameters
    return function(store, *args, **{k: v for k, v in kwargs.items() if k in accepted})


def dashboard_queries() -> tuple[list[tuple[str, Callable[[Store], object]]], list[str]]:
    from unspin.corpus.views import build_dashboard
    from unspin.review.queue import review_queue
    from unspin.store.articles import list_articles, overview, search
    from unspin.store.compare import compare
    from unspin.store.queries import rates, trend

    technique = TECHNIQUE_LABELS[3]  # Appeal_to_Fear-Prejudice
    cell = CorpusFilter(sources=["Outlet 7"], techniques=[technique])
    five = [f"Outlet {i}" for i in (1, 5, 9, 13, 17)]
    year = {"date_from": dt.date(2025, 1, 1), "date_to": dt.date(2025, 12, 31)}
    odd_range = {"date_from": dt.date(2024, 3, 14), "date_to": dt.date(2025, 9, 20)}
    queries: list[tuple[str, Callable[[Store], object]]] = [
        ("overview", lambda s: overview(s)),
        ("rates source x technique (heat map)", lambda s: rates(s, by="source", level="technique")),
        ("heat map, 5 sources", lambda s: rates(s, CorpusFilter(sources=five))),
        ("heat map, 2025", lambda s: rates(s, CorpusFilter(**year))),
        ("heat map, 2024-03-14..2025-09-20", lambda s: rates(s, CorpusFilter(**odd_range))),
        ("heat map, language fr", lambda s: rates(s, CorpusFilter(languages=["fr"]))),
        ("heat map, 5 sources + 2025 + de", lambda s: rates(s, CorpusFilter(sources=five, languages=["de"], **year))),
        ("heat map by category", lambda s: rates(s, level="category")),
        ("heat map, technique filter", lambda s: rates(s, CorpusFilter(techniques=[technique]))),
        ("trend per source, one technique, week", lambda s: trend(s, technique, period="week")),
        ("trend per source, one technique, month", lambda s: trend(s, technique, period="month")),
        (
            "trend, one technique, 5 sources, 2025, day",
            lambda s: trend(s, technique, CorpusFilter(sources=five, **year), period="day"),
        ),
        ("frames by source", lambda s: frames_by_source(s)),
        ("trend per source, one frame, month", lambda s: trend(s, FRAME_LABELS[0], kind="frame", period="month")),
        (
            "compare two sources",
            lambda s: compare(s, CorpusFilter(sources=["Outlet 1"]), CorpusFilter(sources=["Outlet 2"])),
        ),
        (
            "compare two years",
            lambda s: compare(
                s, CorpusFilter(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)), CorpusFilter(**year)
            ),
        ),
        ("list_articles, heat-map cell", lambda s: list_articles(s, cell, limit=50)),
        ("list_articles, cell, page 20", lambda s: list_articles(s, cell, limit=50, offset=950)),
        ("list_articles, one source", lambda s: list_articles(s, CorpusFilter(sources=["Outlet 7"]), limit=50)),
        ("search articles, common words", lambda s: search(s, "energy prices", limit=20)),
        ("search articles, rare phrase", lambda s: search(s, '"2025 03 14"', limit=20)),
        ("search articles, common, heat-map cell", lambda s: search(s, "vaccine", cell, limit=20)),
        ("search spans", lambda s: search(s, "border", target="spans", limit=20)),
        ("search spans, heat-map cell", lambda s: search(s, "border", cell, target="spans", limit=20)),
        ("review queue, first page", lambda s: review_queue(s, "bench", limit=50)),
        ("review queue, page 20", lambda s: review_queue(s, "bench", limit=50, offset=950)),
        ("review queue, one source", lambda s: review_queue(s, "bench", CorpusFilter(sources=["Outlet 7"]))),
        (
            "review queue, confidence 0.5-0.6",
            lambda s: review_queue(s, "bench", min_confidence=0.5, max_confidence=0.6),
        ),
    ]
    notes = []
    for module, names in (("phrases", ("top_phrases", "cooccurrence")), ("narratives", ("narratives",))):
        found = optional(module)
        for name in names:
            function = getattr(found, name, None) if found else None
            if function is None:
                notes.append(f"{name}: skipped, unspin.store.{module}.{name} does not exist yet")
                continue
            queries.append((name, lambda s, f=function: call(f, s)))
            if name == "top_phrases":
                queries.append(
                    (
                        "top_phrases, one technique",
                        lambda s, f=function: call(f, s, CorpusFilter(techniques=[technique]), technique=technique),
                    )
                )
    # The dashboard's view model as the JSON the API serves (named as in earlier runs' tables).
    queries.append(("dashboard_data", lambda s: build_dashboard(s).model_dump(mode="json")))
    queries.append(
        (
            "dashboard_data, 5 sources + 2025",
            lambda s: build_dashboard(s, CorpusFilter(sources=five, **year)).model_dump(mode="json"),
        )
    )
    return queries, notes


def frames_by_source(store: Store) -> object:
    """Share of articles with each frame per source (the dashboard's frame matrix)."""
    from unspin.store import queries

    if hasattr(queries, "frame_shares"):
        return queries.frame_shares(store, by="source")
    model_id = store.model_id()  # before frame_shares existed: the same aggregate read
    with store.connect() as connection:
        return queries._label_counts(connection, CorpusFilter(), model_id, "source", None, "frame", None)


def build_narratives(store: Store, sample: int, log: Callable[[str], None]) -> dict:
    """Cluster a sample of the articles into narratives (a batch job), so that narratives() has some to show."""
    from unspin.store.narratives import build_narratives as build

    began = time.perf_counter()
    built = call(build, store, max_articles=sample)
    seconds = time.perf_counter() - began
    analyze_s = analyze(store)  # the planner needs statistics on article_narratives (see docs/benchmarks.md)
    log(f"build_narratives on a sample of {sample:,}: {seconds:.1f} s, then ANALYZE {analyze_s:.1f} s")
    summary = built.model_dump() if hasattr(built, "model_dump") else {}
    return {
        "sample": sample,
        "seconds": round(seconds, 1),
        "analyze_after_s": round(analyze_s, 1),
        **{k: v for k, v in summary.items() if isinstance(v, (int, float, str))},
    }


def server_cpu(database: str | None) -> float:
    """CPU seconds used so far by the PostgreSQL processes serving ``database`` (and parallel workers), from /proc."""
    if not database:
        return 0.0
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                title = handle.read().decode(errors="replace")
            if not title.startswith("postgres:") or (f" {database} " not in title and "parallel worker" not in title):
                continue
            with open(f"/proc/{entry.name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def time_queries(target: str, runs: int, log: Callable[[str], None]) -> tuple[dict, list[str]]:
    queries, notes = dashboard_queries()
    for note in notes:
        log(note)
    results = {}
    database = sa.make_url(target).database if "://" in target else None  # PostgreSQL: count the server's CPU too
    for name, function in queries:
        with Store(target) as store:
            began = time.perf_counter()
            try:
                function(store)
            except Exception as exc:  # noqa: BLE001  (a failed query is recorded, the others still run)
                results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                log(f"  {name:48} FAILED after {time.perf_counter() - began:.1f} s: {results[name]['error']}")
                continue
            cold = time.perf_counter() - began
            slow = cold > SLOW
            if not slow:
                function(store)  # warm-up
            times, cpu_times = [], []
            for _ in range(2 if slow else runs):  # a query of many seconds: two runs, no warm-up
                began, cpu = time.perf_counter(), time.process_time() + server_cpu(database)
                function(store)
                times.append(time.perf_counter() - began)
                cpu_times.append(time.process_time() + server_cpu(database) - cpu)
        results[name] = {
            "cold_s": round(cold, 4),
            "median_s": round(statistics.median(times), 4),
            "min_s": round(min(times), 4),
            "max_s": round(max(times), 4),
            "cpu_median_s": round(statistics.median(cpu_times), 4),
            "runs": len(times),  # this process + the server's
            "load": round(os.getloadavg()[0], 1),
        }
        log(
            f"  {name:48} cold {cold:7.3f} s  median {statistics.median(times):7.3f} s  "
            f"min {min(times):7.3f} s  (CPU {statistics.median(cpu_times):7.3f} s, "
            f"load {os.getloadavg()[0]:.1f})"
        )
    return results, notes


# -- main -------------------------------------------------------------------------------------------


def bench(
    backend: str,
    args: argparse.Namespace,
    log: Callable[[str], None],
    checkpoint: Callable[[dict], None] = lambda _: None,
) -> dict:
    target = prepare(backend, args)
    shown = target if backend == "sqlite" else sa.make_url(target).render_as_string(hide_password=True)
    log(f"== {backend}: {shown}")
    result: dict = {
        "backend": backend,
        "articles": args.articles,
        "embeddings": args.embeddings,
        "date": dt.date.today().isoformat(),
        "cores": os.cpu_count(),
    }
    with Store(target) as store:
        if not args.queries_only:
            result["import"] = run_import(store, args, log)
            checkpoint(result)
        result["analyze_s"] = round(analyze(store), 1)  # also after a stopped import, before the queries
        log(f"ANALYZE {result['analyze_s']} s")
        if store.dialect == "sqlite":
            with store.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        if args.build_narratives and optional("narratives") is not None:
            result["build_narratives"] = build_narratives(store, args.build_narratives, log)
        result["size_bytes"] = size_on_disk(store, target)
        result["rows"] = row_counts(store)
        result["version"] = store.engine.dialect.server_version_info
    log(f"size {result['size_bytes']['total'] / 2**30:.2f} GiB, rows {result['rows']}")
    result["queries"], result["notes"] = time_queries(target, args.runs, log)
    cleanup(backend, target, args)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--db-dir", default=str(ROOT / "runs" / "store-bench"))
    parser.add_argument("--pg-url", default=os.environ.get("UNSPIN_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--keep", action="store_true", help="keep the database, and resume into an existing one")
    parser.add_argument("--queries-only", action="store_true", help="time the queries on a kept database")
    parser.add_argument("--no-embeddings", dest="embeddings", action="store_false")
    parser.add_argument("--chunk", type=int, default=2000, help="analyses generated per chunk")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--build-narratives",
        type=int,
        default=10_000,
        metavar="N",
        help="cluster a sample of N articles into narratives before the queries (0: skip)",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="Store.add batch size (default: its own)")
    parser.add_argument("--json", help="where to write the results (default <db-dir>/store-<articles>.json)")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)

    out = Path(args.json or Path(args.db_dir) / f"store-{args.articles}.json")
    results = json.loads(out.read_text()) if out.exists() else {}
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):

        def checkpoint(partial: dict, backend: str = backend) -> None:  # the figures so far, in case of a crash
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({**results, backend: partial}, indent=2, default=str) + "\n")

        result = bench(backend, args, log, checkpoint)
        if args.queries_only and "import" in results.get(backend, {}):  # keep the import figures of the run before
            result = {"import": results[backend]["import"], **result}
        results[backend] = result
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    log(f"results in {out}")


if __name__ == "__main__":
    sys.exit(main())
