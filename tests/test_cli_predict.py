"""`unspin predict` writes official files that `unspin evaluate` scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from unspin.cli import main
from unspin.formats import semeval

ARTICLES = {
    "101": "Title one\r\n\r\nThe corrupt elite lies to you every day!\r\n\r\nThey are traitors and puppets.",
    "102": "\ufeffA calm report\n\nThe council met on Tuesday and approved the budget.\n",
}


@pytest.fixture
def article_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for article_id, text in ARTICLES.items():
        (folder / f"article{article_id}.txt").write_bytes(text.encode("utf-8"))
    return folder


@pytest.mark.parametrize("task", ["techniques", "frames", "genre"])
def test_predict_then_evaluate(model_path: Path, article_dir: Path, tmp_path: Path, task: str) -> None:
    pred = tmp_path / f"pred-{task}.txt"
    assert main(["predict", "--task", task, str(article_dir), "--output", str(pred), "--model", str(model_path)]) == 0
    assert main(["evaluate", "--task", task, "--gold", str(pred), "--pred", str(pred)]) == 0


def test_technique_rows_follow_the_official_line_numbers(model_path: Path, article_dir: Path, tmp_path: Path) -> None:
    pred = tmp_path / "pred.txt"
    assert main(["predict", "--task", "techniques", str(article_dir), "-o", str(pred), "--model", str(model_path)]) == 0
    assert set(semeval.read_technique_labels(pred)) == {("101", 1), ("101", 3), ("101", 5), ("102", 1), ("102", 3)}


def test_empty_directory_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--task", "genre", str(tmp_path), "-o", str(tmp_path / "p.txt")]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_output_over_an_article_is_refused(article_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = article_dir / "article101.txt"
    before = article.read_bytes()
    assert main(["predict", "--task", "genre", str(article_dir), "-o", str(article)]) == 2
    assert f"is the input {article}" in capsys.readouterr().err
    assert article.read_bytes() == before
