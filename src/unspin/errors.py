"""Exceptions raised by unspin.

UnspinError
 ├── InputError (also ValueError)   bad user input: file, encoding, empty text, malformed row
 │    └── ScoringError              gold and prediction files that cannot be compared
 ├── OffsetError                    a span whose offsets do not match its text
 ├── BundleError                    a model bundle that is missing, corrupt or incompatible
 └── StoreError                     a corpus database that cannot be opened or used
"""

from __future__ import annotations


class UnspinError(Exception):
    """Base class of every error unspin raises on purpose."""


class InputError(UnspinError, ValueError):
    """Input that unspin cannot use; the message names the file (and line) when known."""


class ScoringError(InputError):
    """Gold and predicted labels that cannot be scored against each other."""


class OffsetError(UnspinError):
    """A span whose offsets do not point into the text it claims to describe."""


class BundleError(UnspinError):
    """A model bundle that cannot be loaded."""


class StoreError(UnspinError):
    """A corpus database that cannot be reached, migrated or used."""


def where(path: object, line: int | None = None) -> str:
    """Format a location prefix such as ``labels.txt:12: `` for error messages."""
    return f"{path}:{line}: " if line is not None else f"{path}: "
