"""The unspin server: a REST API (and, when installed, the web UI) over one loaded model.

Start it with ``unspin serve``; embed it with :func:`create_app`. Needs the ``server``
extra: ``pip install 'unspin[server]'``.
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
