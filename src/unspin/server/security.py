"""API keys, rate limits, request size caps and security headers.

- :class:`KeyRing` keeps only the SHA-256 digests of the keys and compares in constant time.
- :func:`check_exposure` refuses a non-loopback address without keys.
- :class:`RateLimiter` is a token bucket per caller, in memory (per worker process).
- :class:`BodyLimitMiddleware` answers 413 to bodies over the cap, announced or streamed.
- :class:`SecurityHeadersMiddleware` puts a Content-Security-Policy on every response.
- :class:`RequestOriginMiddleware` answers only to allowed ``Host`` names (against DNS
  rebinding) and refuses state-changing requests from other sites (against CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

MIN_KEY_CHARS = 16
MAX_REVIEWER_CHARS = 200
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
NEW_KEY_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(32))" >> keys.txt'


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class KeyRing:
    """API keys, held as SHA-256 digests only; :meth:`identify` compares in constant time.

    Examples
    --------
    >>> ring = KeyRing(["correct-horse-battery-staple"])
    >>> ring.identify("correct-horse-battery-staple") == ring.identify("correct-horse-battery-staple")
    True
    >>> ring.identify("wrong") is None
    True
    """

    def __init__(self, keys: Iterable[str | tuple[str, str | None]]) -> None:
        """``keys``: keys, or (key, reviewer name) pairs; a key without a name is reviewer ``key-`` and 6 hex digits."""
        names: dict[bytes, str] = {}
        for entry in keys:
            key, name = entry if isinstance(entry, tuple) else (entry, None)
            digest = _digest(key)
            names[digest] = name or names.get(digest) or f"key-{digest.hex()[:6]}"
        self._digests = tuple(names)
        self._reviewers = {_key_id(digest): name for digest, name in names.items()}

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        """One key a line, optionally followed by whitespace and the reviewer name of its holder.

        Blank lines and lines starting with ``#`` are skipped.
        """
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the API keys ({exc})") from exc
        entries = [_key_and_name(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]
        keys = [key for key, _ in entries]
        if not keys:
            raise InputError(f"{path}: no API keys in the file; add one a line, e.g. with {NEW_KEY_COMMAND}")
        short = sum(1 for key in keys if len(key) < MIN_KEY_CHARS)
        if short:
            raise InputError(
                f"{path}: {short} API key(s) shorter than {MIN_KEY_CHARS} characters; "
                f"make long random ones, e.g. with {NEW_KEY_COMMAND}"
            )
        bad = next((name for _, name in entries if name and not _is_reviewer_name(name)), None)
        if bad is not None:
            raise InputError(
                f"{path}: reviewer name {bad[:40]!r} after a key: use up to {MAX_REVIEWER_CHARS} printable characters"
            )
        return cls(entries)

    def __len__(self) -> int:
        return len(self._digests)

    def __repr__(self) -> str:
        return f"KeyRing({len(self)} keys)"

    def identify(self, key: str) -> str | None:
        """A short id of the matching key (for rate limits and job owners), or ``None``.

        Every stored digest is compared, whether or not an earlier one matched.
        """
        candidate = _digest(key)
        found = None
        for digest in self._digests:
            if hmac.compare_digest(candidate, digest):
                found = digest
        return None if found is None else _key_id(found)

    def reviewer(self, key_id: str) -> str | None:
        """The reviewer name of the key :meth:`identify` gave ``key_id`` for (its own, or ``key-`` and 6 hex digits)."""
        return self._reviewers.get(key_id)


def _key_id(digest: bytes) -> str:
    return hashlib.sha256(b"unspin-key-id:" + digest).hexdigest()[:16]


def _key_and_name(line: str) -> tuple[str, str | None]:
    """``KEY`` or ``KEY reviewer name``: the key is the first word, the name the rest of the line."""
    parts = line.split(None, 1)
    key, name = parts[0], (parts[1].strip() if len(parts) > 1 else "")
    return key, name or None


def _is_reviewer_name(name: str) -> bool:
    return len(name) <= MAX_REVIEWER_CHARS and name.isprintable()


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server reachable from this machine only."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, keys: KeyRing | None) -> None:
    """Refuse to listen beyond loopback without API keys; the message says how to add them."""
    if keys is None and not is_loopback(host):
        raise InputError(
            f"refusing to listen on {host} without API keys: anyone who can reach it could use it. "
            f"Create a key file ({NEW_KEY_COMMAND}) and start with --api-keys keys.txt, "
            "or listen on 127.0.0.1 only"
        )


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per caller: ``per_minute`` units a minute, in bursts of up to ``per_minute``.

    A unit is a request for the request rate limit, a model token for the compute budget.
    ``clock`` gives the time in seconds, never going back (tests pass a fake one).

    Examples
    --------
    >>> now = [0.0]
    >>> limiter = RateLimiter(2, clock=lambda: now[0])
    >>> limiter.acquire("a"), limiter.acquire("a"), limiter.acquire("a")
    (0.0, 0.0, 30.0)
    >>> now[0] = 30.0
    >>> limiter.acquire("a")
    0.0
    """

    def __init__(
        self, per_minute: int, *, max_callers: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.max_callers = max_callers
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, caller: str, cost: float = 1.0) -> float:
        """0 when the request may go ahead (and its cost is taken), else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        cost = min(cost, float(self.per_minute))  # a request over a full bucket goes when the bucket is full
        rate = self.per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                self._forget_idle(now)
                bucket = self._buckets[caller] = _Bucket(float(self.per_minute), now)
            bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / rate

    def _forget_idle(self, now: float) -> None:
        """Full buckets carry no information; drop them when there are too many callers."""
        if len(self._buckets) < self.max_callers:
            return
        refill = 60.0
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < refill}


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


# ---------------------------------------------------------------------------- ASGI middleware

Scope = dict[str, Any]


class BodyLimitMiddleware:
    """Answer 413 (problem+json) to a request body over ``max_bytes``, announced or streamed."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:  # the HTTP parser holds the body to its announced length
            if length.isdigit() and int(length) > self.max_bytes:
                await self._too_large(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        body, complete = await self._read_capped(receive)
        if not complete:
            await self._too_large(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_capped(self, receive: Any) -> tuple[bytes, bool]:
        """A body sent without Content-Length (chunked), read up to the cap."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True

    async def _too_large(self, scope: Scope, receive: Any, send: Any) -> None:
        from .problems import problem_response

        limit = f"{self.max_bytes / 2**20:.3g} MiB"
        response = problem_response(
            413,
            f"the request body is over the {limit} limit; send less, or split a batch into several jobs",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            message: dict[str, Any] = await receive()
            return message
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy and related headers to every HTTP response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def default_allowed_hosts(host: str) -> list[str]:
    """The bind address and the loopback names; any name when listening beyond loopback (keys guard it)."""
    if not is_loopback(host):
        return ["*"]
    return sorted({host.strip("[]").lower(), "localhost", "127.0.0.1", "::1"})


class RequestOriginMiddleware:
    """Refuse requests a hostile web page could make a browser send.

    - A ``Host`` header outside ``allowed_hosts`` gets 400: a page on a rebound DNS name
      would otherwise read the API of a server on loopback as its own origin.
    - A POST (or any non-read method) that a browser marks as coming from another origin
      (``Sec-Fetch-Site`` other than ``same-origin``; ``Origin`` for browsers without it)
      gets 403, unless its origin is one of the CORS origins. Clients that are not
      browsers send neither header and are not affected.
    """

    def __init__(self, app: Any, allowed_hosts: Iterable[str], cors_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed_hosts = {h.lower().strip("[]") for h in allowed_hosts}
        self.cors_origins = {o.rstrip("/").lower() for o in cors_origins}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        host = headers.get("host", "")
        refusal = self._refusal(scope["method"], host, headers)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        from .problems import problem_response

        await problem_response(*refusal)(scope, receive, send)

    def _refusal(self, method: str, host: str, headers: dict[str, str]) -> tuple[int, str] | None:
        if "*" not in self.allowed_hosts and _host_name(host) not in self.allowed_hosts:
            return 400, "this server does not answer to that host name; use the address it listens on"
        if method in SAFE_METHODS:
            return None
        origin = headers.get("origin", "").rstrip("/").lower()
        if origin in self.cors_origins:
            return None
        # Browsers say where a request comes from in Sec-Fetch-Site; the pages' no-referrer
        # policy makes their own form posts say "Origin: null", so Origin alone decides only
        # for browsers without Sec-Fetch-Site.
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            foreign = fetch_site not in ("same-origin", "none")
        else:
            foreign = bool(origin) and origin != "null" and _origin_host(origin) != host.lower()
        return (403, "refused: the request comes from another site's page") if foreign else None


def _host_name(host: str) -> str:
    """``example.org`` from ``example.org:8000``, ``::1`` from ``[::1]:8000``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _origin_host(origin: str) -> str:
    """The host (with port) an ``Origin`` names; ``null`` and malformed origins name none."""
    scheme, _, rest = origin.partition("://")
    return rest if scheme in ("http", "https") else ""
