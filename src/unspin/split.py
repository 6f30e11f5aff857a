"""The fixed validation split: about 15% of the train articles of every language.

An article is held out when a salted SHA-256 of its id falls in the lowest 15% of the
hash range. The rule needs no list of ids, gives the same answer for an article in the
genre, frame and technique files alike (SemEval ids are unique across languages), and
never changes when files are added or removed.
"""

from __future__ import annotations

import hashlib

VALIDATION_SALT = "unspin-validation-v1"
VALIDATION_SHARE = 0.15
CALIBRATION_SALT = "unspin-calibration-v1"
CALIBRATION_SHARE = 0.12
CROSSFIT_SALT = "unspin-crossfit-v1"


def is_validation(article_id: str) -> bool:
    """Return True when ``article_id`` belongs to the validation split.

    Examples
    --------
    >>> sum(is_validation(str(i)) for i in range(10_000)) / 10_000
    0.1537
    """
    return hash_share(VALIDATION_SALT, article_id) < VALIDATION_SHARE


def is_calibration(article_id: str) -> bool:
    """Return True for the train articles kept out of network training to fit thresholds and calibration.

    About 12% of the articles outside the validation split; the validation split stays
    untouched for reporting.
    """
    return not is_validation(article_id) and hash_share(CALIBRATION_SALT, article_id) < CALIBRATION_SHARE


def hash_share(salt: str, article_id: str) -> float:
    """Where a salted SHA-256 of ``article_id`` falls in [0, 1): the basis of every fixed split."""
    digest = hashlib.sha256(f"{salt}:{article_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
