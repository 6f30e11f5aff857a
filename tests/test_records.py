"""JSON Lines records that break Python's decoder fail one line each, in every reader that parses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from _hostile_records import DEEP_ARRAY, HUGE_INTEGER, hostile_lines
from unspin.batch import load_done_hashes
from unspin.errors import InputError
from unspin.formats.inputs import read_documents
from unspin.formats.records import parse_json_line


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f'{{"id": {HUGE_INTEGER}}}', "a number with too many digits"),
        (DEEP_ARRAY, "nested too deeply"),
        ('{"id": 1,', "Expecting property name"),
        (b'{"text": "\xff"}', "'utf-8' codec can't decode byte 0xff in position 10"),
    ],
)
def test_parse_json_line_turns_every_decoder_error_into_an_input_error(line: str | bytes, problem: str) -> None:
    with pytest.raises(InputError, match="not valid JSON") as raised:
        parse_json_line(line)
    assert problem in str(raised.value)


def test_a_hostile_record_fails_its_line_and_the_others_are_read(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(hostile_lines()) + "\n", encoding="utf-8")
    documents = list(read_documents([str(path)]))
    assert [(d.name.rsplit(":", 1)[1], d.ok) for d in documents] == [
        ("1", True),
        ("2", False),
        ("3", True),
        ("4", False),
        ("5", True),
    ]
    assert "too many digits" in str(documents[1].reason)
    assert "nested too deeply" in str(documents[3].reason)


def test_resuming_ignores_a_hostile_line_in_the_output(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(DEEP_ARRAY + "\n" + f'{{"article": {{"id": {HUGE_INTEGER}}}}}\n', encoding="utf-8")
    assert load_done_hashes(path) == set()
