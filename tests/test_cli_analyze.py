"""``unspin analyze`` through :func:`unspin.cli.main`: formats, batches, stdin, and one-line user errors."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from unspin.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "article-en.txt"
RUSSIAN = (
    "date 2022-03-11 Санкции Запада ударят по простым людям\r\n\r\n"
    "Министры так называемой коалиции снова встретились в Брюсселе. Цены на газ и хлеб растут каждую неделю, "
    "а миллионы семей ждёт холодная и голодная зима.\r\n"
)


def analyze(*args: str | Path) -> int:
    return main(["analyze", *map(str, args)])


def assert_offsets_hold(document: dict) -> None:
    text = document["article"]["text"]
    for paragraph in document["paragraphs"]:
        assert 0 <= paragraph["start"] < paragraph["end"] <= len(text)
        for span in paragraph["spans"]:
            assert text[span["start"] : span["end"]] == span["text"]
            assert paragraph["start"] <= span["start"] < span["end"] <= paragraph["end"]


def assert_one_line_error(err: str) -> None:
    assert "Traceback" not in err
    assert err.strip(), "no error message"
    assert len(err.strip().splitlines()) == 1, err


@pytest.fixture
def crlf_bom_example(tmp_path: Path) -> Path:
    path = tmp_path / "crlf-bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    return path


@pytest.mark.parametrize("variant", ["as shipped", "crlf and bom"])
def test_json_spans_are_slices_of_the_article_text(
    variant: str, crlf_bom_example: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = EXAMPLE if variant == "as shipped" else crlf_bom_example
    assert analyze(path, "--model", model_path, "--format", "json", "--threshold", "0") == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["schema_version"]
    assert document["article"]["text"] == path.read_bytes().decode("utf-8")  # CRLF and BOM kept
    assert document["article"]["date"] == "2022-03-11"
    assert document["article"]["language"] == "en"
    assert any(p["spans"] for p in document["paragraphs"]), "threshold 0 should give spans to check"
    assert_offsets_hold(document)
    assert "Traceback" not in captured.err


def test_jsonl_batch_skips_a_binary_file_and_exits_1(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(EXAMPLE.read_bytes())
    (corpus / "b-broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (corpus / "c.txt").write_bytes(RUSSIAN.encode("utf-8"))
    out = tmp_path / "out.jsonl"

    assert analyze(corpus, "--model", model_path, "--format", "jsonl", "--output", out) == 1

    captured = capsys.readouterr()
    lines = out.read_text(encoding="utf-8").splitlines()
    documents = [json.loads(line) for line in lines]
    assert [d["article"]["id"] for d in documents] == ["a", "c"]
    for document in documents:
        assert_offsets_hold(document)
    assert "b-broken.txt" in captured.err
    assert "a.txt" not in captured.err and "c.txt" not in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""


def test_bad_document_with_brackets_in_its_name_is_reported_verbatim(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.txt"
    good.write_bytes(EXAMPLE.read_bytes())
    bad = tmp_path / "[draft] a[" / "b].txt"  # the path holds "[draft]" and "[/b]": markup look-alikes
    bad.parent.mkdir()
    bad.write_bytes(b"")
    out = tmp_path / "out.jsonl"
    assert analyze(good, bad, "--model", model_path, "--format", "jsonl", "-o", out) == 1
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "Traceback" not in err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_nonexistent_path_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-article.txt"
    assert analyze(missing, "--format", "json") == 1
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert "no-such-article.txt" in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("content", [b"", b"  \r\n\n", b"\xef\xbb\xbf", b"date 2022-03-11\n"])
def test_empty_file_is_a_one_line_error(content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(content)
    assert analyze(empty, "--format", "json") == 1
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert "empty.txt" in captured.err
    assert captured.out == ""


def test_strict_encoding_error_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ru-cp1251.txt"
    path.write_bytes(RUSSIAN.encode("cp1251"))
    assert analyze(path, "--encoding", "utf-8") == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "ru-cp1251.txt" in err


@pytest.mark.parametrize(
    "args",
    [["--format", "xml"], ["--threshold", "2"], ["--no-such-option"], []],
    ids=["unknown format", "threshold out of range", "unknown option", "no input"],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    inputs = [] if args == [] else [str(EXAMPLE)]
    assert main(["analyze", *inputs, *args]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_output_file_needs_a_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze(EXAMPLE, "--output", tmp_path / "out.txt") == 2
    assert_one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "out.txt").exists()


def test_output_into_a_missing_directory_is_a_one_line_error(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-dir" / "out.jsonl"
    assert analyze(EXAMPLE, "--model", model_path, "--format", "json", "--output", target) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "no-such-dir" in err


def test_missing_model_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze(EXAMPLE, "--model", tmp_path / "no-model", "--format", "json") == 1
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert "no-model" in captured.err
    assert captured.out == ""


def test_stdin(model_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    raw = RUSSIAN.encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    assert analyze("-", "--model", model_path, "--format", "json", "--threshold", "0") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["article"]["text"] == RUSSIAN  # bytes as given: CRLF kept
    assert document["article"]["id"] is None
    assert document["article"]["language"] == "ru"
    assert document["article"]["date"] == "2022-03-11"
    assert_offsets_hold(document)


def test_cp1251_file_reports_its_encoding(tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ru.txt"
    path.write_bytes(RUSSIAN.encode("cp1251"))
    assert analyze(path, "--model", model_path, "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["article"]["text"] == RUSSIAN
    assert document["article"]["meta"]["encoding"] == "cp1251"
    assert document["article"]["language"] == "ru"


def test_utf8_file_has_no_encoding_meta(model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze(EXAMPLE, "--model", model_path, "--format", "json") == 0
    assert "meta" not in json.loads(capsys.readouterr().out)["article"]


def test_text_format_prints_the_article(model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert analyze(EXAMPLE, "--model", model_path) == 0
    captured = capsys.readouterr()
    assert "Western sanctions" in captured.out
    assert "Traceback" not in captured.err


# ---------------------------------------------------------------------------- batches, formats and inputs


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(EXAMPLE.read_bytes())
    (corpus / "b.txt").write_bytes(RUSSIAN.encode("cp1251"))
    (corpus / "c-empty.txt").write_bytes(b"")
    return corpus


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_directory_streams_jsonl_to_stdout_and_messages_to_stderr(
    small_corpus: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert analyze(small_corpus, "--model", model_path) == 1
    captured = capsys.readouterr()
    documents = [json.loads(line) for line in captured.out.splitlines()]
    assert [d["article"]["id"] for d in documents] == ["a", "b"]
    assert "c-empty.txt: the file is empty" in captured.err
    assert "analysed 2 documents" in captured.err and "1 failed" in captured.err
    assert "Traceback" not in captured.err


def test_failed_documents_go_to_an_errors_file_beside_the_output(
    small_corpus: Path, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.jsonl"
    assert analyze(small_corpus, "--model", model_path, "-o", out) == 1
    assert [d["article"]["id"] for d in read_jsonl(out)] == ["a", "b"]
    errors = read_jsonl(tmp_path / "run.errors.jsonl")
    assert errors == [{"name": str(small_corpus / "c-empty.txt"), "reason": "the file is empty"}]
    assert "run.errors.jsonl" in capsys.readouterr().err

    custom = tmp_path / "failures.jsonl"
    assert analyze(small_corpus, "--model", model_path, "-o", out, "--errors", custom) == 1
    assert len(read_jsonl(custom)) == 1


def test_an_existing_output_is_resumed_unless_told_otherwise(
    small_corpus: Path, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (small_corpus / "c-empty.txt").unlink()
    out = tmp_path / "run.jsonl"
    assert analyze(small_corpus, "--model", model_path, "-o", out) == 0
    first = out.read_bytes()
    assert analyze(small_corpus, "--model", model_path, "-o", out) == 0
    assert out.read_bytes() == first
    assert "2 documents already analysed are skipped" in capsys.readouterr().err
    assert analyze(small_corpus, "--model", model_path, "-o", out, "--no-resume") == 0
    assert len(read_jsonl(out)) == 2


@pytest.mark.parametrize(
    "args",
    [["--format", "csv"], ["--resume", "--format", "csv", "-o", "out.csv"], ["--resume"], ["-o", "out.xlsx"]],
    ids=["csv without output", "resume csv", "resume to stdout", "unknown suffix"],
)
def test_output_option_conflicts_are_usage_errors(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", str(EXAMPLE), *args]) == 2
    assert_one_line_error(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_csv_and_parquet_from_the_output_suffix(small_corpus: Path, model_path: Path, tmp_path: Path) -> None:
    (small_corpus / "c-empty.txt").unlink()
    assert analyze(small_corpus, "--model", model_path, "-o", tmp_path / "t.csv", "--threshold", "0") == 0
    articles = (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()
    assert articles[0].startswith("id,title,date,source,url,language,content_hash,encoding,genre")
    assert len(articles) == 3 and ",cp1251," in articles[2]
    assert (tmp_path / "t.spans.csv").read_text(encoding="utf-8-sig").startswith("content_hash,article_id,paragraph")

    pq = pytest.importorskip("pyarrow.parquet")
    assert analyze(small_corpus, "--model", model_path, "-o", tmp_path / "t.parquet") == 0
    assert pq.read_table(tmp_path / "t.parquet").column("id").to_pylist() == ["a", "b"]


def test_jsonl_input_with_a_malformed_line_and_custom_fields(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text(
        json.dumps({"doc": "r1", "story": RUSSIAN, "outlet": "Outlet"}, ensure_ascii=False)
        + "\n"
        + '{"doc": "r2", "story": "cut off\n'
        + json.dumps({"doc": "r3", "story": EXAMPLE.read_text(encoding="utf-8")})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    fields = ["--field", "text=story", "--field", "id=doc", "--field", "source=outlet"]
    assert analyze(dump, "--model", model_path, "-o", out, *fields) == 1
    documents = read_jsonl(out)
    assert [(d["article"]["id"], d["article"]["source"]) for d in documents] == [("r1", "Outlet"), ("r3", None)]
    assert read_jsonl(tmp_path / "out.errors.jsonl")[0]["name"] == f"{dump}:2"
    assert "Traceback" not in capsys.readouterr().err


def test_a_csv_without_a_text_column_names_the_column_and_the_file(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("id,headline,story\n1,A,Some story\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert analyze(export, "--model", model_path, "-o", out) == 1
    err = capsys.readouterr().err
    failure = [line for line in err.splitlines() if "export.csv" in line and "no text column" in line]
    assert len(failure) == 1 and "'text'" in failure[0] and "--field text=COLUMN" in failure[0]
    assert "Traceback" not in err
    assert read_jsonl(tmp_path / "out.errors.jsonl")[0]["name"] == str(export)
    assert out.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("kind", ["huge", "no main text", "404", "timeout"])
def test_a_single_bad_document_is_a_one_line_error(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from _local_web import NO_MAIN_TEXT_PAGE, LocalWeb

    with LocalWeb() as web:
        if kind == "huge":
            target: str | Path = tmp_path / "huge.txt"
            target.write_bytes(b"They lie. " * 5_300_000)  # 53 MB
            extra = []
        elif kind == "no main text":
            target = tmp_path / "index.html"
            target.write_text(NO_MAIN_TEXT_PAGE, encoding="utf-8")
            extra = []
        else:
            target = web.add("/page", "<html></html>", status=404) if kind == "404" else web.add("/slow", delay=1.0)
            extra = ["--timeout", "0.2"]
        assert analyze(target, "--format", "json", *extra) == 1
    captured = capsys.readouterr()
    assert_one_line_error(captured.err)
    assert str(target) in captured.err
    assert captured.out == ""


def test_a_feed_with_broken_items(tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from _local_web import LocalWeb, article_page, rss, rss_item

    with LocalWeb() as web:
        good = web.add("/good", article_page("Good news"))
        items = [
            rss_item("Good news", good, "Fri, 11 Mar 2022 08:00:00 GMT"),
            rss_item("Gone", web.url("/gone"), "Sat, 12 Mar 2022 08:00:00 GMT"),
            rss_item("Nothing", None, None),
        ]
        feed = web.add("/feed.xml", rss(items), content_type="application/rss+xml")
        out = tmp_path / "feed.jsonl"
        assert main(["analyze", "--feed", feed, "--model", str(model_path), "-o", str(out)]) == 1
    documents = read_jsonl(out)
    assert [(d["article"]["url"], d["article"]["source"], d["article"]["date"]) for d in documents] == [
        (good, "Example Times", "2022-03-11")
    ]
    errors = read_jsonl(tmp_path / "feed.errors.jsonl")
    assert [(e["name"], e["reason"]) for e in errors] == [
        (web.url("/gone"), "HTTP 404 Not Found"),
        (f"{feed}#item-3", "the feed item has neither a link nor any content"),
    ]
    assert "Traceback" not in capsys.readouterr().err


def test_html_files_from_a_directory_with_glob(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from _local_web import article_page

    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "one.html").write_text(article_page(), encoding="utf-8")
    (tmp_path / "pages" / "skip.txt").write_text("not read", encoding="utf-8")
    assert analyze(tmp_path / "pages", "--glob", "*.html", "--model", model_path) == 0
    [document] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert document["article"]["id"] == "one" and document["article"]["source"] == "Example Times"
    assert_offsets_hold(document)


def test_plain_progress_lines_when_stderr_is_not_a_terminal(
    small_corpus: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from unspin import batch

    monkeypatch.setattr(batch, "LOG_INTERVAL_SECONDS", 0.0)  # a line at every step
    assert analyze(small_corpus, "--model", model_path) == 1
    err = capsys.readouterr().err
    assert "of 3 documents" in err and "tokens/s" in err


def test_html_report_for_one_article(model_path: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert main(["analyze", str(EXAMPLE), "--model", str(model_path), "--format", "html", "-o", str(report)]) == 0
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Western sanctions" in page


def test_html_report_for_a_batch_writes_pages_and_an_index(model_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"a{n}.txt").write_text(
            f"The corrupt elite lies again, part {n}.\n\nThey are puppets.", encoding="utf-8"
        )
    out = tmp_path / "reports"
    assert main(["analyze", str(folder), "--model", str(model_path), "--format", "html", "-o", str(out)]) == 0
    pages = sorted(p.name for p in out.iterdir())
    assert "index.html" in pages and len(pages) == 4
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(name in index for name in pages if name != "index.html")
    assert main(["analyze", str(folder), "--model", str(model_path), "--format", "html"]) == 2


# ---------------------------------------------------------------------------- outputs never overwrite inputs


def records_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "The ministers met on Tuesday."}) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "link"),
    [
        (["-o", "{in}", "--no-resume"], None),
        (["-o", "{in}"], None),
        (["--format", "csv", "-o", "{in}"], None),
        (["-o", "{dir}/out.jsonl", "--errors", "{in}"], None),
        (["-o", "{dir}/out.csv"], "out.spans.csv"),
        (["-o", "{dir}/link.jsonl"], "link.jsonl"),
        (["-o", "{dir}/copy.jsonl", "--no-resume"], "hard:copy.jsonl"),
        (["-o", "{dir}/out.jsonl", "--store", "--db", "{in}"], None),
    ],
)
def test_an_output_naming_an_input_is_refused_before_anything_is_written(
    args: list[str], link: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = records_file(tmp_path)
    before = source.read_bytes()
    if link and link.startswith("hard:"):
        (tmp_path / link[5:]).hardlink_to(source)
    elif link:
        (tmp_path / link).symlink_to(source)
    filled = [a.format(**{"in": source, "dir": tmp_path}) for a in args]
    assert analyze(source, *filled) == 2
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert f"is the input {source}" in err
    assert source.read_bytes() == before
    assert not (tmp_path / "out.jsonl").exists()


def test_an_input_in_a_directory_is_protected_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("The ministers met on Tuesday.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("They lie.", encoding="utf-8")
    (tmp_path / "alias.jsonl").hardlink_to(tmp_path / "b.txt")
    assert analyze(tmp_path, "-o", tmp_path / "alias.jsonl") == 2
    assert "is the input" in capsys.readouterr().err
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "They lie."


def test_two_outputs_naming_one_file_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = records_file(tmp_path)
    assert analyze(source, "-o", tmp_path / "out.jsonl", "--errors", tmp_path / "out.jsonl") == 2
    assert "both name" in capsys.readouterr().err


def test_hostile_jsonl_records_are_reported_and_the_rest_analysed(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from _hostile_records import hostile_lines

    source, out = tmp_path / "batch.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(hostile_lines()) + "\n", encoding="utf-8")
    for run in ("first", "rerun"):
        assert analyze(source, "--model", model_path, "-o", out) == 1, run
        assert "Traceback" not in capsys.readouterr().err
        assert [d["article"]["id"] for d in read_jsonl(out)] == ["g0", "g1", "g2"], run
        errors = read_jsonl(tmp_path / "out.errors.jsonl")
        assert [e["name"] for e in errors] == [f"{source}:2", f"{source}:4"], run


@pytest.mark.parametrize("raw", [False, True])
def test_csv_output_neutralises_formulas_unless_raw(raw: bool, model_path: Path, tmp_path: Path) -> None:
    import csv

    source, out = tmp_path / "in.jsonl", tmp_path / "out.csv"
    record = {
        "id": '=HYPERLINK("http://evil.example")',
        "title": "+cmd",
        "source": "@x",
        "text": "-1 is the number. The ministers met on Tuesday.",
    }
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert analyze(source, "--model", model_path, "-o", out, *(["--raw-csv"] if raw else [])) == 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        (row,) = list(csv.DictReader(f))
    cells = [row[key] for key in ("id", "title", "source")]
    assert cells == (
        [record[k] for k in ("id", "title", "source")] if raw else ["'" + record[k] for k in ("id", "title", "source")]
    )
    assert float(row["genre_probability"]) > 0, "numbers stay numbers"


@pytest.mark.parametrize(("field", "value"), [("technique", "abc"), ("span", -0.5), ("frame", None)])
def test_a_tampered_bundle_threshold_names_the_file_and_field(
    field: str, value: object, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(model_path, bundle)
    meta = json.loads((bundle / "meta.json").read_text(encoding="utf-8"))
    meta["thresholds"][field] = value
    (bundle / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert analyze(EXAMPLE, "--model", bundle) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert f"{bundle / 'meta.json'}: thresholds.{field} is {value!r}, expected a number from 0 to 1" in err
    assert "internal error" not in err


def test_an_unwritable_errors_file_is_named_as_such(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, errors = tmp_path / "in.jsonl", tmp_path / "missing-dir" / "errors.jsonl"
    source.write_text('{"id": "a", "text": "The ministers met."}\nnot json\n', encoding="utf-8")
    assert analyze(source, "--model", model_path, "-o", tmp_path / "out.jsonl", "--errors", errors) == 1
    err = capsys.readouterr().err
    assert f"cannot write the errors file {errors}: No such file or directory" in err
    assert "cannot write the results" not in err and "Traceback" not in err
