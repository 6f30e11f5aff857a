"""Shared fixtures: the model bundle (``$UNSPIN_MODEL`` or the shipped one) and an Analyzer on it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from unspin.analyze import Analyzer


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The bundle the tests analyse with; skips the test where none is built yet."""
    from unspin.analyze import default_model_path

    path = default_model_path()
    if not (path / "meta.json").is_file():
        pytest.skip(f"no model bundle at {path} (set UNSPIN_MODEL or run `unspin train`)")
    return path


@pytest.fixture(scope="session")
def analyzer(model_path: Path) -> Analyzer:
    import unspin

    return unspin.load(model_path)
