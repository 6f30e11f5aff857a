"""Shared fixtures: the model bundle (``$UNSPIN_MODEL`` or the shipped one) and an Analyzer on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from unspin.analyzer import Analyzer


def pytest_configure(config: pytest.Config) -> None:
    """Keep the tests' corpus store out of the user's data directory (commands and servers read $UNSPIN_DB),
    and the interface in English whatever the developer's locale (tests of other languages ask for them)."""
    import tempfile

    os.environ["UNSPIN_UI_LANGUAGE"] = "en"
    os.environ["UNSPIN_DB"] = str(Path(tempfile.mkdtemp(prefix="unspin-tests-")) / "corpus.db")


# Markers follow from what a test needs, so `pytest -m "not browser and not postgres"` is a
# quick local run; `slow` is set by hand on tests that start servers, train or kill processes.


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("store_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The bundle the tests analyse with; skips the test where none is built yet."""
    from unspin.config import default_model_path

    path = default_model_path()
    if not (path / "meta.json").is_file():
        pytest.skip(f"no model bundle at {path} (set UNSPIN_MODEL or run `unspin train`)")
    return path


@pytest.fixture(scope="session")
def analyzer(model_path: Path) -> Analyzer:
    import unspin

    return unspin.load(model_path)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the browser tests; they skip where Playwright or Chromium is missing."""
    from _browser import CHROMIUM, CHROMIUM_ARGS, require_browser

    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


# The store tests run on SQLite always and on PostgreSQL where UNSPIN_TEST_POSTGRES_URL
# names a database the tests may wipe (.ci/run starts one on loopback and sets it).
POSTGRES_ENV = "UNSPIN_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty corpus database of each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "corpus.db")
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run the store tests on PostgreSQL too")
    _wipe_postgres(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Any]:
    from unspin.store import Store

    with Store(store_url) as opened:
        yield opened


def _wipe_postgres(url: str) -> None:
    import sqlalchemy as sa

    from unspin.store.db import database_url

    engine = sa.create_engine(database_url(url))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
