"""The interface's catalogues: complete in all six languages, and in step with the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from unspin.errors import InputError
from unspin.i18n import (
    UI_LANGUAGES,
    catalogue_gaps,
    checked_ui_language,
    current_ui_language,
    environment_ui_language,
    gettext,
    localized,
    negotiate,
    ui_language,
)
from unspin.taxonomy import CATEGORIES, FRAMES, GENRES, TECHNIQUES

ROOT = Path(__file__).resolve().parents[1]


def _source_messages() -> set[str]:
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(ROOT / "src" / "unspin"), method_map, options_map)
    return {message if isinstance(message, str) else message[0] for _file, _line, message, *_ in found}


def _template_messages() -> set[str]:
    from babel.messages.pofile import read_po

    with (ROOT / "src" / "unspin" / "locale" / "unspin.pot").open("rb") as pot:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}


def test_the_catalogue_template_holds_every_message_of_the_source() -> None:
    missing = _source_messages() - _template_messages()
    assert not missing, f"run python scripts/catalogues.py and translate: {sorted(missing)[:10]}"


def test_every_message_has_all_six_translations() -> None:
    gaps = catalogue_gaps()
    assert not gaps, {language: messages[:5] for language, messages in gaps.items()}


@pytest.mark.parametrize("code", UI_LANGUAGES[1:])
def test_each_language_translates_the_taxonomy(code: str) -> None:
    with ui_language(code):
        items = [*TECHNIQUES.values(), *CATEGORIES.values(), *FRAMES.values(), *GENRES.values()]
        names = [localized(item).name for item in items]
    english = [item.name for item in items]
    assert len(set(names)) == len(names), "two items share a name"
    # Some names are the same word in both languages (Satire, Slogans, Justification): most are not.
    assert sum(a == b for a, b in zip(names, english, strict=True)) <= len(names) // 4


def test_the_language_is_a_context_and_english_is_the_default() -> None:
    assert current_ui_language() == "en"
    with ui_language("de-AT") as chosen:
        assert chosen == current_ui_language() == "de"
        with ui_language("ru"):
            assert current_ui_language() == "ru"
        assert current_ui_language() == "de"
    assert current_ui_language() == "en"
    assert gettext("likely") == "likely"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("ja, pl;q=0.5, de;q=0.7", "de"),
        ("RU", "ru"),
        ("en-GB,en;q=0.9", "en"),
        ("ja, zh;q=0.5", None),
        ("", None),
        (None, None),
        ("de;q=0, it;q=0.1", "it"),
        (";;;,,q=abc,\x00", None),
        ("pl;q=x, it", "it"),
    ],
)
def test_accept_language_picks_the_best_supported_language(header: str | None, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_an_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="en, fr, de, it, pl, ru"):
        checked_ui_language("xx")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"UNSPIN_UI_LANGUAGE": "it"}, "it"),
        ({"LANG": "pl_PL.UTF-8"}, "pl"),
        ({"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "ja_JP.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_terminal_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    for name in ("UNSPIN_UI_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert environment_ui_language() == expected
