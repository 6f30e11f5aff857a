"""The review queue's order: stored on each article (migration 0004) against computed per page.

    python benchmarks/store.py --articles 200000 --backend sqlite --no-embeddings --keep \\
        --db-dir runs/store-bench --build-narratives 0 --runs 3     # once: builds and keeps the store
    python benchmarks/review_queue.py runs/store-bench/store-200000.db --runs 3
    python benchmarks/review_queue.py runs/store-bench/store-200000.db --migration

Times the same queue pages two ways on one store, interleaved run by run so that the
machine's noise falls on both alike: ``stored`` is :func:`unspin.review.queue.review_queue`
(ordering and filtering on ``articles.confidence``); ``computed`` is the query it replaced,
which averaged every article's ``paragraph_techniques`` rows in a correlated subquery. Both
return the same page up to the order of near-ties (checked). Prints the median of each and their ratio,
then the time to build Label Studio tasks of the 100 and 1,000 least certain unreviewed articles.

``--migration`` (a SQLite store) instead times migration 0004 on a copy of the store, taken
back to 0003 first: what the first open after the upgrade costs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from unspin.review.formats import labelstudio_tasks
from unspin.review.formats.stored import unreviewed_in_store
from unspin.review.queue import review_queue
from unspin.store import CorpusFilter, Store
from unspin.store import tables as t
from unspin.store.db import database_url, downgrade, migrate

PAGES: dict[str, dict] = {
    "first page": {},
    "page 20": {"offset": 950},
    "one source": {"filters": CorpusFilter(sources=["Outlet 7"])},
    "confidence 0.5-0.6": {"min_confidence": 0.5, "max_confidence": 0.6},
}


def computed_page(
    store: Store,
    filters: CorpusFilter = CorpusFilter(),  # noqa: B008  # frozen, never mutated
    *,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    offset: int = 0,
) -> list[tuple[int, float | None]]:
    """The page as the queue found it before 0004: the average over the labels, per article and page."""
    a, pt = t.articles, t.paragraph_techniques.c
    confidence = sa.select(sa.func.avg(pt.confidence)).where(pt.article_id == a.c.id).scalar_subquery()
    conditions = filters.where(a, store.model_id(filters.model))
    if min_confidence is not None:  # bounds as review_queue compares them, to 6 decimals
        conditions.append(confidence >= min_confidence - 5e-7)
    if max_confidence is not None:
        conditions.append(confidence <= max_confidence + 5e-7)
    query = (
        sa.select(a.c.id, confidence.label("confidence"))
        .where(*conditions)
        .order_by(sa.nulls_last(confidence.asc()), a.c.id)
        .limit(50)
        .offset(offset)
    )
    with store.connect() as connection:
        connection.scalar(sa.select(sa.func.count()).select_from(a).where(*conditions))
        return [(row.id, row.confidence) for row in connection.execute(query)]


def stored_page(store: Store, **options: object) -> list[tuple[int, float | None]]:
    page = review_queue(store, "bench", limit=50, **options)  # type: ignore[arg-type]
    return [(item.id, item.confidence) for item in page.items]


def tasks(store: Store, limit: int) -> list[dict]:
    unreviewed, _total = unreviewed_in_store(store, reviewer="bench", limit=limit)
    return labelstudio_tasks(list(unreviewed))


def time_migration(path: Path) -> None:
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        copy = Path(scratch) / path.name
        shutil.copyfile(path, copy)
        engine = sa.create_engine(database_url(copy))
        try:
            downgrade(engine, "0003")
            seconds = timed(lambda: migrate(engine))
        finally:
            engine.dispose()
    print(f"{path}: migration 0004 (add, fill in and index the confidence columns) took {seconds:.1f} s")


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", help="a store built by benchmarks/store.py --keep (SQLite file or postgresql:// URL)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--migration", action="store_true", help="time migration 0004 on a copy (SQLite)")
    args = parser.parse_args()
    if args.migration:
        time_migration(Path(args.db))
        return
    with Store(args.db) as store:
        with store.connect() as connection:
            articles = connection.scalar(sa.select(sa.func.count()).select_from(t.articles))
        print(f"{args.db}: {articles:,} articles; median of {args.runs} runs after one warm-up each")
        print(f"{'page':<22}{'stored (s)':>12}{'computed (s)':>14}{'computed / stored':>19}")
        for name, options in PAGES.items():
            stored, computed = stored_page(store, **options), computed_page(store, **options)
            # The same confidences, shown to 6 decimals; articles whose means differ only in the
            # last bits (summed in another order) may swap places.
            same = [c for _, c in stored] == [None if c is None else round(c, 6) for _, c in computed]
            assert same, f"{name}: the two queries disagree"
            times: dict[str, list[float]] = {"stored": [], "computed": []}
            for _ in range(args.runs):
                times["stored"].append(timed(lambda o=options: stored_page(store, **o)))
                times["computed"].append(timed(lambda o=options: computed_page(store, **o)))
            s, c = (statistics.median(times[k]) for k in ("stored", "computed"))
            print(f"{name:<22}{s:>12.3f}{c:>14.3f}{c / s:>19.1f}")
        for limit in (100, 1000):  # what `unspin review export -f labelstudio --status unreviewed` builds
            seconds = statistics.median(timed(lambda n=limit: tasks(store, n)) for _ in range(args.runs))
            print(f"Label Studio tasks, the {limit:,} least certain unreviewed articles: {seconds:.2f} s")


if __name__ == "__main__":
    main()
