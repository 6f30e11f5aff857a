"""`unspin train --quick` end to end on the real data (skipped where ../shared/data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import unspin
from unspin.cli import main

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2023"
pytestmark = [
    pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data (not part of the repository)"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def quick_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train") / "bundle"
    assert main(["train", "--data", str(DATA), "--out", str(out), "--quick", "--device", "cpu"]) == 0
    return out


def test_quick_training_writes_a_complete_bundle(quick_bundle: Path) -> None:
    assert {p.name for p in quick_bundle.iterdir()} == {
        "meta.json",
        "network.safetensors",
        "heads.safetensors",
        "README.md",
    }
    meta = json.loads((quick_bundle / "meta.json").read_text())
    assert set(meta["thresholds"]) == {"technique", "span", "frame"}
    assert set(meta["metrics"]) == {"frames", "genre", "views", "calibration"}
    assert set(meta["decoding"]) >= {"segment", "technique_curve", "span_curve", "floor"}
    curve = meta["decoding"]["technique_curve"]
    assert curve["x"] == sorted(curve["x"]) and curve["y"] == sorted(curve["y"])  # monotone
    assert set(meta["data"]["languages"]) == {"en", "fr", "ge", "it", "po", "ru"}
    assert meta["training"]["device"] == "cpu"  # where the fit ran ("auto" resolved)


def test_quick_bundle_analyses(quick_bundle: Path) -> None:
    analysis = unspin.load(quick_bundle)("date 2022-03-11 They lie.\n\nThe corrupt elite will never win!")
    assert analysis.article.date is not None and len(analysis.paragraphs) == 2


def test_rerun_resumes_from_the_checkpoint(quick_bundle: Path, caplog: pytest.LogCaptureFixture) -> None:
    work = quick_bundle.with_name(quick_bundle.name + ".work")
    assert (work / "checkpoint.pt").is_file() and (work / "fitted.pt").is_file()
    with caplog.at_level("INFO", logger="unspin.train"):
        assert main(["train", "--data", str(DATA), "--out", str(quick_bundle), "--quick"]) == 0
    assert "loaded the fitted network" in caplog.text  # no second fit: only decoding and heads are refitted


def test_bad_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "b"), "--quick"]) == 1
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "b"), "--quick"]) == 1
    assert "Traceback" not in capsys.readouterr().err
