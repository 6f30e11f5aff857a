"""A plain wheel carries the shipped model, so `pip install .` (not editable) analyses anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_a_plain_install_analyses_from_anywhere(tmp_path: Path) -> None:
    """`pip install` of the wheel (not editable), then `unspin analyze` in another directory finds the model."""
    import site
    import sysconfig

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = (tmp_path / "dist").glob("unspin-*.whl")
    installed = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(installed), str(wheel)],
        check=True,
        capture_output=True,
    )
    # The dependencies come from this environment's site-packages; its editable unspin does not
    # (a .pth file, which PYTHONPATH entries do not run), so `import unspin` finds the wheel's copy.
    dependencies = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "some.txt").write_text("They lie to you every day, and the traitors in parliament help them.\n")
    env = {k: v for k, v in os.environ.items() if k != "UNSPIN_MODEL"}
    env["PYTHONPATH"] = os.pathsep.join([str(installed), *dependencies])
    code = "import sys, unspin; from unspin.cli import main; print(unspin.__file__, file=sys.stderr); main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "analyze", "some.txt", "--format", "json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(str(installed)), result.stderr  # the installed copy, not this checkout
    assert json.loads(result.stdout)["model"]["name"] == "unspin-e5-small"
