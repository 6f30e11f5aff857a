"""The web: fetching http(s) URLs (guarded against non-public addresses), web pages' main text, URL lists.

A fetch has a time limit, a size cap and at most :data:`MAX_REDIRECTS` redirects. With
``ReadOptions(allow_private_addresses=False)`` (a server fetching its users' URLs) every
connection, redirects included, goes to an address :func:`public_address` has checked.
HTML pages go through main-text extraction (trafilatura); ``text/plain`` is read as text.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..article import Article
from ..errors import InputError
from .decode import decode_bytes, decode_html
from .documents import (
    Document,
    ReadOptions,
    Source,
    document,
    parse_date,
    read_lines,
    size,
    with_encoding,
)
from .registry import INPUT_FORMATS

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MAX_REDIRECTS",
    "Fetched",
    "Fetcher",
    "article_from_fetched",
    "article_from_html",
    "fetch_article",
    "is_url",
    "looks_like_html",
    "public_address",
    "read_url_list",
]

MAX_REDIRECTS = 5
MIN_MAIN_TEXT_WORDS = 15  # below this an HTML page's "main text" is menus or a JavaScript notice
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<\?xml[^>]*>\s*<html)", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_USER_AGENT = "unspin (article analysis; +https://pypi.org/project/unspin/)"


def is_url(raw: str) -> bool:
    return bool(_URL_SCHEME.match(raw))


def looks_like_html(data: bytes) -> bool:
    """Whether a document's first bytes open an HTML page."""
    return bool(_HTML_START.match(data[:512]))


# ---------------------------------------------------------------------------- HTML


def article_from_html(
    html: bytes | str,
    *,
    url: str | None = None,
    charset: str | None = None,
    encoding: str = "auto",
    name: str = "<html>",
    **metadata: Any,
) -> Article:
    """Extract the main text of a web page, with its title, date and site name, as an article.

    Paragraphs are the extracted text blocks, separated by blank lines; ``article.text`` is
    that extracted text, and offsets point into it. ``charset`` is the one an HTTP header
    declared; a ``<meta charset>`` in the page is used otherwise. ``metadata`` (``id``,
    ``title``, ``date``, ``source``) takes precedence over what the page says; ``name``
    is the page's name in error messages.

    Raises
    ------
    InputError
        When the page has no main text (an index page, or one that needs JavaScript).
    """
    used = "utf-8"
    if isinstance(html, bytes):
        html, used = decode_html(html, charset, encoding, name)
    extracted = _extract(html, url)
    blocks = (extracted.text or "").splitlines() if extracted else []
    text = "\n\n".join(block.strip() for block in blocks if block.strip())
    if len(text.split()) < MIN_MAIN_TEXT_WORDS:
        raise InputError("no main text found in the HTML page (an index page, or one that needs JavaScript?)")
    date, _ = parse_date(extracted.date)
    found = {"title": extracted.title, "date": date, "source": extracted.sitename, "url": url or extracted.url}
    article = Article.from_text(text, **{**found, **{k: v for k, v in metadata.items() if v is not None}})
    return with_encoding(article, used)


def read_html_document(name: str, data: bytes, options: ReadOptions, **metadata: Any) -> Article:
    """An HTML file's main text as an article (the ``html`` input format)."""
    return article_from_html(data, encoding=options.encoding, name=name, **metadata)


def _extract(html: str, url: str | None) -> Any:
    _quiet_extraction_loggers()
    import trafilatura

    return trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )


def _quiet_extraction_loggers() -> None:
    """Keep trafilatura's warnings off stderr unless the application configures logging."""
    for name in ("trafilatura", "htmldate", "courlan"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


# ---------------------------------------------------------------------------- fetching


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded resource: the final URL after redirects, its bytes and content type."""

    url: str
    content: bytes
    content_type: str
    charset: str | None


class Fetcher:
    """Fetch http(s) URLs with one client: a deadline, a cap on decoded bytes and few redirects.

    The client is created on the first fetch, so reading local files never imports httpx.
    """

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self._client: httpx.Client | None = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()

    def get(self, url: str) -> Fetched:
        """Download ``url``; raises :class:`InputError` saying what went wrong and what to try."""
        import httpx

        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise InputError("only http and https URLs can be read")
        deadline = _Deadline(self.options.timeout)
        late = f"no complete answer within {self.options.timeout:g} s; try later or raise --timeout"
        try:
            with deadline:
                fetched = self._download(url, deadline)
        except httpx.TooManyRedirects as exc:
            raise InputError(f"more than {MAX_REDIRECTS} redirects") from exc
        except httpx.UnsupportedProtocol as exc:
            raise InputError("redirected to a URL that is not http or https") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            if deadline.expired or isinstance(exc, httpx.TimeoutException):
                raise InputError(late) from exc
            raise InputError(f"cannot fetch: {exc or type(exc).__name__}") from exc
        if deadline.expired:  # a body that ends with its connection looks complete when cut: it is not
            raise InputError(late)
        return fetched

    def _download(self, url: str, deadline: _Deadline) -> Fetched:
        with self._http().stream("GET", url, extensions={"trace": deadline.trace}) as response:
            if response.status_code >= 400:
                raise InputError(f"HTTP {response.status_code} {response.reason_phrase}")
            declared = _content_length(response.headers.get("content-length"))
            if declared > self.options.max_bytes:
                raise InputError(
                    f"the page is {size(declared)}, over the {size(self.options.max_bytes)} limit; raise --max-size"
                )
            content = _decoded_body(response, self.options.max_bytes)
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Fetched(str(response.url), content, media_type, response.charset_encoding)

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            # No kept-alive connections: the deadline shuts the sockets it saw opened.
            limits = httpx.Limits(max_keepalive_connections=0)
            self._client = httpx.Client(
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=self.options.timeout,
                headers={"User-Agent": _USER_AGENT, "Accept-Encoding": ", ".join(_DECODERS)},
                limits=limits,
                transport=None if self.options.allow_private_addresses else _public_only_transport(limits),
            )
        return self._client


class _Deadline:
    """One time limit for a whole download, redirects and headers included.

    httpx's timeouts bound each read, so a server trickling a byte at a time would hold a
    fetch for ever. The connections a download opens are seen through httpcore's ``trace``
    request extension; when time is up they are shut, which ends the blocked read.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            sock = info["return_value"].get_extra_info("socket")
            with self._lock:
                self._sockets.append(sock)
                expired = self.expired
            if expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


# Content codings read, one layer at a time as bytes arrive (wbits: gzip header, zlib header).
_DECODERS = {"gzip": 31, "deflate": 15}


def _decoded_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, decoded and capped as it arrives: at no moment more than ``max_bytes`` is held.

    httpx would decode every chunk through every announced layer before a cap could be
    checked (a few KB of gzip in gzip inflates to GBs), so the raw bytes are read and
    decoded here, one layer at most.
    """
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > 1 or (codings and codings[0] not in _DECODERS):
        raise InputError(
            f"the page is sent with content encoding {', '.join(codings)[:60]}; "
            f"unspin reads {', '.join(_DECODERS)} or none"
        )
    inflate = zlib.decompressobj(_DECODERS[codings[0]]) if codings else None
    body = bytearray()
    over = f"the page is over the {size(max_bytes)} limit; raise --max-size"
    for raw in response.iter_raw():
        if inflate is None:
            body += raw
        else:
            body += _inflate(inflate, raw, max_bytes + 1 - len(body))
        if len(body) > max_bytes:
            raise InputError(over)
    if inflate is not None and not inflate.eof and body:
        raise InputError("the page's compressed body breaks off")
    return bytes(body)


def _inflate(inflate: Any, raw: bytes, room: int) -> bytes:
    """Decompress ``raw`` but never more than ``room`` bytes (one past the cap is enough to refuse)."""
    try:
        out = inflate.decompress(raw, room)
    except zlib.error as exc:
        raise InputError(f"the page's compressed body is damaged ({exc})") from exc
    return out


def _content_length(header: str | None) -> int:
    """The announced size, or 0 when it is missing or malformed (the download is capped anyway)."""
    return int(header) if header and header.strip().isdigit() else 0


# ---------------------------------------------------------------------------- the public-address guard


def _public_only_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """A transport whose every connection, redirects included, goes to a checked public address.

    It is httpx's own transport with :meth:`~httpx.HTTPTransport.handle_request` overridden
    (httpx's documented way to customise sending): each request is sent to the address
    :func:`public_address` returned for its host, with the host name kept in the ``Host``
    header and, through the ``sni_hostname`` request extension, for TLS and certificate
    checks. Connections are not kept alive, so none is shared between host names that
    resolve to one address. Giving the client a transport also leaves out proxies from the
    environment, which would fetch any address on our behalf.
    """
    import httpx

    class PublicOnlyTransport(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            url = request.url
            if url.scheme not in _DEFAULT_PORTS or not url.raw_host:
                return super().handle_request(request)  # httpx refuses it as before
            host = url.raw_host.decode("ascii")
            address = public_address(host, url.port or _DEFAULT_PORTS[url.scheme])
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=address),
                headers=request.headers,
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            return super().handle_request(pinned)

    return PublicOnlyTransport(limits=limits)


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``, once every address it resolves to is known to be public.

    Raises
    ------
    InputError
        When the host cannot be resolved, or any of its addresses is loopback, private,
        link-local, multicast, reserved or unspecified.

    Examples
    --------
    >>> public_address("127.0.0.1", 80)
    Traceback (most recent call last):
    ...
    unspin.errors.InputError: not fetched: 127.0.0.1 resolves to 127.0.0.1, a loopback, private or other non-public address
    """
    import ipaddress
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"cannot resolve the host {host!r}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if not addresses:
        raise InputError(f"cannot resolve the host {host!r}")
    for address in addresses:
        if not _is_public(address):
            raise InputError(
                f"not fetched: {host} resolves to {address}, a loopback, private or other non-public address"
            )
    return str(addresses[0])


def _is_public(address: Any) -> bool:
    embedded = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if embedded is not None and not _is_public(embedded):
        return False
    return bool(address.is_global and not address.is_multicast and not address.is_reserved)


# ---------------------------------------------------------------------------- pages and URL lists


def article_from_fetched(page: Fetched, options: ReadOptions, **metadata: Any) -> Article:
    """The article a fetched page holds: plain text as it is, an HTML page's main text."""
    if page.content_type in INPUT_FORMATS["text"].media_types:
        text, used = decode_bytes(page.content, name=page.url, encoding=page.charset or options.encoding)
        return with_encoding(Article.from_text(text, url=page.url, **metadata), used)
    if page.content_type and "html" not in page.content_type and "xml" not in page.content_type:
        raise InputError(f"content type {page.content_type}: unspin reads HTML pages and plain text")
    return article_from_html(
        page.content, url=page.url, charset=page.charset, encoding=options.encoding, name=page.url, **metadata
    )


def fetch_article(fetcher: Fetcher, url: str, options: ReadOptions, **metadata: Any) -> Article:
    """Fetch ``url`` and read the article it holds; ``metadata`` takes precedence over the page's."""
    return article_from_fetched(fetcher.get(url), options, **metadata)


def read_url_list(name: str, source: Source, options: ReadOptions, fetcher: Fetcher) -> Iterator[Document]:
    """One page per URL, one a line; blank lines and lines starting with ``#`` are skipped."""
    return read_lines(name, source, options, fetcher, _url_documents)


def _url_documents(
    name: str, lines: IO[str], encoding: str, options: ReadOptions, fetcher: Fetcher
) -> Iterator[Document]:
    for line in map(str.strip, lines):
        if line and not line.startswith("#"):
            yield document(line, fetch_article, fetcher, line, options)
