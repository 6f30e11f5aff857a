"""A plain wheel carries the shipped model, so `pip install .` (not editable) analyses anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import unspin
from unspin.config import default_model_path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE_FILES = {"meta.json", "network.safetensors", "heads.safetensors", "README.md"}


def test_the_default_model_lives_inside_the_package(monkeypatch) -> None:
    monkeypatch.delenv("UNSPIN_MODEL", raising=False)
    assert default_model_path().is_relative_to(Path(unspin.__file__).parent)
    assert {p.name for p in default_model_path().iterdir()} >= BUNDLE_FILES


def test_the_wheel_carries_the_model(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("unspin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"unspin/models/unspin-e5-small/{name}" for name in BUNDLE_FILES} <= names
    assert not any(name.startswith(("tests/", "runs/")) for name in names)
