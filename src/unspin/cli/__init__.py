"""The ``unspin`` command line: one module per command, all sharing ``_util.app``."""

from __future__ import annotations

import sys

from ..errors import UnspinError

# Importing the command modules registers their commands on ``app``.
from . import _util, analyze, baseline, compare, corpus, evaluate, predict, review, serve, train  # noqa: F401
from ._util import app

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; an :class:`UnspinError` prints one line and exits 1, never a traceback.

    Typer's standalone mode already turns usage errors into a message and exit code 2.
    """
    try:
        app(args=argv, prog_name="unspin", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except UnspinError as exc:
        _util.fail(str(exc))
        return 1
    except KeyboardInterrupt:
        _util.err_console.print("interrupted")
        return 130
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
