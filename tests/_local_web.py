"""A tiny web server on 127.0.0.1, run in a thread by tests: canned pages, errors, slow answers.

Nothing leaves the machine; every test that reads URLs or feeds uses it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARAGRAPHS = (
    "The West has launched an unprecedented sanctions pressure on ordinary families, and the so-called "
    "coalition ministers pretend that nobody will suffer this winter.",
    "But all the statements only confirm that they will never give up, whatever the cost to the people "
    "who pay for it with their savings and their jobs.",
)


def article_page(
    title: str = "Sanctions will hit ordinary people",
    *,
    site: str = "Example Times",
    date: str = "2022-03-11",
    charset: str = "utf-8",
    paragraphs: tuple[str, ...] = PARAGRAPHS,
) -> str:
    """A news page with navigation, a main article and a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="{charset}"><title>{title} | {site}</title>'
        f'<meta property="og:site_name" content="{site}"><meta property="og:title" content="{title}">'
        f'<meta property="article:published_time" content="{date}T08:00:00Z"></head><body>'
        '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>'
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2024 Example Times. All rights reserved.</footer></body></html>"
    )


NO_MAIN_TEXT_PAGE = (
    "<!DOCTYPE html><html><head><title>Home</title><script src='app.js'></script></head><body>"
    "<nav><a href='/a'>News</a> <a href='/b'>Sport</a> <a href='/c'>Weather</a></nav>"
    "<div id='root'></div><footer>(c) 2024</footer></body></html>"
)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    send_length: bool = True
    trickle: float = 0.0  # seconds between the bytes of the answer, headers included (a slow-loris upstream)


class LocalWeb:
    """Serve :class:`Route` objects by path; unknown paths answer 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LocalWeb:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def add(self, path: str, body: bytes | str = b"", **route: object) -> str:
        """Serve ``body`` at ``path`` and return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **route)  # type: ignore[arg-type]
        return self.url(path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the http.server API names it
                web.requests.append(self.path)
                route = web.routes.get(self.path, Route(b"not found", status=404, content_type="text/plain"))
                time.sleep(route.delay)
                try:
                    if route.trickle:
                        self._trickle(route)
                        return
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    if route.send_length:
                        self.send_header("Content-Length", str(len(route.body)))
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _trickle(self, route: Route) -> None:
                length = f"Content-Length: {len(route.body)}" if route.send_length else "Connection: close"
                head = (f"HTTP/1.1 {route.status} OK\r\nContent-Type: {route.content_type}\r\n{length}\r\n\r\n").encode(
                    "ascii"
                )
                for byte in head + route.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route.trickle)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def rss(items: list[str], title: str = "Example Times") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.invalid/</link><description>News</description>{''.join(items)}</channel></rss>"
    )


def rss_item(title: str, link: str | None, date: str | None, content: str | None = None) -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link}</link>")
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    if content:
        parts.append(f"<description><![CDATA[{content}]]></description>")
    return f"<item>{''.join(parts)}</item>"
