"""Server settings: ``unspin serve`` options, or ``UNSPIN_*`` environment variables."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..config import data_dir
from ..errors import InputError

_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(?:min|minute|m))?\s*$", re.IGNORECASE)


class Settings(BaseSettings):
    """Everything the server is configured with.

    Each field can be set as ``UNSPIN_<NAME>`` in the environment (lists as JSON);
    ``unspin serve`` fills them from its options.
    """

    model_config = SettingsConfigDict(env_prefix="UNSPIN_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1)
    model: Path | None = Field(default=None, description="Model bundle directory; the shipped model when unset.")
    api_keys: Path | None = Field(default=None, description="File of API keys, one a line; required off loopback.")
    data_dir: Path = Field(default_factory=data_dir, description="Where jobs and stored analyses live.")
    max_body_mb: float = Field(default=10.0, gt=0, description="Largest request body; larger ones get 413.")
    rate_limit: int = Field(
        default=600,
        ge=0,
        description="Requests a minute per API key (per client address without keys); 0 turns the limit off.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed cross-origin requests.")
    allow_private_urls: bool = Field(
        default=False, description="Fetch URLs on loopback and private addresses (local testing only)."
    )
    fetch_timeout: float = Field(default=20.0, gt=0, description="Seconds allowed for fetching one URL.")
    db: str | None = Field(
        default=None,
        description="Corpus database: a SQLite file or postgresql:// URL; "
        "default corpus.db in the user's data directory.",
    )
    threads: int | None = Field(
        default=None, ge=1, description="Torch threads; default OMP_NUM_THREADS or one per core."
    )
    allowed_hosts: list[str] | None = Field(
        default=None,
        description=(
            "Host names the server answers to (against DNS rebinding); default the bind address and localhost, "
            "or any name when listening beyond loopback, where API keys guard it."
        ),
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses of reverse proxies whose X-Forwarded-For is believed; none by default, so a client "
            "cannot choose the address its rate limit is counted under."
        ),
    )
    max_fetches: int = Field(
        default=8,
        ge=1,
        description="URLs fetched at once for single analyses; more wait their turn without holding other requests.",
    )
    job_workers: int = Field(default=2, ge=1, description="Jobs run at once, so one slow job does not hold the others.")
    job_retention_days: float = Field(default=30.0, gt=0, description="Finished jobs are deleted after this many days.")
    max_jobs: int = Field(default=1000, ge=1, description="Finished jobs kept; older ones beyond it are deleted.")
    job_quota_mb: float = Field(default=2048.0, gt=0, description="Disk space one API key's jobs may hold (MiB).")
    max_request_tokens: int = Field(
        default=100_000,
        ge=1,
        description=("Model tokens one article may have (about 0.75 words each); longer ones get 413."),
    )
    tokens_per_minute: int = Field(
        default=1_000_000,
        ge=0,
        description=(
            "Model tokens a minute per API key (per client address without keys) for single analyses; "
            "over it, 429. 0 turns the budget off."
        ),
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is no IP address or network, e.g. 10.0.0.5 or 10.0.0.0/8") from None
        return values

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, values: list[str] | None) -> list[str] | None:
        for value in values or []:
            if not _is_host_name(value):
                raise ValueError(f"{value!r} is no host name, e.g. unspin.newsroom.example (no scheme, port or path)")
        return values

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _per_minute(cls, value: object) -> object:
        return parse_rate_limit(value) if isinstance(value, str) else value

    @property
    def hosts(self) -> list[str]:
        from .security import default_allowed_hosts

        return self.allowed_hosts if self.allowed_hosts is not None else default_allowed_hosts(self.host)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 2**20)

    def environment(self) -> dict[str, str]:
        """These settings as ``UNSPIN_*`` variables, for worker processes to read back."""
        values = self.model_dump(mode="json", exclude_none=True)
        return {
            f"UNSPIN_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
            for name, value in values.items()
        }


def _is_host_name(value: str) -> bool:
    """A name, an IPv4 address, an IPv6 address (bracketed or not) or ``*``: nothing with a scheme, port or path."""
    bare = value.strip("[]")
    if ":" in bare:
        try:
            return ipaddress.ip_address(bare).version == 6
        except ValueError:
            return False
    return bool(bare) and not any(c.isspace() or c in "/@" for c in bare)


def parse_rate_limit(value: str) -> int:
    """Requests a minute from ``"N/min"`` or ``"N"``; ``"0"`` or ``"off"`` turns the limit off.

    Examples
    --------
    >>> parse_rate_limit("120/min"), parse_rate_limit("off")
    (120, 0)
    """
    if value.strip().lower() in ("off", "none", "0"):
        return 0
    found = _RATE.match(value)
    if not found:
        raise InputError(f"rate limit {value!r}: expected N/min, e.g. 120/min, or off")
    return int(found.group(1))
