"""Files under the data directory, named only by ids the server makes (never by user input)."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from ..files import write_atomically

_ID = re.compile(r"^[0-9a-f]{32}$")


def new_id() -> str:
    """A random, unguessable id: 128 bits as 32 hex digits."""
    return secrets.token_hex(16)


def is_id(value: str) -> bool:
    return bool(_ID.match(value))


def write_json_atomically(path: Path, data: Any) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    write_atomically(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


class AnalysisStore:
    """Analyses kept for their permalinks: ``<data dir>/analyses/<id>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = root / "analyses"
        self.root.mkdir(parents=True, exist_ok=True)

    def save(self, document: dict[str, Any]) -> str:
        analysis_id = new_id()
        write_json_atomically(self.root / f"{analysis_id}.json", document)
        return analysis_id

    def load(self, analysis_id: str) -> bytes | None:
        """The stored JSON, or ``None`` for an unknown (or malformed) id."""
        if not is_id(analysis_id):
            return None
        try:
            return (self.root / f"{analysis_id}.json").read_bytes()
        except FileNotFoundError:
            return None
