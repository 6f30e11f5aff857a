"""JSON Lines records that break Python's decoder, between good ones, shared by the reader and CLI tests."""

from __future__ import annotations

import json

HUGE_INTEGER = "1" * 5000  # over Python's int-from-string limit: ValueError
DEEP_ARRAY = "[" * 50_000 + "]" * 50_000  # RecursionError in the decoder


def hostile_lines() -> list[str]:
    good = [json.dumps({"id": f"g{i}", "text": f"The ministers met on Tuesday, meeting {i}."}) for i in range(3)]
    return [
        good[0],
        f'{{"id": {HUGE_INTEGER}, "text": "x"}}',
        good[1],
        f'{{"text": "x", "tags": {DEEP_ARRAY}}}',
        good[2],
    ]
