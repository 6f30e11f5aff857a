"""Confidence in words, next to the number, for every renderer.

The model's confidences are isotonic-calibrated on held-out articles: of the highlights
shown at 70%, about 7 in 10 were right. So a word can say honestly how far to trust one:

========== =========== ==============================================
confidence word        meaning
========== =========== ==============================================
≥ 0.7      likely      right most of the time
≥ 0.4      possible    right about as often as not
below      unlikely    more often wrong than right; a lead to check
========== =========== ==============================================
"""

from __future__ import annotations

from ..i18n import N_, gettext

__all__ = ["CONFIDENCE_BANDS", "confidence_legend", "confidence_word"]

#: The lower bound of each band and its word, highest first; the last band starts at 0.
#: The words are English keys; renderers show them through :func:`unspin.i18n.gettext`.
CONFIDENCE_BANDS: tuple[tuple[float, str], ...] = ((0.7, N_("likely")), (0.4, N_("possible")), (0.0, N_("unlikely")))


def confidence_word(confidence: float) -> str:
    """The word for a calibrated confidence.

    Examples
    --------
    >>> [confidence_word(c) for c in (0.87, 0.7, 0.55, 0.12)]
    ['likely', 'likely', 'possible', 'unlikely']
    """
    return next((word for bound, word in CONFIDENCE_BANDS if confidence >= bound), CONFIDENCE_BANDS[-1][1])


def confidence_legend() -> str:
    """The bands in one line, for a page's footnote, in the interface language.

    Examples
    --------
    >>> confidence_legend()
    'likely from 70%, possible from 40%, unlikely below'
    """
    *upper, (_, lowest) = CONFIDENCE_BANDS
    from_bound = [gettext("%(word)s from %(percent)s") % {"word": gettext(w), "percent": f"{b:.0%}"} for b, w in upper]
    return ", ".join([*from_bound, gettext("%(word)s below") % {"word": gettext(lowest)}])
