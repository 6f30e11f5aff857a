"""`unspin calibrate` on bad input: one clear line and exit code 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from unspin.cli import main


def test_missing_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["calibrate", "--model", str(tmp_path), "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err
    assert code == 1 and "no such data directory" in err and "Traceback" not in err


def test_folder_that_is_not_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["calibrate", "--model", str(tmp_path), "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "not a model bundle" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
