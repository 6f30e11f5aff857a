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

from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from _live_server import LiveServer

pytestmark = pytest.mark.slow  # a live server under hundreds of generated requests

MAX_EXAMPLES = 20  # per operation: the whole run stays well under a minute on 2 cores
UNREACHABLE_URL = "http://127.0.0.1:9/"  # refused before connecting: the server blocks loopback addresses


@pytest.fixture(scope="module")
def fuzz_server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("fuzz-server")
    with LiveServer(
        "--model",
        str(model_path),
        "--rate-limit",
        "off",
        "--db",
        str(root / "corpus.db"),
        data_dir=root / "data",
        log_path=root / "server.log",
    ) as live:
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


EXTREME_DATES = ("0001-01-01", "9999-12-31", "9999-12-01", "1000-01-01", "9000-12-31")
EXTREME_INTEGERS = ("9223372036854775808", "99999999999999999999999", "-1", "0")


def _get_operations() -> list[tuple[str, list[dict[str, Any]]]]:
    return [(path, item["get"].get("parameters", [])) for path, item in SPEC["paths"].items() if "get" in item]


def test_extreme_dates_and_integers_are_client_errors(fuzz_server: LiveServer) -> None:
    """Dates at the ends of the calendar and integers past 64 bits, in every GET route that takes them."""
    import httpx

    asked = 0
    with httpx.Client(base_url=fuzz_server.url, timeout=60) as http:
        for path, parameters in _get_operations():
            integer_paths = [
                p["name"] for p in parameters if p["in"] == "path" and p["schema"].get("type") == "integer"
            ]
            filled = path
            for p in parameters:
                if p["in"] == "path" and p["name"] not in integer_paths:
                    filled = filled.replace("{" + p["name"] + "}", "0" * 32)
            for name in integer_paths:
                for value in EXTREME_INTEGERS:
                    response = http.get(filled.replace("{" + name + "}", value))
                    assert response.status_code < 500, (path, value, response.text)
                    asked += 1
            dates = [p["name"] for p in parameters if p["in"] == "query" and "date" in p["name"]]
            for value in EXTREME_DATES:
                for query in [{name: value} for name in dates] + ([dict.fromkeys(dates, value)] if dates else []):
                    response = http.get(filled, params=query)
                    assert response.status_code < 500, (path, query, response.text)
                    asked += 1
    assert asked > 20
