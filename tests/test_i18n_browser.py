"""The web app's language switcher in a real headless Chromium, against ``unspin serve``.

A reader picks each of the six languages from the switcher in the top bar (with the mouse
and with the keyboard), a browser that prefers Russian gets Russian, and on a phone the
switcher fits beside the navigation. Expected words come from :mod:`unspin.i18n`, so the
tests hold in English now and in every language once its catalogue is filled. Needs the
``playwright`` Python package and /usr/bin/chromium; skips cleanly without either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")
from _browser import require_browser

sync_api = require_browser()

# tests/ is on sys.path under pytest's default import mode
from playwright.sync_api import expect

from _live_server import BrowserTab, LiveServer, boxes_overlap, browser_contexts, serving_corpus
from unspin.i18n import UI_LANGUAGE_NAMES, UI_LANGUAGES, gettext, ui_language

COOKIE = "unspin_lang"
PHONE = {"width": 360, "height": 740}


def translated(code: str, message: str) -> str:
    with ui_language(code):
        return gettext(message)


@pytest.fixture(scope="module")
def server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The server; its pages render while the model loads, so these tests do not wait for it."""
    with serving_corpus(tmp_path_factory.mktemp("i18n-server"), "--model", str(model_path)) as live:
        yield live


class Tab(BrowserTab):
    """A page on the server, with script errors and dialogs recorded."""

    def __init__(self, context: sync_api.BrowserContext, base_url: str) -> None:
        super().__init__(context)
        self.base_url = base_url

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    @property
    def switcher(self) -> sync_api.Locator:
        return self.page.locator("details.language-switcher")

    @property
    def analyse_link(self) -> sync_api.Locator:
        return self.page.get_by_role("navigation").locator("ul.sections a").first

    def assert_language(self, code: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", code)
        expect(self.analyse_link).to_have_text(translated(code, "Analyse"))
        assert self.errors == []

    def cookie(self) -> str | None:
        found = [c["value"] for c in self.context.cookies() if c["name"] == COOKIE]
        return found[0] if found else None


@pytest.fixture
def tab(browser: sync_api.Browser, server: LiveServer) -> Iterator[Callable[..., Tab]]:
    with browser_contexts(browser, {"width": 1280, "height": 800}) as new_context:

        def tab(**options: Any) -> Tab:
            return Tab(new_context(**options), server.url)

        yield tab


def test_each_language_from_the_switcher(tab: Callable[..., Tab]) -> None:
    reader = tab(locale="en-GB")
    reader.goto("/")
    reader.assert_language("en")
    menu = reader.switcher.locator("ul")
    for code in ("fr", "de", "it", "en", "pl", "ru"):  # all six, English as a switch back
        expect(menu).to_be_hidden()
        reader.switcher.locator("summary").click()
        expect(menu).to_be_visible()
        expect(menu.get_by_role("link")).to_have_text(list(UI_LANGUAGE_NAMES.values()))
        menu.get_by_role("link", name=UI_LANGUAGE_NAMES[code], exact=True).click()
        reader.page.wait_for_url(f"**/?lang={code}")
        reader.assert_language(code)
        assert reader.cookie() == code
    # The choice outlives the parameter: another section, no ?lang=, the same language.
    reader.page.locator('ul.sections a[href$="/jobs"]').click()
    reader.page.wait_for_url("**/jobs")
    reader.assert_language("ru")


def test_the_switcher_works_by_keyboard(tab: Callable[..., Tab]) -> None:
    reader = tab()
    reader.goto("/compare")
    summary = reader.switcher.locator("summary")
    menu = reader.switcher.locator("ul")
    summary.focus()
    reader.page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    reader.page.keyboard.press("Tab")
    expect(menu.get_by_role("link").first).to_be_focused()
    reader.page.keyboard.press("Escape")  # closes it, the focus back on its button
    expect(menu).to_be_hidden()
    expect(summary).to_be_focused()
    reader.page.keyboard.press("Space")
    expect(menu).to_be_visible()
    for _ in range(UI_LANGUAGES.index("pl") + 1):
        reader.page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name=UI_LANGUAGE_NAMES["pl"], exact=True)).to_be_focused()
    reader.page.keyboard.press("Enter")
    reader.page.wait_for_url("**/compare?lang=pl")
    reader.assert_language("pl")
    # Its accessible name says what it is and which language is on.
    expect(reader.switcher.locator("summary")).to_have_accessible_name(
        f"{translated('pl', 'Interface language')}: {UI_LANGUAGE_NAMES['pl']}"
    )


def test_a_browser_that_prefers_russian_gets_russian(tab: Callable[..., Tab]) -> None:
    reader = tab(locale="ru-RU")
    reader.goto("/")
    reader.assert_language("ru")
    expect(reader.page.locator("h1")).to_have_text(translated("ru", "Analyse an article"))
    assert reader.cookie() is None  # a header is no choice to remember


@pytest.mark.parametrize("code", UI_LANGUAGES)
def test_the_switcher_fits_a_phone(tab: Callable[..., Tab], code: str) -> None:
    reader = tab(viewport=PHONE, is_mobile=True, has_touch=True)
    reader.goto(f"/jobs?lang={code}")
    reader.assert_language(code)
    summary = reader.switcher.locator("summary").bounding_box()
    assert summary is not None and summary["x"] + summary["width"] <= PHONE["width"]
    others = reader.page.locator(".topnav .brand, .topnav .sections a")
    for index in range(others.count()):
        box = others.nth(index).bounding_box()
        assert box is not None
        assert not boxes_overlap(box, summary), f"{others.nth(index).inner_text()!r} lies under the switcher"
    reader.switcher.locator("summary").tap()
    menu = reader.switcher.locator("ul")
    expect(menu).to_be_visible()
    opened = menu.bounding_box()
    assert opened is not None and opened["x"] >= 0 and opened["x"] + opened["width"] <= PHONE["width"]
    assert reader.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], "sideways scrolling"
    reader.page.locator("h1").tap()  # a tap elsewhere closes it
    expect(menu).to_be_hidden()
    assert reader.errors == []
