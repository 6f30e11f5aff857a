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
