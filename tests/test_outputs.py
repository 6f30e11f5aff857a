"""Writers: JSON/JSONL round-trips, the article and span tables as CSV and Parquet. No model needed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from unspin import Analysis, Article, InputError
from unspin.analysis import LabelScore, ParagraphAnalysis, Span, TechniqueScore
from unspin.formats.outputs import (
    ARTICLE_COLUMNS,
    SPAN_COLUMNS,
    CsvWriter,
    JsonWriter,
    ParquetWriter,
    article_row,
    csv_safe,
    open_writer,
    span_rows,
    spans_path,
)
from unspin.taxonomy import TECHNIQUE_LABELS

TEXT = (
    "date 2022-03-11 Sanctions will hit ordinary people\r\n\r\n"
    'The so-called "partners" lie, again and again.\r\n\r\n'
    "Either we stand together, or we freeze in the dark, Привет."
)


def analysis_of(text: str = TEXT, *, id: str = "a1", meta: dict[str, str] | None = None) -> Analysis:
    """Spans on two fragments; paragraph techniques follow the spans."""
    article = Article.from_text(text, id=id, source="Outlet").with_metadata(meta=meta)
    fragments = {
        'so-called "partners" lie': "Name_Calling-Labeling",
        "Either we stand together, or we freeze in the dark": "False_Dilemma-No_Choice",
    }
    paragraphs = []
    for p in article.paragraphs:
        spans = tuple(
            Span(text.index(f), text.index(f) + len(f), label, 0.8, f) for f, label in fragments.items() if f in p.text
        )
        paragraphs.append(
            ParagraphAnalysis(p.number, p.start, p.end, tuple(TechniqueScore(s.technique, 0.9) for s in spans), spans)
        )
    return Analysis(
        article,
        "opinion",
        {"opinion": 0.7, "reporting": 0.2, "satire": 0.1},
        (LabelScore("Political", 0.8), LabelScore("Economic", 0.6)),
        {"Political": 0.8, "Economic": 0.6},
        tuple(paragraphs),
        {"name": "test", "version": "0"},
    )


def test_jsonl_round_trips_through_the_published_schema() -> None:
    stream = io.StringIO()
    writer = JsonWriter(stream)
    writer.write(analysis_of())
    writer.write(analysis_of(TEXT + " 2", id="a2"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    again = Analysis.from_dict(json.loads(lines[0]))
    assert again.to_dict() == analysis_of().to_dict()


def test_article_and_span_rows_come_from_the_schema() -> None:
    document = analysis_of(meta={"encoding": "cp1251"}).to_dict()
    row = article_row(document)
    assert list(row) == [name for name, _ in ARTICLE_COLUMNS]
    assert (row["id"], row["date"], row["source"], row["encoding"]) == ("a1", "2022-03-11", "Outlet", "cp1251")
    assert (row["genre"], row["genre_probability"], row["frames"]) == ("opinion", 0.7, "Political;Economic")
    assert (row["spans"], row["Name_Calling-Labeling"], row["attack_on_reputation"], row["Slogans"]) == (2, 1, 1, 0)
    spans = span_rows(document)
    assert [list(s) for s in spans] == [[name for name, _ in SPAN_COLUMNS]] * 2
    for span in spans:
        assert TEXT[span["start"] : span["end"]] == span["text"]
    assert spans[0]["category"] == "attack_on_reputation" and spans[0]["paragraph"] == 2


def test_csv_writes_an_article_table_and_a_span_table(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    writer = CsvWriter(out)
    writer.write(analysis_of())
    writer.write(analysis_of(TEXT + " 2", id="a2"))
    writer.close()
    assert spans_path(out) == tmp_path / "results.spans.csv"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf"), "a BOM, so spreadsheets read UTF-8"
    with out.open(encoding="utf-8-sig", newline="") as f:
        articles = list(csv.DictReader(f))
    with spans_path(out).open(encoding="utf-8-sig", newline="") as f:
        spans = list(csv.DictReader(f))
    assert [a["id"] for a in articles] == ["a1", "a2"]
    assert set(TECHNIQUE_LABELS) <= set(articles[0])
    assert len(spans) == 4 and {s["article_id"] for s in spans} == {"a1", "a2"}
    assert spans[0]["text"] == 'so-called "partners" lie'
    assert {s["content_hash"] for s in spans} == {a["content_hash"] for a in articles}


def test_parquet_writes_typed_tables_and_no_partial_file(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "results.parquet"
    writer = ParquetWriter(out, row_group=1)
    for i in range(3):
        writer.write(analysis_of(TEXT + f" {i}", id=f"a{i}"))
    assert not out.exists(), "the file appears only when complete"
    writer.close()
    articles = pq.read_table(out).to_pylist()
    spans = pq.read_table(spans_path(out)).to_pylist()
    assert [a["id"] for a in articles] == ["a0", "a1", "a2"]
    assert articles[0]["date"] == dt.date(2022, 3, 11) and articles[0]["spans"] == 2
    assert len(spans) == 6 and spans[0]["confidence"] == pytest.approx(0.8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.parquet", "results.spans.parquet"]


def test_an_empty_run_still_writes_tables_with_headers(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "empty.parquet"
    ParquetWriter(out).close()
    assert pq.read_table(out).num_rows == 0
    assert pq.read_table(out).schema.names == [name for name, _ in ARTICLE_COLUMNS]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables_need_an_output_file(fmt: str) -> None:
    with pytest.raises(InputError, match="--output"):
        open_writer(fmt)  # type: ignore[arg-type]


def test_an_unwritable_output_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no-such-dir.*cannot write"):
        open_writer("jsonl", tmp_path / "no-such-dir" / "out.jsonl")


def test_jsonl_appends_when_resuming(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    for _ in range(2):
        writer = open_writer("jsonl", out, append=True)
        writer.write(analysis_of())
        writer.close()
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


# ---------------------------------------------------------------------------- CSV formula injection


FORMULA_TEXT = '=HYPERLINK("http://evil.example","open") is what the page said.\n\n-2 degrees tonight.'


def formula_analysis() -> Analysis:
    """Text cells a spreadsheet would run: the id, the source, a title and span texts starting with = and -."""
    article = Article.from_text(FORMULA_TEXT, id="=1+1", source="@SUM(A1)", title="\tTab title")
    spans = [(p.number, Span(p.start, p.start + 10, "Loaded_Language", 0.8, p.text[:10])) for p in article.paragraphs]
    paragraphs = tuple(
        ParagraphAnalysis(
            p.number,
            p.start,
            p.end,
            (TechniqueScore("Loaded_Language", 0.9),),
            tuple(s for n, s in spans if n == p.number),
        )
        for p in article.paragraphs
    )
    return Analysis(
        article,
        "opinion",
        {"opinion": 0.7, "reporting": 0.2, "satire": 0.1},
        (),
        {},
        paragraphs,
        {"name": "test", "version": "0"},
    )


def read_tables(out: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    tables = []
    for path in (out, spans_path(out)):
        with path.open(encoding="utf-8-sig", newline="") as f:
            tables.append(list(csv.DictReader(f)))
    return tables[0], tables[1]


def test_csv_text_cells_that_would_run_as_formulas_are_neutralised(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    writer = CsvWriter(out)
    writer.write(formula_analysis())
    writer.close()
    (article,), spans = read_tables(out)
    assert (article["id"], article["source"], article["title"]) == ("'=1+1", "'@SUM(A1)", "'\tTab title")
    assert [s["text"] for s in spans] == ["'=HYPERLINK", "'-2 degrees"]
    assert [s["article_id"] for s in spans] == ["'=1+1"] * 2
    assert (article["genre_probability"], spans[0]["confidence"], spans[0]["start"]) == ("0.7", "0.8", "0")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=cmd", "'=cmd"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
        (-0.5, -0.5),
        (-3, -3),
    ],
)
def test_csv_safe_changes_only_text_cells(value: object, written: object) -> None:
    assert csv_safe(value) == written


def test_raw_csv_writes_cells_as_they_are(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    writer = open_writer("csv", out, raw_csv=True)
    writer.write(formula_analysis())
    writer.close()
    (article,), spans = read_tables(out)
    assert (article["id"], spans[0]["text"]) == ("=1+1", "=HYPERLINK")


@pytest.mark.parametrize("raw", [False, True])
def test_corpus_export_neutralises_csv_unless_raw(raw: bool, tmp_path: Path) -> None:
    from unspin.cli import main
    from unspin.store import Store

    db, out = tmp_path / "corpus.db", tmp_path / "export.csv"
    with Store(db) as store:
        store.add([formula_analysis()])
    assert main(["corpus", "export", "--db", str(db), "-o", str(out), *(["--raw-csv"] if raw else [])]) == 0
    (article,), spans = read_tables(out)
    assert (article["id"], spans[1]["text"]) == (("=1+1", "-2 degrees") if raw else ("'=1+1", "'-2 degrees"))
