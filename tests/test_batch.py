"""Batch runs: failures logged and skipped, duplicates analysed once, and a killed run resumed without redoing work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from unspin import Article, InputError
from unspin.batch import (
    BatchStats,
    ErrorLog,
    LogProgress,
    errors_path_for,
    load_done_hashes,
    run_batch,
)
from unspin.cli import main
from unspin.files import drop_partial_last_line
from unspin.formats.inputs import Document

HASH_A, HASH_B = "a" * 64, "b" * 64
SENTENCES = (
    "The West has launched an unprecedented sanctions pressure on ordinary families.",
    "Brussels bureaucrats lecture us about sacrifice while they never pay a heating bill.",
    "Either we stand together now, or we freeze in the dark next winter.",
    "Every true patriot knows that our country will never bow to blackmail.",
    "The ministers met again on Tuesday to discuss the gas price cap.",
    "Experts say the measures will take months to show any effect.",
)


def generated_article(i: int) -> str:
    """A small, unique article; every third one has a date header."""
    first = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(2))
    second = f"{SENTENCES[(i * 5) % len(SENTENCES)]} This is report number {i}."
    header = f"date 2022-03-{i % 28 + 1:02d} " if i % 3 == 0 else ""
    return f"{header}{first}\n\n{second}\n"


def jsonl_line(content_hash: str) -> str:
    article = {"id": None, "content_hash": content_hash, "text": "x"}
    return json.dumps({"schema_version": "1.0", "article": article}) + "\n"


# ---------------------------------------------------------------------------- resume bookkeeping (no model)


@pytest.mark.parametrize(
    ("content", "kept"),
    [("", ""), ("complete\n", "complete\n"), ("one\ntwo\n", "one\ntwo\n"), ("one\ntw", "one\n"), ("no newline", "")],
)
def test_drop_partial_last_line(content: str, kept: str, tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(content, encoding="utf-8")
    assert drop_partial_last_line(path) is (kept != content)
    assert path.read_text(encoding="utf-8") == kept


def test_drop_partial_last_line_in_a_long_file(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"x" * 200_000 + b"\n" + b"y" * 150_000)
    drop_partial_last_line(path)
    assert path.stat().st_size == 200_001


def test_load_done_hashes_drops_a_cut_line_and_ignores_foreign_lines(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    compact = json.dumps({"article": {"content_hash": HASH_B}}, separators=(",", ":")) + "\n"
    path.write_text(jsonl_line(HASH_A) + "not json\n" + compact + jsonl_line("c" * 64)[:40], encoding="utf-8")
    assert load_done_hashes(path) == {HASH_A, HASH_B}
    assert path.read_text(encoding="utf-8").endswith(compact), "the cut line is gone, appends start on a new line"
    assert load_done_hashes(tmp_path / "missing.jsonl") == set()


def test_error_log_is_written_on_the_first_failure_and_replaces_an_old_one(tmp_path: Path) -> None:
    path = errors_path_for(tmp_path / "out.jsonl")
    assert path == tmp_path / "out.errors.jsonl"
    path.write_text("stale\n", encoding="utf-8")
    echoed: list[str] = []
    log = ErrorLog(path, echo=echoed.append, echo_limit=2)
    assert not path.exists(), "earlier failures are retried, so their list goes"
    for i in range(3):
        log.add(f"doc{i}.txt", "the file is empty")
    log.close()
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert entries == [{"name": f"doc{i}.txt", "reason": "the file is empty"} for i in range(3)]
    assert len(echoed) == 2 and "further failures are only written to" in echoed[-1]


def test_plain_progress_lines_and_the_summary() -> None:
    stats = BatchStats(analysed=40, failed=2, skipped=10, tokens=8000)
    stats.started -= 20
    progress = LogProgress(echo=print, interval=0)
    progress.set_total(100)
    line = progress.line(stats)
    assert line.startswith("42 of 90 documents, 400 tokens/s, 2 failed, about ")
    assert line.endswith(" left")
    assert stats.summary().startswith("analysed 40 documents in 20 s (2.0/s), 2 failed, 10 already done")


# ---------------------------------------------------------------------------- run_batch with the model


class PoisonedAnalyzer:
    """The real analyzer, except that texts containing a marker fail like a bad document or a bug."""

    def __init__(self, analyzer: object) -> None:
        self._analyzer = analyzer
        self.bundle = analyzer.bundle  # type: ignore[attr-defined]

    def analyze_many(self, articles: Iterable[Article]) -> list:
        articles = list(articles)
        for article in articles:
            if "POISON" in article.text:
                raise InputError("the article is poisoned")
            if "BUG" in article.text:
                raise RuntimeError("tensor shapes do not match")
        return self._analyzer.analyze_many(articles)  # type: ignore[attr-defined]

    def analyze(self, article: Article) -> object:
        return self.analyze_many([article])[0]


class ListWriter:
    def __init__(self) -> None:
        self.analyses: list = []

    def write(self, analysis: object) -> None:
        self.analyses.append(analysis)

    def close(self) -> None:
        pass


def documents_of(texts: list[str]) -> list[Document]:
    return [Document(f"doc{i}", article=Article.from_text(t, id=f"doc{i}")) for i, t in enumerate(texts)]


def test_a_failing_document_is_isolated_from_its_batch(analyzer: object, tmp_path: Path) -> None:
    texts = [generated_article(i) for i in range(7)]
    texts[2] += " POISON"
    texts[5] += " BUG"
    documents = documents_of(texts)
    documents.insert(3, Document("unreadable.txt", reason="the file is empty"))
    writer, errors = ListWriter(), ErrorLog(tmp_path / "errors.jsonl")
    stats = run_batch(documents, PoisonedAnalyzer(analyzer), writer, errors=errors, batch_size=3)  # type: ignore[arg-type]
    errors.close()
    assert [a.article.id for a in writer.analyses] == ["doc0", "doc1", "doc3", "doc4", "doc6"]
    assert (stats.analysed, stats.failed) == (5, 3)
    assert stats.tokens > 0
    entries = {e["name"]: e["reason"] for e in map(json.loads, (tmp_path / "errors.jsonl").read_text().splitlines())}
    assert entries == {
        "doc2": "the article is poisoned",
        "unreadable.txt": "the file is empty",
        "doc5": "internal error (RuntimeError: tensor shapes do not match); please report it",
    }


def test_done_and_duplicate_documents_are_skipped(analyzer: object) -> None:
    texts = [generated_article(i) for i in range(4)]
    documents = documents_of([*texts, texts[1]])
    done = {documents[0].article.content_hash}  # type: ignore[union-attr]
    writer = ListWriter()
    stats = run_batch(documents, analyzer, writer, done=done, batch_size=2)  # type: ignore[arg-type]
    assert [a.article.id for a in writer.analyses] == ["doc1", "doc2", "doc3"]
    assert (stats.analysed, stats.skipped, stats.duplicates) == (3, 1, 1)
    assert done == {d.article.content_hash for d in documents}  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- done when: kill and resume


# Enough for a kill mid-run, directories, cp1251 files and broken ones among good ones; the
# resume logic does not depend on the count (1,000 took 200 s of the suite for nothing more).
GOOD_ARTICLES = 150
BROKEN = {
    "broken-empty.txt": b"",
    "broken-blank.txt": b" \r\n\r\n ",
    "broken-binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
    "broken-date.txt": b"date 2022-13-45 A month that does not exist.",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "more").mkdir(parents=True)
    for i in range(GOOD_ARTICLES):
        target = folder / "more" if i % 2 else folder
        text, encoding = generated_article(i), "utf-8"
        if i % 50 == 7:
            text, encoding = text + "\nСанкции Запада ударят по простым людям, а семьи ждёт холодная зима.\n", "cp1251"
        (target / f"article-{i:03d}.txt").write_bytes(text.encode(encoding))
    for name, content in BROKEN.items():
        (folder / name).write_bytes(content)
    return folder


def run_cli_until(args: list[str], out: Path, lines: int, timeout: float = 120) -> bool:
    """Run ``unspin`` in a subprocess and SIGKILL it once ``out`` has ``lines`` lines; False if it finished first."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "unspin", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if out.exists() and out.read_bytes().count(b"\n") >= lines:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.02)
        return False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_a_killed_batch_resumes_without_redoing_work(
    corpus: Path, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    args = ["analyze", str(corpus), "--model", str(model_path), "-o", str(out), "--batch-size", "4"]
    if not run_cli_until(args, out, lines=40):
        kept = out.read_bytes().splitlines(keepends=True)[:40]  # finished before the kill: cut it back by hand
        out.write_bytes(b"".join(kept))
    partial = b'{"schema_version": "1.0", "article": {"id": "article-1'  # killed in the middle of a write
    with out.open("ab") as stream:
        stream.write(partial)
    before = out.read_bytes().count(b"\n")
    assert 0 < before < GOOD_ARTICLES

    assert main(args) == 1, "broken documents make the exit code 1"

    captured = capsys.readouterr()
    documents = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    hashes = [d["article"]["content_hash"] for d in documents]
    assert len(documents) == GOOD_ARTICLES == len(set(hashes)), "every good article once, none twice"
    ids = {d["article"]["id"] for d in documents}
    assert ids == {f"{'more/' if i % 2 else ''}article-{i:03d}" for i in range(GOOD_ARTICLES)}
    cp1251 = sum(1 for i in range(GOOD_ARTICLES) if i % 50 == 7)
    assert sum(d["article"].get("meta", {}).get("encoding") == "cp1251" for d in documents) == cp1251
    assert f"{before:,} already done" in captured.err
    assert f"analysed {GOOD_ARTICLES - before:,} documents" in captured.err
    errors = [json.loads(line) for line in errors_path_for(out).read_text(encoding="utf-8").splitlines()]
    assert sorted(Path(e["name"]).name for e in errors) == sorted(BROKEN)
    assert all(e["reason"] and "\n" not in e["reason"] for e in errors)
    assert "Traceback" not in captured.err


# ---------------------------------------------------------------------------- --store across a kill


def write_records(path: Path, texts: list[str]) -> None:
    path.write_text(
        "".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8"
    )


def stored_hashes(db: Path) -> list[str]:
    import sqlalchemy as sa

    from unspin.store import Store
    from unspin.store import tables as t

    with Store(db) as store, store.connect() as connection:
        return list(connection.scalars(sa.select(t.articles.c.content_hash)))


def test_resuming_with_store_adds_what_the_jsonl_has_and_the_store_lost(model_path: Path, tmp_path: Path) -> None:
    """A kill leaves the JSONL ahead of the store (it commits in batches); the rerun must close the gap."""
    from unspin.store import Store

    records, out, db = tmp_path / "batch.jsonl", tmp_path / "out.jsonl", tmp_path / "c.db"
    texts = [generated_article(i) for i in range(6)]
    write_records(records, texts[:4])
    assert main(["analyze", str(records), "--model", str(model_path), "-o", str(out)]) == 0
    committed = tmp_path / "committed.jsonl"  # the kill state: the store holds the first batch only
    committed.write_text("".join(out.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    with Store(db) as store:
        store.import_jsonl(committed)
    assert len(stored_hashes(db)) == 2
    write_records(records, texts)

    assert main(["analyze", str(records), "--model", str(model_path), "-o", str(out), "--store", "--db", str(db)]) == 0

    jsonl_hashes = [
        json.loads(line)["article"]["content_hash"] for line in out.read_text(encoding="utf-8").splitlines()
    ]
    hashes = stored_hashes(db)
    assert len(jsonl_hashes) == 6
    assert sorted(hashes) == sorted(jsonl_hashes) == sorted(set(hashes)), "every analysis stored, none twice"
