"""Files that readers may look at while they are written: replaced whole, or read up to their last line.

- :func:`replaced_atomically` and :func:`write_atomically`: a new version is written beside
  the file (or directory) and renamed onto it, so a reader, or a run killed half-way, sees
  the old version or the new one, never half of one.
- :func:`write_text` writes a UTF-8 file an export or report asked for, with a one-line
  :class:`~unspin.errors.InputError` where it cannot.
- :func:`complete_end`, :func:`complete_lines` and :func:`drop_partial_last_line`: JSON Lines
  files are appended a line at a time; a reader streams the lines written to their end, and
  a resumed run cuts off the line a killed one left half-written.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "complete_end",
    "complete_lines",
    "drop_partial_last_line",
    "replaced_atomically",
    "write_atomically",
    "write_text",
]

_CHUNK = 1 << 16


@contextmanager
def replaced_atomically(path: Path) -> Iterator[Path]:
    """A fresh path beside ``path`` to write to; it replaces ``path`` when the block ends without error.

    On an error it is removed and ``path`` is left as it was. A directory replaces a
    directory (the old one is removed first: that step alone is not atomic).
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")  # unique across threads and processes
    try:
        yield tmp
        if tmp.is_dir() and path.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace ``path`` by ``data`` (text as UTF-8) in one step."""
    with replaced_atomically(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def write_text(path: str | Path, text: str, what: str = "") -> None:
    """Write ``text`` to ``path`` as UTF-8, newlines as given; an InputError says why it cannot.

    ``what`` names the content in the message ("the dashboard"). A lone surrogate (text
    decoded with ``surrogateescape``) cannot be UTF-8, and says where it is.
    """
    from .errors import InputError, where

    try:
        Path(path).write_text(text, encoding="utf-8", newline="")
    except UnicodeEncodeError as exc:
        raise InputError(f"{where(path)}the text has a lone surrogate at {exc.start}; it cannot be UTF-8") from exc
    except OSError as exc:
        raise InputError(f"{where(path)}cannot write{' ' + what if what else ''}: {exc.strerror or exc}") from exc


def complete_end(path: Path) -> int:
    """The size of ``path`` up to its last newline (0 for a missing file)."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        return 0
    with stream:
        position = stream.seek(0, os.SEEK_END)
        while position > 0:
            start = max(0, position - _CHUNK)
            stream.seek(start)
            newline = stream.read(position - start).rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            position = start
    return 0


def complete_lines(path: Path) -> Iterator[bytes]:
    """The lines of ``path`` written to their end (a line being appended is left out)."""
    if not path.is_file():
        return
    with path.open("rb") as stream:
        for line in stream:
            if not line.endswith(b"\n"):
                return
            yield line


def drop_partial_last_line(path: Path) -> bool:
    """Truncate ``path`` after its last newline; True if something was cut."""
    keep = complete_end(path)
    if keep == path.stat().st_size:
        return False
    with path.open("r+b") as stream:
        stream.truncate(keep)
    return True
