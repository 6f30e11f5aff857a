"""Atomic replacement and complete-line reading (unspin.files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from unspin.errors import InputError
from unspin.files import complete_end, complete_lines, replaced_atomically, write_atomically, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomically(target, '{"v": 1}')

    def killed_half_way() -> None:
        with replaced_atomically(target) as tmp:
            tmp.write_text('{"v": 2, "half')
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        killed_half_way()
    assert target.read_text() == '{"v": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_directory_replaces_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with replaced_atomically(target) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_only_lines_written_to_their_end_are_read(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    assert complete_end(path) == 0 and list(complete_lines(path)) == []
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": ')
    assert complete_end(path) == len(b'{"a": 1}\n{"b": 2}\n')
    assert list(complete_lines(path)) == [b'{"a": 1}\n', b'{"b": 2}\n']
    path.write_bytes(b"x" * 200_000)  # no newline at all, longer than one read
    assert complete_end(path) == 0


def test_write_text_keeps_newlines_and_says_why_it_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    write_text(path, "a\r\nb\n")
    assert path.read_bytes() == b"a\r\nb\n"
    with pytest.raises(InputError, match=r"^.*missing/out\.txt: cannot write the report: No such file or directory$"):
        write_text(tmp_path / "missing" / "out.txt", "x", "the report")
    with pytest.raises(InputError, match=r"out\.txt: the text has a lone surrogate at 2; it cannot be UTF-8$"):
        write_text(path, "ab\udcff")
