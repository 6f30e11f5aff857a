"""What every reader yields and takes: :class:`Document` and :class:`ReadOptions`, with the helpers they share.

A reader turns each input into documents: the article, or the reason it could not be
read, under a name saying where it came from. A bad file, line, row, page or feed item
becomes a failed document and never stops the stream.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import lzma
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..article import Article
from ..errors import InputError, where
from .decode import decode_bytes, text_lines
from .registry import InputFormat

if TYPE_CHECKING:
    from .web import Fetcher

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_GLOBS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "Document",
    "ReadOptions",
    "parse_field_overrides",
]

DEFAULT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "text": ("text", "content", "body"),
    "id": ("id",),
    "title": ("title",),
    "date": ("date",),
    "source": ("source",),
    "url": ("url",),
    "language": ("language", "lang"),
}
DEFAULT_GLOBS = ("*.txt",)
DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_TIMEOUT = 20.0
# What reading a file that breaks off raises: a truncated or corrupt compressed file (read
# through fsspec by a cluster run), a lost connection.
BROKEN_STREAM = (OSError, EOFError, zlib.error, lzma.LZMAError)

Source = IO[bytes] | Callable[[], IO[bytes]]
"""What a stream reader reads: an open stream (stdin, left open) or a function opening one (closed after)."""
LineParser = Callable[[str, IO[str], str, "ReadOptions", "Fetcher"], Iterator["Document"]]


@dataclass(frozen=True, slots=True)
class Document:
    """One input document: where it came from, and the article or why it could not be read.

    Examples
    --------
    >>> Document("notes.txt", reason="the file is empty").message
    'notes.txt: the file is empty'
    """

    name: str
    article: Article | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.article is not None

    @property
    def message(self) -> str:
        """``name: reason``, the one line reported for a failed document."""
        return f"{where(self.name)}{self.reason}"

    def unwrap(self) -> Article:
        """The article, or :class:`InputError` with :attr:`message`."""
        if self.article is None:
            raise InputError(self.message)
        return self.article


@dataclass(frozen=True)
class ReadOptions:
    """How inputs are read; every reader takes one.

    Parameters
    ----------
    input_format : {"auto", "text", "jsonl", "csv", "parquet", "html", "urls"}
        ``auto`` picks by file suffix (see :mod:`unspin.formats.inputs`); ``urls`` reads a
        list of URLs, one a line (``#`` starts a comment).
    encoding : str
        ``auto`` detects it; anything else is the codec every file is decoded with.
    globs : tuple of str
        Patterns of the file names read from directories.
    fields : mapping
        Field key (``text``, ``id``, ``title``, ``date``, ``source``, ``url``, ``language``)
        to the JSONL keys or CSV columns tried for it, first match wins.
    max_bytes : int
        Largest article file, page or record read.
    timeout : float
        Seconds allowed for one HTTP request, download included.
    exclude : frozenset of Path
        Resolved paths never read from directories (the run's own output files).
    allow_private_addresses : bool
        Whether URLs may point at loopback, private, link-local or other non-public
        addresses. A server fetching its users' URLs turns this off: every address a host
        resolves to is then checked when connecting (redirects included), and the
        connection goes to the address that was checked.
    records : range, optional
        Read only these records (0-based; blank lines and rows are not records) of each
        JSONL, CSV or Parquet file: one partition of a large file in a cluster run.
    """

    input_format: InputFormat = "auto"
    encoding: str = "auto"
    globs: tuple[str, ...] = DEFAULT_GLOBS
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = DEFAULT_TIMEOUT
    exclude: frozenset[Path] = frozenset()
    allow_private_addresses: bool = True
    records: range | None = None


def parse_field_overrides(overrides: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Field names from ``KEY=NAME`` strings over :data:`DEFAULT_FIELDS`.

    Examples
    --------
    >>> parse_field_overrides(["text=story", "id=doc_id"])["text"]
    ('story',)
    """
    fields = dict(DEFAULT_FIELDS)
    for override in overrides:
        key, sep, name = (part.strip() for part in override.partition("="))
        if not sep or not name or key not in fields:
            raise InputError(f"--field {override!r}: expected KEY=NAME with KEY one of {', '.join(fields)}")
        fields[key] = (name,)
    return fields


# ---------------------------------------------------------------------------- shared by the readers


def read_text_document(name: str, data: bytes, options: ReadOptions, **metadata: Any) -> Article:
    """A plain-text article, with or without a ``date YYYY-MM-DD`` header."""
    text, used = decode_bytes(data, name=name, encoding=options.encoding)
    return with_encoding(Article.from_text(text, **metadata), used)


def read_lines(
    name: str, source: Source, options: ReadOptions, fetcher: Fetcher, parse: LineParser, *, newline: str = "\n"
) -> Iterator[Document]:
    """The documents ``parse`` finds in the decoded lines of ``source``; a file that cannot be read,
    or breaks off, is one failed document more."""
    try:
        stream = source() if callable(source) else source
        lines, encoding = text_lines(name, stream, options.encoding, newline=newline, close=callable(source))
    except (*BROKEN_STREAM, InputError) as exc:
        yield Document(name, reason=reason(exc, name))
        return
    with lines:
        try:
            yield from parse(name, lines, encoding, options, fetcher)
        except BROKEN_STREAM as exc:
            yield Document(name, reason=f"the file breaks off: {reason(exc, name)}")


def document(name: str, make: Callable[..., Article], *args: Any) -> Document:
    """The document ``make(*args)`` builds, or the reason it could not.

    Besides :class:`InputError`, any ValueError or RecursionError that hostile input
    provokes fails this document only, never the stream.
    """
    try:
        return Document(name, article=make(*args))
    except InputError as exc:
        return Document(name, reason=reason(exc, name))
    except (ValueError, RecursionError) as exc:
        return Document(name, reason=f"cannot read ({type(exc).__name__}: {exc})")


def reason(exc: Exception, name: str) -> str:
    """The message without a location prefix: the document's name is reported beside it."""
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return str(exc).removeprefix(where(name))


def with_encoding(article: Article, encoding: str) -> Article:
    """Record a non-UTF-8 source encoding in ``meta`` (UTF-8, the norm, is not recorded)."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return article
    return article.with_metadata(meta={**article.meta, "encoding": encoding})


def parse_date(value: str | None) -> tuple[dt.date | None, str | None]:
    """``(date, None)`` for ISO 8601 and RFC 2822 dates, ``(None, value)`` for anything else."""
    if value is None:
        return None, None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date(), None
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date(), None
    except (TypeError, ValueError, IndexError):
        return None, value


# ---------------------------------------------------------------------------- size caps


def open_capped(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path``; :class:`InputError` when it cannot be read or holds over ``max_bytes``."""
    try:
        with path.open("rb") as stream:
            return read_capped(stream, max_bytes)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from exc


def read_capped(stream: IO[bytes], max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"larger than the {size(max_bytes)} limit for one article; split it or raise --max-size")
    return data


def size(n_bytes: float) -> str:
    """A size for messages: ``10 MiB``, ``512 KiB``."""
    return f"{n_bytes / 2**20:.3g} MiB" if n_bytes >= 2**20 else f"{n_bytes / 2**10:.3g} KiB"
