"""Run ``unspin serve`` in a subprocess on a free loopback port, for tests over real HTTP.

Also the setup the browser tests share: a server on a corpus (:func:`serving_corpus`), pages
that record script errors (:class:`BrowserTab`), browser contexts closed after the test
(:func:`browser_contexts`) and a check that two boxes on a page overlap (:func:`boxes_overlap`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import httpx

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Error, FloatRect

START_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """``unspin serve ARGS`` on 127.0.0.1; its output goes to ``log_path``."""

    def __init__(self, *args: str, data_dir: Path, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log_path = log_path
        self.args = ["--port", str(self.port), "--data-dir", str(data_dir), *args]
        self.env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, ready: bool = True) -> Self:
        """Start the server and wait for /readyz (or only /healthz when ``ready`` is false)."""
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", "unspin", "serve", *self.args, "--log-level", "info"]
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        self.wait("/readyz" if ready else "/healthz")
        return self

    def wait(self, path: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer {path} within {START_TIMEOUT:g} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Stop the server: SIGINT for a clean shutdown, SIGKILL to simulate a crash."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def serving_corpus(root: Path, *args: str) -> Iterator[LiveServer]:
    """``unspin serve ARGS --rate-limit off`` on the corpus ``root/corpus.db``, its data and log under ``root``.

    Waits for /healthz only (pages render while the model loads); stops the server on leaving.
    """
    live = LiveServer(
        *args,
        "--rate-limit",
        "off",
        data_dir=root / "data",
        log_path=root / "server.log",
        env={"UNSPIN_DB": str(root / "corpus.db")},
    )
    live.start(ready=False)
    try:
        yield live
    finally:
        live.stop()


class BrowserTab:
    """A new page in a browser context that records what it tried to do.

    ``errors``: script errors and dialogs (a dialog is dismissed; its message is in ``dialogs``
    too); ``requests``: the URL of every request the page made.
    """

    def __init__(self, context: BrowserContext, timeout_ms: int = 30_000) -> None:
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(timeout_ms)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", self._record_console_error)
        self.page.on("pageerror", self._record_page_error)
        self.page.on("dialog", self._record_and_dismiss_dialog)
        self.page.on("request", lambda request: self.requests.append(request.url))

    def _record_console_error(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _record_page_error(self, error: Error) -> None:
        self.errors.append(str(error))

    def _record_and_dismiss_dialog(self, dialog: Dialog) -> None:
        self.errors.append(dialog.message)
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@contextmanager
def browser_contexts(browser: Browser, viewport: Mapping[str, int]) -> Iterator[Callable[..., BrowserContext]]:
    """A maker of browser contexts (with ``viewport`` unless its options name one), all closed on leaving."""
    contexts: list[BrowserContext] = []

    def new_context(**options: Any) -> BrowserContext:
        context = browser.new_context(**{"viewport": dict(viewport), **options})
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


def boxes_overlap(a: FloatRect, b: FloatRect) -> bool:
    """Whether two bounding boxes of a page share some area (touching edges do not)."""
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )
