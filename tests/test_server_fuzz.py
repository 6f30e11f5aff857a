"""Property-based fuzz of the live API from its own OpenAPI schema: no input may cause a 5xx."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
schemathesis = pytest.importorskip("schemathesis")

from _live_server import LiveServer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

MAX_EXAMPLES = 20  # per operation: the whole run stays well under a minute on 2 cores
UNREACHABLE_URL = "http://127.0.0.1:9/"  # refused before connecting: the server blocks loopback addresses


@pytest.fixture(scope="module")
def fuzz_server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("fuzz-server")
    with LiveServer("--model", str(model_path), "--rate-limit", "off", "--db", str(root / "corpus.db"),
                    data_dir=root / "data", log_path=root / "server.log") as live:
        yield live


def _openapi_spec() -> dict[str, Any]:
    """The app's schema, built in-process at collection (no model is loaded for it)."""
    from unspin.server import Settings, create_app

    return create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="unspin-openapi-")))).openapi()


SPEC = _openapi_spec()
# schemathesis.pytest.from_fixture would load the schema from the live server, but it does not
# run on pytest 9; the live server's schema is checked to be this one instead.
schema = schemathesis.openapi.from_dict(SPEC)


def test_the_live_server_serves_the_fuzzed_schema(fuzz_server: LiveServer) -> None:
    import httpx

    assert httpx.get(f"{fuzz_server.url}/openapi.json").json() == json.loads(json.dumps(SPEC))


def keep_fetches_on_this_machine(case: Any) -> None:
    """Generated URLs would make the server resolve and fetch arbitrary hosts: point them at a blocked one."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("url"), str):
        body["url"] = UNREACHABLE_URL
    if isinstance(body, dict) and isinstance(body.get("urls"), list):
        body["urls"] = [UNREACHABLE_URL if isinstance(url, str) else url for url in body["urls"]]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case: Any, fuzz_server: LiveServer) -> None:
    keep_fetches_on_this_machine(case)
    case.call_and_validate(base_url=fuzz_server.url, checks=[not_a_server_error], timeout=60)
