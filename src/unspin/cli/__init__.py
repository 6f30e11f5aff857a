"""The ``unspin`` command line: one module per command, all sharing ``_util.app``."""

from __future__ import annotations

import sys

import click

from ..errors import UnspinError
from . import _util
from ._util import app
# Importing the command modules registers their commands on ``app``.
from . import analyze, evaluate, predict, train  # noqa: E402,F401


__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; an :class:`UnspinError` prints one line and exits 1, never a traceback."""
    try:
        app(args=argv, prog_name="unspin", standalone_mode=False)
    except click.exceptions.Abort:
        _util.err_console.print("aborted")
        return 130
    except click.exceptions.ClickException as exc:  # usage errors
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
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
