"""The interface language of what the renderers make: the ``ui_language`` argument, and plurals for scripts.

Every public renderer takes ``ui_language`` (one of :data:`unspin.i18n.UI_LANGUAGES`, or
None for the language of the current context, :func:`unspin.i18n.ui_language`); the
decorator :func:`speaks` implements it once for all of them.

A page's script cannot call gettext, so the page carries its messages, already translated,
as JSON. A message with a count cannot be chosen in advance: :func:`plural_forms` gives it
in each CLDR plural category of the language ("one", "few", "many", "other"), and the script
picks one with ``Intl.PluralRules`` for the page's ``<html lang>``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import ParamSpec, TypeVar

from ..i18n import current_ui_language
from ..i18n import ui_language as speaking

__all__ = ["plural_forms", "speaks"]

P = ParamSpec("P")
R = TypeVar("R")


def speaks(render: Callable[P, R]) -> Callable[P, R]:
    """Render in the keyword argument ``ui_language`` when it is given (an unknown code is an InputError).

    The decorated function declares ``*, ui_language: str | None = None`` itself, for its
    signature and documentation, and need not read it.
    """

    @wraps(render)
    def in_language(*args: P.args, **kwargs: P.kwargs) -> R:
        code = kwargs.get("ui_language")
        if code is None:
            return render(*args, **kwargs)
        with speaking(str(code)):
            return render(*args, **kwargs)

    return in_language


def plural_forms(message: Callable[[int], str]) -> dict[str, str]:
    """``message(n)``, an ``ngettext`` call, for each CLDR plural category of the interface language.

    Examples
    --------
    >>> from unspin.i18n import ngettext
    >>> plural_forms(lambda n: ngettext("%(count)s article", "%(count)s articles", n))
    {'other': '%(count)s articles', 'one': '%(count)s article'}
    """
    return {category: message(n) for category, n in _samples(current_ui_language()).items()}


@cache
def _samples(code: str) -> dict[str, int]:
    """A whole number in each plural category of ``code`` (CLDR's rules, which Babel's catalogues follow)."""
    from babel import Locale

    rule = Locale.parse(code).plural_form
    samples: dict[str, int] = {}
    for n in (*range(200), 1_000_000):
        samples.setdefault(rule(n), n)
    samples.setdefault("other", 1_000_000)  # for fractions in some languages: never a count here, but a fallback
    return samples
