"""Start-up: what a fresh `unspin analyze` imports, and the caches that spare re-parsing models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import unspin
from unspin import language
from unspin.config import SHIPPED_MODEL_DIR
from unspin.model import windows
from unspin.model.e5 import e5_small_dir

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [
    "The government announced new sanctions on Tuesday.",
    "Правительство объявило о новых санкциях.",
    "Le gouvernement a annoncé mardi de nouvelles sanctions.",
    "ABC 123 !!!",
]


def test_analyze_imports_only_what_one_article_needs() -> None:
    code = (
        "import sys\n"
        "from unspin.cli import main\n"
        "main(['analyze', sys.argv[1], '--format', 'json'])\n"
        "heavy = ('torch._dynamo', 'sympy', 'jinja2', 'sqlalchemy', 'httpx', 'trafilatura', 'sklearn', 'scipy',\n"
        "         'fastapi', 'dask', 'pyarrow')\n"
        "print(' '.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    article = ROOT / "examples" / "article-en.txt"
    result = subprocess.run(
        [sys.executable, "-c", code, str(article)], check=False, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_the_command_line_loads_no_schema_or_database_library_before_a_command_needs_it() -> None:
    code = "import sys, unspin.cli; print(' '.join(m for m in ('pydantic', 'sqlalchemy', 'torch') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == ""


def test_import_unspin_leaves_renderers_and_torch_for_later() -> None:
    code = "import sys, unspin; print(' '.join(m for m in ('torch', 'jinja2') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == ""


def test_version_names_unspin_and_the_default_model_without_loading_torch(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom unspin.cli import main\nmain(['--version'])\nprint('torch' in sys.modules, file=sys.stderr)"
    )
    shipped = {k: v for k, v in os.environ.items() if k != "UNSPIN_MODEL"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=shipped)
    meta = json.loads((SHIPPED_MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    assert result.stdout.startswith(f"unspin {unspin.__version__} (Python ")
    assert f"default model: {meta['name']} {meta['version']} at {SHIPPED_MODEL_DIR}" in result.stdout
    assert result.stderr.strip() == "False"

    elsewhere = {**shipped, "UNSPIN_MODEL": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "unspin", "--version"], capture_output=True, text=True, timeout=60, env=elsewhere
    )
    assert result.returncode == 0
    assert result.stdout.strip().endswith(f"default model: none readable at {tmp_path}")


def test_language_model_is_decompressed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import py3langid

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    language._load_identifier.cache_clear()
    try:
        first = [language._identifier().classify(s) for s in SAMPLES]
        assert len(list(tmp_path.glob("py3langid-*.npz"))) == 1
        language._load_identifier.cache_clear()
        assert [language._identifier().classify(s) for s in SAMPLES] == first
        assert first == [py3langid.classify(s) for s in SAMPLES]
    finally:
        language._load_identifier.cache_clear()


def test_language_model_without_a_writable_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import py3langid

    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(blocked / "cache"))
    language._load_identifier.cache_clear()
    try:
        assert [language._identifier().classify(s) for s in SAMPLES] == [py3langid.classify(s) for s in SAMPLES]
    finally:
        language._load_identifier.cache_clear()


def test_tokenizer_is_parsed_once_per_process() -> None:
    path = e5_small_dir() / "tokenizer.json"
    first, second = windows.Tokenizer(path), windows.Tokenizer(str(path))
    assert first._tokenizer is second._tokenizer
    assert first.tokenize(SAMPLES)[1].ids.tolist() == second.tokenize(SAMPLES)[1].ids.tolist()
