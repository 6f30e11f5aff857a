"""Bytes to text: every reader decodes here, whole files, HTML pages and streams of records alike.

UTF-8 is tried first (its BOM kept as U+FEFF, so offsets match other tools); other
encodings are detected, or given. Binary and undecodable input raise
:class:`~unspin.errors.InputError`, never mojibake.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path
from typing import IO, Any

from ..errors import InputError, where

__all__ = ["check_decoded", "decode_bytes", "decode_html", "read_text", "sniff_encoding", "text_lines"]

# charset-normalizer's "chaos" often ties between single-byte code pages, and its first
# pick turns latin-1 French into Baltic ("très" -> "trčs"). Near-ties are settled by
# symbols stuck to letters ("Rz¹d" is Polish read as cp1252), then in favour of
# windows-1252 (latin-1's printable superset, the most common legacy encoding).
_PREFERRED_LEGACY_ENCODING = "cp1252"
_NEAR_TIE_CHAOS = 0.05
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Browsers read pages declared as latin-1 or ASCII as windows-1252 (the WHATWG encoding standard).
_WEB_ALIASES = dict.fromkeys(("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"), "cp1252")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that surrogateescape kept aside
_SNIFF_BYTES = 1 << 20


# ---------------------------------------------------------------------------- whole documents


def decode_bytes(data: bytes, *, name: str = "<input>", encoding: str = "auto") -> tuple[str, str]:
    """Decode article bytes, returning ``(text, encoding)``.

    UTF-8 (with its BOM kept as U+FEFF, so offsets match other tools) is tried first;
    with ``encoding="auto"`` UTF-16, cp1251, koi8-r, latin-1 and others are detected.
    Binary and undecodable input raise :class:`InputError`, never mojibake.

    Examples
    --------
    >>> decode_bytes("Привет, мир.".encode("cp1251"), encoding="cp1251")
    ('Привет, мир.', 'cp1251')
    """
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise InputError(f"{where(name)}the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(data, "utf-16", name), "utf-16"
    if encoding not in ("auto", "utf-8", "utf8"):
        return _decode_as(data, encoding, name), encoding
    try:
        return _reject_binary(data.decode("utf-8"), name), "utf-8"
    except UnicodeDecodeError as exc:
        if encoding != "auto":
            raise InputError(
                f"{where(name)}not valid UTF-8 (byte {exc.start}); convert it or give its encoding"
            ) from exc
    return _detect_and_decode(data, name)


def read_text(path: str | Path, *, encoding: str = "auto") -> tuple[str, str]:
    """Read a text file without newline translation, returning ``(text, encoding)``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise InputError(f"{where(path)}is a directory, expected a file") from exc
    except OSError as exc:
        raise InputError(f"{where(path)}cannot read: {exc.strerror or exc}") from exc
    return decode_bytes(data, name=str(path), encoding=encoding)


def decode_html(data: bytes, charset: str | None, encoding: str, name: str) -> tuple[str, str]:
    """A web page's ``(text, encoding)``: valid UTF-8 wins (declarations are often wrong), then the
    declared charset (``charset`` from an HTTP header, else a ``<meta charset>``), then detection."""
    declared = charset or _meta_charset(data)
    if encoding == "auto" and declared and _known_codec(declared):
        try:
            return decode_bytes(data, name=name, encoding="utf-8")
        except InputError:
            encoding = _WEB_ALIASES.get(declared.lower(), declared)
    return decode_bytes(data, name=name, encoding=encoding)


def _decode_as(data: bytes, encoding: str, name: str) -> str:
    try:
        return _reject_binary(data.decode(encoding), name)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"{where(name)}cannot decode as {encoding}: {exc}") from exc


def _detect_and_decode(data: bytes, name: str) -> tuple[str, str]:
    if b"\x00" in data:
        raise InputError(f"{where(name)}looks like a binary file, not text")
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.chaos > 0.3:
        raise InputError(f"{where(name)}cannot tell the text encoding; convert the file to UTF-8")
    tied = [m for m in matches if m.chaos <= best.chaos + _NEAR_TIE_CHAOS]
    preferred = _PREFERRED_LEGACY_ENCODING
    chosen = min(tied, key=lambda m: (_symbols_touching_letters(str(m)), preferred not in m.could_be_from_charset))
    encoding = preferred if preferred in chosen.could_be_from_charset else chosen.encoding
    return _reject_binary(str(chosen), name), encoding


def _symbols_touching_letters(text: str) -> int:
    return sum(
        1
        for before, char, after in zip(" " + text, text, text[1:] + " ", strict=False)
        if char >= "\x80" and not char.isalpha() and (before.isalpha() or after.isalpha())
    )


def _reject_binary(text: str, name: str) -> str:
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\v")
    if "\x00" in sample or controls > max(8, len(sample) // 100):
        raise InputError(f"{where(name)}looks like a binary file, not text")
    return text


def _meta_charset(data: bytes) -> str | None:
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


# ---------------------------------------------------------------------------- streams of records


def text_lines(name: str, stream: IO[bytes], encoding: str, *, newline: str, close: bool) -> tuple[IO[str], str]:
    """A text view of ``stream`` in its sniffed (or given) encoding, and that encoding.

    Undecodable bytes become U+DC80..U+DCFF, so one bad record fails alone
    (:func:`check_decoded`). ``newline`` is :class:`io.TextIOWrapper`'s; closing the view
    closes ``stream`` only when ``close``.
    """
    head = stream.read(_SNIFF_BYTES)
    used = sniff_encoding(head, encoding, name)
    replay = io.BufferedReader(_Prepend(head, stream, close))
    return io.TextIOWrapper(replay, encoding=used, errors="surrogateescape", newline=newline), used


def sniff_encoding(head: bytes, encoding: str, name: str) -> str:
    """The encoding of a stream that starts with ``head``: ``encoding`` unless it is ``auto``."""
    if encoding != "auto":
        return encoding
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _mostly_utf8(head):
        return "utf-8"
    return decode_bytes(head, name=name)[1]


def check_decoded(text: str, encoding: str) -> None:
    """Refuse a record holding bytes that ``encoding`` could not decode."""
    if _UNDECODABLE.search(text):
        raise InputError(f"not valid {encoding} text; convert it to UTF-8 or give --encoding")


def _mostly_utf8(head: bytes) -> bool:
    """UTF-8 with a few bad bytes (one corrupt record) is still UTF-8: each bad record fails alone.

    Legacy code pages almost never form valid multi-byte UTF-8 sequences by chance.
    """
    if len(head) == _SNIFF_BYTES:
        head = head[: head.rfind(b"\n") + 1] or head[:-3]  # no character cut in two at the end
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid = sum(1 for char in text if char > "\x7f") - bad
    return bad == 0 or valid > bad


class _Prepend(io.RawIOBase):
    """A raw stream that replays ``head`` and then continues with ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes], close_rest: bool) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self._close_rest = close_rest

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._close_rest and not self.closed:
            self._rest.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
