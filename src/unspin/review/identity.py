"""Who a reviewer is where no API key names them: one local user of a server without keys, or the CLI."""

from __future__ import annotations

import getpass

from ..config import reviewer_name


def local_reviewer() -> str:
    """``$UNSPIN_REVIEWER``, else the OS user's login name, else ``local``.

    On a server with API keys the reviewer is the name after the caller's key in the key
    file instead (:meth:`unspin.server.security.KeyRing.reviewer`).
    """
    name = reviewer_name()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError, ImportError):  # no login name (a container's anonymous uid)
            name = ""
    return name[:200] if name and name.isprintable() else "local"
