"""``unspin evaluate`` through :func:`unspin.cli.main`: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from unspin.cli import main

GOLD_TECHNIQUES = "1\t1\tDoubt,Slogans\n1\t2\t\n1\t4\tLoaded_Language\n"


def write(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.write_bytes(content.encode("utf-8"))
    return path


def evaluate(*args: str | Path) -> int:
    return main(["evaluate", *map(str, args)])


def test_table_shows_micro_macro_and_every_technique(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = write(tmp_path, "gold.txt", GOLD_TECHNIQUES)
    pred = write(tmp_path, "pred.txt", "1\t1\tDoubt\n1\t2\tSlogans\n1\t4\tLoaded_Language\n")
    assert evaluate("--task", "techniques", "--gold", gold, "--pred", pred) == 0
    out = capsys.readouterr().out
    assert "micro" in out and "macro" in out
    assert "Loaded_Language" in out and "Appeal_to_Time" in out
    assert "0.6667" in out  # micro F1: TP 2, FP 1, FN 1


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = write(tmp_path, "gold.txt", "1\topinion\n2\treporting\n")
    assert evaluate("--task", "genre", "--gold", gold, "--pred", gold, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["task"], report["macro_f1"], report["accuracy"]) == ("genre", 1.0, 1.0)
    assert [score["label"] for score in report["per_label"]] == ["opinion", "reporting"]


def test_spans_with_articles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "articles").mkdir()
    write(tmp_path / "articles", "article3.txt", "Titre\r\nIl faut agir maintenant.\r\n")
    gold = write(tmp_path, "gold.txt", "3\tSlogans\t7\t29\n")  # one short, as in the data
    pred = write(tmp_path, "pred.txt", "3\tSlogans\t7\t30\n")
    args = ("--task", "spans", "--gold", gold, "--pred", pred, "--articles", tmp_path / "articles")
    assert evaluate(*args, "--json") == 0
    assert json.loads(capsys.readouterr().out)["f1"] == 1.0
    assert evaluate(*args, "--by-technique") == 0
    out = capsys.readouterr().out
    assert "spans (by technique)" in out and "Slogans" in out


@pytest.mark.parametrize(
    ("pred_content", "message"),
    [
        ("1\t1\tDoubt\n1\tx\t\n", r"pred\.txt:2: expected an integer line number"),
        ("1\t1\tDoubt\n", r"2 missing \(e\.g\. article 1 line 2, article 1 line 4\)"),
        (None, r"pred\.txt: cannot read"),
    ],
    ids=["malformed", "missing-keys", "missing-file"],
)
def test_bad_files_exit_1_with_one_line_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pred_content: str | None, message: str
) -> None:
    gold = write(tmp_path, "gold.txt", GOLD_TECHNIQUES)
    pred = tmp_path / "pred.txt" if pred_content is None else write(tmp_path, "pred.txt", pred_content)
    assert evaluate("--task", "techniques", "--gold", gold, "--pred", pred) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.err.startswith("error:")
    assert len(captured.err.strip().splitlines()) == 1
    assert re.search(message, captured.err)


@pytest.mark.parametrize(
    "args",
    [
        ("--task", "sentiment", "--gold", "g.txt", "--pred", "p.txt"),
        ("--task", "genre", "--pred", "p.txt"),
        ("--task", "genre", "--gold", "g.txt", "--pred", "p.txt", "--bogus"),
    ],
    ids=["bad-task", "missing-gold", "unknown-option"],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    assert evaluate(*args) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
