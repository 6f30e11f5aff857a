"""The web app in six interface languages, in process with FastAPI's TestClient.

The language of a request comes from ``?lang=`` (remembered in a cookie), then the cookie,
then Accept-Language; anything malformed falls back to English. Expected texts come from
:mod:`unspin.i18n` (the catalogues are filled apart from the code), so these tests hold in
English now and in every language once translated. A pseudo-language that brackets every
translated message shows what a page would leave in English.

No model is needed: the app is built on a bundle path that does not exist, so analyses wait
("could not be loaded") while every page still renders.
"""

from __future__ import annotations

import gettext as gettext_module
import html
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient

import unspin.i18n
from unspin import taxonomy
from unspin.i18n import UI_LANGUAGE_NAMES, UI_LANGUAGES, gettext, localized, ui_language
from unspin.server import Settings, create_app

LOCAL = "http://localhost:8000"
COOKIE = "unspin_lang"


def translated(code: str, message: str) -> str:
    """``message`` as unspin.i18n gives it in ``code`` (English until the catalogue has it)."""
    with ui_language(code):
        return gettext(message)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("i18n-web")
    settings = Settings(data_dir=root / "data", db=str(root / "corpus.db"), model=root / "no-such-model")
    with TestClient(create_app(settings), base_url=LOCAL) as http:
        yield http


@pytest.fixture
def client(app_client: TestClient) -> Iterator[TestClient]:
    """The module's app, with no language cookie left over from another test."""
    app_client.cookies.clear()
    yield app_client
    app_client.cookies.clear()


class Page(HTMLParser):
    """What these tests read in a page: the html lang, the switcher's links, the nav's links, text by id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.switcher: list[dict[str, Any]] = []
        self.nav: dict[str, str] = {}  # href -> text
        self._in_switcher = False
        self._in_nav = False
        self._link: dict[str, Any] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "details" and "language-switcher" in (attributes.get("class") or ""):
            self._in_switcher = True
        elif tag == "ul" and attributes.get("class") == "sections":
            self._in_nav = True
        elif tag == "a" and (self._in_switcher or self._in_nav):
            self._link = {**attributes, "text": ""}

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            if self._in_switcher:
                self.switcher.append(self._link)
            else:
                self.nav[self._link["href"]] = self._link["text"].strip()
            self._link = None
        elif tag == "details":
            self._in_switcher = False
        elif tag == "ul":
            self._in_nav = False


def assert_language(response: httpx.Response, code: str) -> Page:
    assert response.status_code == 200, response.text
    page = Page(response.text)
    assert page.lang == code
    assert response.headers["content-language"] == code
    assert {v.strip() for v in response.headers["vary"].split(",")} >= {"Accept-Language", "Cookie"}
    assert page.nav["/"] == translated(code, "Analyse")
    assert page.nav["/jobs"] == translated(code, "Batch jobs")
    return page


# ---------------------------------------------------------------------------- choosing the language


def test_accept_language_chooses_the_best_of_the_six(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "fr-CH, de;q=0.8"})
    assert_language(response, "fr")
    assert '<html lang="fr"' in response.text
    assert "set-cookie" not in response.headers  # only a choice made with ?lang= is remembered
    assert_language(client.get("/", headers={"Accept-Language": "es, de;q=0.9, fr;q=0.8"}), "de")


def test_no_preference_is_english(client: TestClient) -> None:
    assert_language(client.get("/"), "en")


def test_the_lang_parameter_is_remembered_in_a_cookie(client: TestClient) -> None:
    response = client.get("/jobs?lang=de", headers={"Accept-Language": "fr"})
    assert_language(response, "de")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=de;") and "Path=/" in cookie and "SameSite=Lax" in cookie
    assert client.cookies.get(COOKIE) == "de"
    # The next pages, without the parameter, stay German, above the browser's own preference.
    assert_language(client.get("/compare", headers={"Accept-Language": "fr"}), "de")
    assert_language(client.get("/corpus/compare"), "de")
    # A new choice replaces it.
    assert_language(client.get("/?lang=it"), "it")
    assert_language(client.get("/jobs"), "it")


def test_the_language_reaches_text_built_in_python(client: TestClient) -> None:
    """An error page: its phrase comes from Python (a dict of marked phrases), its chrome from the template."""
    response = client.get("/a/0123456789abcdef0123456789abcdef?lang=pl")
    assert response.status_code == 404
    page = Page(response.text)
    assert page.lang == "pl" and response.headers["content-language"] == "pl"
    with ui_language("pl"):
        assert f"<h1>{gettext('Not Found')}</h1>" in response.text
        assert gettext("no analysis at this address: check the link, it may be cut short") in response.text


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?lang=xx", {}),
        ("?lang=", {}),
        ("?lang=%FF%FE", {}),
        ("?lang=" + "de" * 500, {}),
        ("", {"Accept-Language": "de;q=banana, fr;q=-1, ;;;, *"}),
        ("", {"Accept-Language": "=,=;q=,,\t;"}),
        ("", {"Accept-Language": "x" * 5000}),
        ("", {"Cookie": f"{COOKIE}=xx"}),
        ("", {"Cookie": f'{COOKIE}="de'}),
        ("", {"Cookie": f"{COOKIE}=de; {COOKIE}"}),
        ("", {"Cookie": "\x7f=; ;=;;=;"}),
    ],
    ids=[
        "unknown-lang",
        "empty-lang",
        "bytes-lang",
        "long-lang",
        "bad-quality",
        "punctuation-header",
        "long-header",
        "unknown-cookie",
        "unclosed-cookie",
        "repeated-cookie",
        "garbage-cookie",
    ],
)
def test_malformed_choices_fall_back_to_english(client: TestClient, query: str, headers: dict[str, str]) -> None:
    response = client.get("/" + query, headers=headers)
    assert_language(response, "en")
    assert COOKIE not in response.headers.get("set-cookie", "")


def test_an_unknown_lang_leaves_the_cookie_and_header_to_decide(client: TestClient) -> None:
    assert_language(client.get("/?lang=xx", headers={"Accept-Language": "ru"}), "ru")
    client.cookies.set(COOKIE, "it")
    assert_language(client.get("/?lang=xx", headers={"Accept-Language": "ru"}), "it")


# ---------------------------------------------------------------------------- the switcher


def test_the_switcher_lists_the_six_languages_keeping_path_and_query(client: TestClient) -> None:
    page = assert_language(client.get("/corpus/compare?a=7", headers={"Accept-Language": "fr"}), "fr")
    assert [link["hreflang"] for link in page.switcher] == list(UI_LANGUAGES)
    for link in page.switcher:
        code = link["hreflang"]
        assert link["lang"] == code
        assert link["text"].strip() == UI_LANGUAGE_NAMES[code]  # each language named in itself
        assert link["href"] == f"/corpus/compare?a=7&lang={code}"
        assert ("aria-current" in link) == (code == "fr")
    # Following a link gives that page in that language, its form value kept.
    german = client.get(page.switcher[2]["href"])
    assert_language(german, "de")
    assert 'name="a" type="number"' in german.text and 'value="7"' in german.text


def test_the_switcher_replaces_a_lang_already_in_the_query(client: TestClient) -> None:
    page = assert_language(client.get("/jobs?lang=ru"), "ru")
    assert [link["href"] for link in page.switcher] == [f"/jobs?lang={code}" for code in UI_LANGUAGES]


def test_after_a_form_post_the_switcher_goes_to_the_home_page(client: TestClient) -> None:
    response = client.post("/analyze", data={"url": ""}, headers={"Accept-Language": "de"})
    assert response.status_code == 422  # nothing given: the home page again, with the error
    page = Page(response.text)
    assert page.lang == "de" and response.headers["content-language"] == "de"
    assert [link["href"] for link in page.switcher] == [f"/?lang={code}" for code in UI_LANGUAGES]
    with ui_language("de"):
        assert gettext("Could not analyse it:") in response.text
        assert gettext("paste an article, choose a file, or give a URL") in response.text


# ---------------------------------------------------------------------------- GET /v1/taxonomy


def expected_taxonomy(code: str) -> dict[str, list[dict[str, Any]]]:
    """The taxonomy as unspin.i18n translates it into ``code``, item by item."""
    tables = {
        "categories": taxonomy.CATEGORIES,
        "techniques": taxonomy.TECHNIQUES,
        "frames": taxonomy.FRAMES,
        "genres": taxonomy.GENRES,
    }
    with ui_language(code):
        return {
            kind: [
                {**entry, **_texts(localized(item))} for entry, item in zip(english, tables[kind].values(), strict=True)
            ]
            for kind, english in taxonomy.to_dict().items()
        }


def _texts(item: Any) -> dict[str, str]:
    return {name: getattr(item, name) for name in ("name", "definition", "example") if hasattr(item, name)}


@pytest.mark.parametrize("code", UI_LANGUAGES)
def test_the_taxonomy_answers_in_the_requested_language(client: TestClient, code: str) -> None:
    response = client.get(f"/v1/taxonomy?lang={code}")
    assert response.status_code == 200, response.text
    assert response.headers["content-language"] == code
    assert {v.strip() for v in response.headers["vary"].split(",")} >= {"Accept-Language", "Cookie"}
    body = response.json()
    assert body == expected_taxonomy(code)
    loaded = taxonomy.TECHNIQUES["Loaded_Language"]
    by_label = {t["label"]: t for t in body["techniques"]}
    assert by_label["Loaded_Language"]["name"] == translated(code, loaded.name)
    # Labels, keys, categories and colours are the same in every language.
    english = taxonomy.to_dict()
    for kind in english:
        for ours, theirs in zip(body[kind], english[kind], strict=True):
            assert {k: v for k, v in ours.items() if k not in ("name", "definition", "example")} == {
                k: v for k, v in theirs.items() if k not in ("name", "definition", "example")
            }


def test_the_taxonomy_follows_accept_language_and_defaults_to_english(client: TestClient) -> None:
    assert client.get("/v1/taxonomy").json() == taxonomy.to_dict()
    assert client.get("/v1/taxonomy").headers["content-language"] == "en"
    russian = client.get("/v1/taxonomy", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert russian.headers["content-language"] == "ru"
    assert russian.json() == expected_taxonomy("ru")
    unknown = client.get("/v1/taxonomy?lang=xx")
    assert unknown.status_code == 200 and unknown.headers["content-language"] == "en"
    assert unknown.json() == taxonomy.to_dict()


def test_the_lang_parameter_of_the_taxonomy_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/taxonomy"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "lang"]
    assert parameter["in"] == "query" and not parameter.get("required", False)
    assert all(code in parameter["description"] for code in UI_LANGUAGES)
    assert "Content-Language" in operation["responses"]["200"]["headers"]
    reference = client.get("/docs")
    assert "<code>lang</code>" in reference.text and reference.headers["content-language"] == "en"


# ---------------------------------------------------------------------------- nothing left unmarked

# A pseudo-language: every message the pages translate comes back bracketed, so what is left
# outside brackets was never marked. What may stay as it is: names, codes, symbols, numbers.
OPEN, CLOSE = "⟦", "⟧"
UNTRANSLATED = {"unspin", "API", "UTC", "#", "·", "HTML", "JSON", "Lines", "CSV", "TSV", "https", "en"}
UNTRANSLATED |= set(UI_LANGUAGE_NAMES.values())
ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-busy", "data-copied")


class Bracketing(gettext_module.NullTranslations):
    def gettext(self, message: str) -> str:
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"{OPEN}{singular if n == 1 else plural}{CLOSE}"


class Leftovers(HTMLParser):
    """The words of a page outside any bracketed message (scripts, styles and what was typed into forms aside)."""

    SKIPPED = ("script", "style", "textarea")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping.append(tag)
        self.texts.extend(value or "" for name, value in attrs if name in ATTRIBUTES)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.texts.append(data)

    def unmarked(self) -> set[str]:
        text = "".join(self.texts)
        previous = None
        while previous != text:  # messages inside messages, innermost first
            previous, text = text, re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)
        words = set(re.findall(r"[^\s.,:;()!?…/]+", text.replace(CLOSE, " "))) - UNTRANSLATED
        return {w for w in words if not re.fullmatch(r"[A-Z]{2}|[0-9a-f\-%]+|https?://", w)}


def unmarked_words(response: httpx.Response) -> set[str]:
    leftovers = Leftovers()
    leftovers.feed(response.text)
    return leftovers.unmarked()


@pytest.fixture
def bracketed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every language but English translates into the bracketing pseudo-language."""
    monkeypatch.setattr(unspin.i18n, "translations", lambda code: Bracketing())


def test_every_word_of_the_pages_is_marked(client: TestClient, bracketed: None) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    job = runtime.jobs.create(io.BytesIO(b"http://example.org/a\n"), "urls", owner=None)  # queued: no model
    pages = {
        "/": 200,
        "/compare": 200,
        "/jobs": 200,
        f"/jobs/{job['id']}": 200,
        f"/jobs/{job['id']}/delete": 200,
        "/corpus/compare": 200,
        "/a/0123456789abcdef0123456789abcdef": 404,
        f"/jobs/{job['id']}/results/0": 422,
        "/jobs/no-such-job": 404,
    }
    for path, status in pages.items():
        response = client.get(path, headers={"Accept-Language": "fr"})
        assert response.status_code == status, (path, response.text)
        assert unmarked_words(response) == set(), path
    posted = {
        "/analyze": {"url": "not a url"},
        "/jobs": {"urls": "ftp://example.org/x"},
    }
    for path, form in posted.items():
        response = client.post(path, data=form, headers={"Accept-Language": "fr"})
        assert response.status_code in (422, 503), (path, response.text)
        assert OPEN in response.text
        assert unmarked_words(response) - _detail_words(response) == set(), path
    status = client.get(f"/jobs/{job['id']}/status", headers={"Accept-Language": "fr"}).json()
    assert status["status"] == "queued" and status["status_text"] == f"{OPEN}queued{CLOSE}"
    assert status["counts"].startswith(OPEN) and status["title"] == f"{OPEN}Job {job['id'][:8]}{CLOSE}"


def test_the_sign_in_page_is_marked(tmp_path: Path, bracketed: None) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("a-long-enough-secret-key-for-tests\n")
    settings = Settings(data_dir=tmp_path / "data", model=tmp_path / "no-such-model", api_keys=keys)
    with TestClient(create_app(settings), base_url=LOCAL) as http:
        redirected = http.get("/jobs?lang=it", follow_redirects=False)
        assert redirected.status_code == 303
        response = http.get(redirected.headers["location"])
        assert response.status_code == 200 and Page(response.text).lang == "it"
        assert unmarked_words(response) == set()
        refused = http.post("/signin", data={"key": "not-the-key", "next": "/jobs"})
        assert refused.status_code == 401 and Page(refused.text).lang == "it"
        assert unmarked_words(refused) - _detail_words(refused) == set()


def _detail_words(response: httpx.Response) -> set[str]:
    """The words of an error's detail that comes from shared code (the JSON API's English, by design)."""
    found = re.search(r'role="alert"><p><strong>[^<]*</strong> ([^<]*)</p>', response.text)
    return set(re.findall(r"[^\s.,:;()!?…/]+", html.unescape(found.group(1)))) if found else set()
