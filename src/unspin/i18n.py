"""The interface language: gettext catalogues (Babel) for the web app, the reports and the terminal.

English is the source language. Each other language has a catalogue,
``unspin/locale/<code>/LC_MESSAGES/unspin.po``, compiled in memory the first time it is used
(so the ``.po`` file is the one copy of the translations). The language of the interface is
a context variable, set around rendering with :func:`ui_language`; it is independent of the
language of the analysed text.

Messages are marked with ``_()`` (translated now) or ``N_()`` (marked for extraction,
translated where shown, as for the taxonomy). To refresh the catalogues after changing
messages::

    pybabel extract -F babel.cfg -o src/unspin/locale/unspin.pot src/unspin
    pybabel update -i src/unspin/locale/unspin.pot -d src/unspin/locale -D unspin
"""

from __future__ import annotations

import gettext as gettext_module
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields, replace
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, TypeVar

from .errors import InputError

if TYPE_CHECKING:
    from babel.messages.catalog import Message

__all__ = [
    "DEFAULT_UI_LANGUAGE",
    "N_",
    "UI_LANGUAGES",
    "UI_LANGUAGE_NAMES",
    "checked_ui_language",
    "current_ui_language",
    "environment_ui_language",
    "gettext",
    "localized",
    "negotiate",
    "ngettext",
    "translations",
    "ui_language",
]

DEFAULT_UI_LANGUAGE = "en"
UI_LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "it", "pl", "ru")
# Each language named in itself, as a switcher shows it.
UI_LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "pl": "Polski",
    "ru": "Русский",
}
DOMAIN = "unspin"

_current: ContextVar[str] = ContextVar("unspin_ui_language", default=DEFAULT_UI_LANGUAGE)

T = TypeVar("T")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it (it is translated where shown)."""
    return message


def checked_ui_language(code: str) -> str:
    """``code`` as one of :data:`UI_LANGUAGES` (case and region ignored: "fr-CA" is "fr"), or an InputError."""
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    if primary not in UI_LANGUAGES:
        raise InputError(f"unknown interface language {code!r}; choose one of {', '.join(UI_LANGUAGES)}")
    return primary


@contextmanager
def ui_language(code: str) -> Iterator[str]:
    """Translate messages into ``code`` inside the block (and in what it calls)."""
    token = _current.set(checked_ui_language(code))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_ui_language() -> str:
    return _current.get()


@cache
def translations(code: str) -> gettext_module.NullTranslations:
    """The catalogue of ``code``, compiled from its ``.po`` file once per process."""
    code = checked_ui_language(code)
    if code == DEFAULT_UI_LANGUAGE:
        return gettext_module.NullTranslations()
    from babel.messages.mofile import write_mo  # imported late: only a translated interface needs it
    from babel.messages.pofile import read_po

    source = files("unspin") / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as po:
        catalogue = read_po(po, locale=code, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)  # fuzzy entries are left out: they fall back to English
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def gettext(message: str) -> str:
    """``message`` in the current interface language (English where it has no translation)."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def localized(item: T) -> T:
    """A copy of a taxonomy item (technique, category, frame, genre) with its texts translated."""
    texts = {f.name: gettext(getattr(item, f.name)) for f in fields(item) if f.name in _TRANSLATED_FIELDS}  # type: ignore[arg-type]
    return replace(item, **texts)  # type: ignore[type-var]


_TRANSLATED_FIELDS = frozenset({"name", "definition", "example"})


def negotiate(accept_language: str | None) -> str | None:
    """The best of :data:`UI_LANGUAGES` for an HTTP ``Accept-Language`` header, or None when none fits."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _quality, _position, tag in sorted(ranked):
        try:
            return checked_ui_language(tag)
        except InputError:
            continue
    return None


def environment_ui_language() -> str:
    """The terminal's interface language: ``UNSPIN_UI_LANGUAGE``, else the locale (``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``) where it is one of the six, else English."""
    explicit = os.environ.get("UNSPIN_UI_LANGUAGE")
    if explicit:
        return checked_ui_language(explicit)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            found = negotiate(value.split(".")[0])
            return found or DEFAULT_UI_LANGUAGE
    return DEFAULT_UI_LANGUAGE


def catalogue_gaps() -> dict[str, list[str]]:
    """Per language, the messages of ``unspin.pot`` without a usable translation: missing,
    empty (in any plural form), fuzzy, or with placeholders other than the English ones."""
    from babel.messages.pofile import read_po

    locale = files("unspin") / "locale"
    with (locale / f"{DOMAIN}.pot").open("rb") as pot:
        wanted = [m.id for m in read_po(pot) if m.id]
    gaps: dict[str, list[str]] = {}
    for code in UI_LANGUAGES[1:]:
        with (locale / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
            catalogue = read_po(po, locale=code)
        missing = [_first(i) for i in wanted if not _usable(catalogue.get(i))]
        if missing:
            gaps[code] = missing
    return gaps


def _first(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _usable(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    sources = tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)
    targets = tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)
    allowed = set().union(*(_placeholders(s) for s in sources))
    required = _placeholders(sources[0]) & _placeholders(sources[-1])  # a singular may leave out the count
    return all(t and required <= _placeholders(t) <= allowed for t in targets)


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
