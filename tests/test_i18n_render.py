"""The interface language of the reports, the comparison page, the dashboard, the terminal views and the CLI.

Expected words are computed with :mod:`unspin.i18n` (``with ui_language("fr"): gettext(name)``),
never written here: the catalogues are filled apart from the code, and until they are,
English stands in for every language. To show that every visible word goes through gettext
whatever the catalogues hold, some tests render in a pseudo-language: French whose
"translation" of each message is the message in ⟦brackets⟧, so any unbracketed English left
on a page was never marked.
"""

from __future__ import annotations

import gettext as gettext_module
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import unspin.i18n
from test_render_html import build_analysis, example_analysis, parse
from unspin.analysis import Analysis
from unspin.article import Article
from unspin.cli import main
from unspin.compare import compare
from unspin.errors import InputError
from unspin.i18n import UI_LANGUAGES, gettext, ui_language
from unspin.render.dashboard import dashboard_messages, render_dashboard
from unspin.render.html import render_comparison_html, render_html, render_index
from unspin.render.terminal import render_comparison_terminal, render_terminal
from unspin.taxonomy import CATEGORIES, TECHNIQUES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "article-en.txt"
SECOND = ROOT / "examples" / "article-en-report.txt"
TEMPLATES = ROOT / "src" / "unspin" / "render" / "templates"
PLURAL_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


# ---------------------------------------------------------------- a pseudo-language


class Brackets(gettext_module.NullTranslations):
    """Every message "translated" into itself in ⟦brackets⟧, placeholders kept."""

    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return f"⟦{msgid1 if n == 1 else msgid2}⟧"


@pytest.fixture
def bracketed(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """Make a language's catalogue bracket every message."""
    real, pseudo = unspin.i18n.translations, set()
    monkeypatch.setattr(unspin.i18n, "translations", lambda code: Brackets() if code in pseudo else real(code))

    def bracket(code: str) -> str:
        pseudo.add(code)
        return code

    return bracket


@pytest.fixture
def pseudo_french(bracketed: Callable[[str], str]) -> str:
    return bracketed("fr")


class _Texts(HTMLParser):
    """The visible text nodes of a page and the attributes a person reads, each with whether it is the article's
    own text (inside an element with a ``lang`` attribute, below ``<html>``)."""

    SKIPPED = frozenset({"script", "style", "title"})
    READ = ("aria-label", "title", "data-empty", "placeholder", "alt")
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "base", "embed"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # tag, and whether it starts the article's own text
        self.found: list[tuple[str, bool]] = []

    def _article(self) -> bool:
        return any(own for _, own in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in self.READ:
            if values.get(name):
                self.found.append((str(values[name]), self._article()))
        if tag not in self.VOID:
            self.stack.append((tag, tag != "html" and "lang" in values))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(tag in self.SKIPPED for tag, _ in self.stack):
            self.found.append((data, self._article()))


def unmarked(page: str, data: set[str]) -> list[str]:
    """Text a person reads on ``page`` that is neither inside ⟦…⟧ nor article text nor one of ``data``.

    A bracket may span several text nodes (a message with markup in it) and nest (a message
    filled in with another).
    """
    parser = _Texts()
    parser.feed(page)
    left, depth = [], 0
    for text, article in parser.found:
        outside = []
        for character in text:
            depth += (character == "⟦") - (character == "⟧")
            outside.append(character if depth == 0 and character != "⟧" else " ")
        if article:
            continue
        rest = "".join(outside)
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        if re.search(r"[^\W\d_]{2,}", rest):  # a word of two letters or more: English nobody marked
            left.append(text.strip())
    return left


def article_data(analysis: Analysis) -> set[str]:
    """The values a page shows from the analysis itself: not words of the interface."""
    article = analysis.article
    values = {article.id, article.source, article.url, article.language, article.title, *analysis.model.values()}
    return {str(v) for v in values if v} | {"unspin", "A", "B"}


# ---------------------------------------------------------------- the report


def test_a_french_report_keeps_the_article_in_its_own_language() -> None:
    analysis = example_analysis()
    page = render_html(analysis, ui_language="fr")
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr"')
    dom = parse(page)
    texts = dom.find("main").find_all("p", class_="text")
    assert texts and {p.attrs["lang"] for p in texts} == {"en"}
    text = analysis.article.text
    assert {p.attrs["id"]: p.text() for p in texts} == {
        f"p{p.number}": text[p.start : p.end] for p in analysis.paragraphs
    }
    assert {e.attrs.get("lang") for e in dom.iter() if "tip-quote" in (e.attrs.get("class") or "")} == {"en"}


def test_technique_names_are_the_interface_languages() -> None:
    page = parse(render_html(example_analysis(), ui_language="fr"))
    with ui_language("fr"):
        names = {gettext(t.name) for t in TECHNIQUES.values()}
        categories = [gettext(c.name) for c in CATEGORIES.values()]
    tips = [strong.text() for tip in page.find_all("div", class_="tip") for strong in tip.find_all("strong")]
    assert tips and set(tips) <= names
    notes = [s.text() for aside in page.find_all("aside", class_="notes") for s in aside.find_all("summary")]
    assert notes and all(any(name in note for name in names) for note in notes)
    toggles = [label.text() for label in page.find("fieldset").find_all("label")]
    assert all(category in toggle for category, toggle in zip(categories, toggles, strict=True))


def test_the_context_language_is_the_default() -> None:
    with ui_language("it"):
        assert render_html(example_analysis()).startswith('<!DOCTYPE html>\n<html lang="it"')
        assert render_html(example_analysis(), ui_language="ru").startswith('<!DOCTYPE html>\n<html lang="ru"')


def test_an_unknown_interface_language_is_an_input_error() -> None:
    with pytest.raises(InputError, match="en, fr, de, it, pl, ru"):
        render_html(example_analysis(), ui_language="xx")


def test_every_word_of_the_report_is_marked(pseudo_french: str) -> None:
    analysis = example_analysis()
    page = render_html(analysis, ui_language=pseudo_french)
    assert unmarked(page, article_data(analysis)) == []
    dom = parse(page)
    assert dom.find("p", class_="status", id="shown-spans").text().startswith("⟦Showing")
    assert all(line.startswith("⟦") for line in dom.find("footer").text().strip().splitlines())
    assert "(70% means" in dom.find("footer").text()  # the message's %% is a percent sign


def test_every_word_of_the_index_is_marked(pseudo_french: str) -> None:
    analysis = example_analysis()
    page = render_index([analysis], ["a.html"], ui_language=pseudo_french)
    assert unmarked(page, article_data(analysis) | {"a.html"}) == []


def test_the_reports_script_finds_every_message_it_reads() -> None:
    dom = parse(render_html(example_analysis(), ui_language="pl"))
    messages = json.loads(dom.find("section", class_="controls").attrs["data-messages"] or "")
    read = set(re.findall(r'\bsay\("(\w+)"', (TEMPLATES / "report.js").read_text(encoding="utf-8")))
    assert read and read <= set(messages)
    assert all(isinstance(m, str) for m in messages.values())


# ---------------------------------------------------------------- the comparison page


def comparison_pair() -> tuple[Analysis, Analysis]:
    """The example article, and a short French one with a slogan."""
    french = Article.from_text("Ceci n'est qu'un essai.\n\nNos terres, nos règles !", id="deuxieme", language="fr")
    return example_analysis(), build_analysis(french, [("Nos terres", "Whataboutism", 0.9)], genre="reporting")


def test_every_word_of_the_comparison_page_is_marked(pseudo_french: str) -> None:
    a, b = comparison_pair()
    page = render_comparison_html(compare(a, b), a, b, ui_language=pseudo_french)
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr"')
    assert unmarked(page, article_data(a) | article_data(b)) == []
    texts = parse(page).find("main").find_all("p", class_="text")
    assert {p.attrs["lang"] for p in texts} == {"en", "fr"}  # each article keeps its own


def test_the_comparison_names_techniques_in_the_interface_language() -> None:
    a, b = comparison_pair()
    dom = parse(render_comparison_html(compare(a, b), a, b, ui_language="de"))
    with ui_language("de"):
        whataboutism = gettext(TECHNIQUES["Whataboutism"].name)
    only_b = dom.find("div", id="only-in").find_all("li")
    assert whataboutism in [li.text().strip() for li in only_b]


# ---------------------------------------------------------------- the terminal views


def terminal_text(renderable: Any) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_the_terminal_views_speak_the_interface_language(pseudo_french: str) -> None:
    analysis = example_analysis()
    text = terminal_text(render_terminal(analysis, ui_language=pseudo_french))
    for marked in ("⟦Genre: ", "⟦Technique⟧", "⟦Category⟧", "⟦Paragraphs⟧", "⟦Spans⟧", "paragraphs use a technique⟧"):
        assert marked in text
    assert "⟦Loaded language⟧" in text and "⟦likely⟧" in text  # names and confidence words
    a, b = comparison_pair()
    compared = terminal_text(render_comparison_terminal(compare(a, b), a, b, ui_language=pseudo_french))
    for marked in ("⟦Categories per 1,000 words⟧", "⟦Techniques per 1,000 words⟧", "⟦Genre and frames: probability⟧"):
        assert marked in compared
    assert "⟦Only in A: " in compared and "⟦Only in B: ⟦Whataboutism⟧⟧" in compared


def test_the_terminal_view_names_techniques_as_i18n_does() -> None:
    text = terminal_text(render_terminal(example_analysis(), ui_language="ru"))
    with ui_language("ru"):
        assert gettext(TECHNIQUES["Slogans"].name) in text and gettext("Technique") in text


# ---------------------------------------------------------------- the dashboard


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from unspin.corpus.views import build_dashboard
    from unspin.store import CorpusFilter, Store
    from unspin.store.synthetic import synthetic_analyses

    with Store(tmp_path_factory.mktemp("i18n-dashboard") / "corpus.db") as store:
        store.add(synthetic_analyses(60))
        return build_dashboard(store, CorpusFilter(), articles_limit=100)


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.json: dict[str, str] = {}
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self._id = values.get("id") if tag == "script" and values.get("type") == "application/json" else None

    def handle_data(self, data: str) -> None:
        if self._id:
            self.json[self._id] = self.json.get(self._id, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._id = None


def embedded_json(page: str) -> dict[str, Any]:
    parser = _Scripts()
    parser.feed(page)
    return {key: json.loads(text) for key, text in parser.json.items()}


def test_the_dashboards_script_finds_every_message_it_reads(dashboard: Any) -> None:
    page = render_dashboard(dashboard, ui_language="pl")
    assert '<html lang="pl"' in page
    messages = embedded_json(page)["dashboard-messages"]
    script = (TEMPLATES / "dashboard.js").read_text(encoding="utf-8")
    read = {key for key in re.findall(r'\bsay\("(\w+)"', script) if not key.endswith("_")}  # not say("n_" + unit)
    read |= {f"n_{unit}" for unit in re.findall(r'\bcount\("(\w+)"', script)}
    read |= {f"n_{unit}" for unit in re.findall(r'drawMatrix\([^;]*?"(\w+)", \w+Cell\)', script)}  # the unit passed on
    read |= {f"by_{period}" for period in ("day", "week", "month")}  # say("by_" + trends.period)
    read |= {"and_more"} if "andMore(" in script else set()
    assert {"n_paragraphs", "n_articles", "technique_in_source", "updating"} <= read
    assert read <= set(messages), read - set(messages)
    for key, message in messages.items():
        if isinstance(message, dict):  # a count's forms: one per plural category of Polish, "other" always
            assert {"one", "few", "many", "other"} <= set(message) <= PLURAL_CATEGORIES, key
        else:
            assert isinstance(message, str), key


def test_dashboard_labels_and_messages_follow_the_language(dashboard: Any) -> None:
    for code in UI_LANGUAGES:
        labels = embedded_json(render_dashboard(dashboard, ui_language=code))["dashboard-labels"]
        with ui_language(code):
            assert labels["techniques"]["Slogans"]["name"] == gettext(TECHNIQUES["Slogans"].name)
            assert dashboard_messages()["updating"] == gettext("Updating the charts…")


def test_every_word_of_the_dashboard_is_marked(dashboard: Any, pseudo_french: str) -> None:
    page = render_dashboard(dashboard, ui_language=pseudo_french)
    data = {*dashboard.options.sources, *dashboard.options.languages, dashboard.overview.model or "", "unspin"}
    data |= {a.title for a in dashboard.articles.articles if a.title} if dashboard.articles else set()
    data |= {item.label for item in dashboard.narratives.items}
    assert unmarked(page, data) == []
    messages = embedded_json(page)["dashboard-messages"]
    for key, message in messages.items():
        forms = message.values() if isinstance(message, dict) else [message]
        assert all(form.startswith("⟦") for form in forms), key


# ---------------------------------------------------------------- the command line


@pytest.fixture
def shared_analyzer(analyzer: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The commands analyse with the session's model instead of loading it again for each run."""
    import unspin.cli.analyze
    import unspin.cli.compare

    for module in (unspin.cli.analyze, unspin.cli.compare):
        monkeypatch.setattr(module, "load_analyzer", lambda model, threshold: analyzer)
    return analyzer


@pytest.mark.parametrize(
    "command",
    [
        ["analyze", str(EXAMPLE)],
        ["compare", str(EXAMPLE), str(SECOND)],
        ["corpus", "report", "-o", "{tmp}/dashboard.html", "--db", "{tmp}/corpus.db"],
    ],
    ids=["analyze", "compare", "corpus report"],
)
def test_an_unknown_interface_language_is_one_line_and_a_non_zero_exit(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [part.format(tmp=tmp_path) for part in command]
    assert main([*args, "--ui-language", "xx"]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "xx" in err and all(code in err for code in UI_LANGUAGES)
    assert not (tmp_path / "dashboard.html").exists()


def test_analyze_speaks_german_in_the_terminal_and_in_html(
    shared_analyzer: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(EXAMPLE), "--ui-language", "de", "--threshold", "0"]) == 0
    out = capsys.readouterr().out
    with ui_language("de"):
        assert gettext("Technique") in out and gettext("Paragraphs") in out
    page = tmp_path / "report.html"
    assert main(["analyze", str(EXAMPLE), "--ui-language", "de", "--format", "html", "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="de"')
    assert {p.attrs["lang"] for p in parse(html).find("main").find_all("p", class_="text")} == {"en"}


def test_json_output_is_language_neutral(shared_analyzer: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(EXAMPLE), "--format", "json"]) == 0
    english = json.loads(capsys.readouterr().out)
    assert main(["analyze", str(EXAMPLE), "--format", "json", "--ui-language", "ru"]) == 0
    assert json.loads(capsys.readouterr().out) == english


def test_compare_writes_an_italian_page(shared_analyzer: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(EXAMPLE), str(SECOND), "--ui-language", "it", "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert html.startswith('<!DOCTYPE html>\n<html lang="it"')
    with ui_language("it"):
        assert gettext("Two articles compared") in html


def test_the_environment_chooses_when_no_option_does(
    shared_analyzer: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UNSPIN_UI_LANGUAGE", "pl")
    assert main(["analyze", str(EXAMPLE), "--format", "html"]) == 0
    assert capsys.readouterr().out.startswith('<!DOCTYPE html>\n<html lang="pl"')
    assert main(["analyze", str(EXAMPLE), "--format", "html", "--ui-language", "fr"]) == 0  # the option wins
    assert capsys.readouterr().out.startswith('<!DOCTYPE html>\n<html lang="fr"')
    dashboard = tmp_path / "dashboard.html"
    assert main(["corpus", "report", "-o", str(dashboard), "--db", str(tmp_path / "corpus.db")]) == 0
    assert '<html lang="pl"' in dashboard.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the scripts, in a browser


def open_page(browser: Any, path: Path, html: str) -> tuple[Any, list[str]]:
    path.write_text(html, encoding="utf-8")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    return page, errors


def test_the_reports_script_writes_in_the_pages_language(browser: Any, pseudo_french: str, tmp_path: Path) -> None:
    page, errors = open_page(
        browser, tmp_path / "report.html", render_html(example_analysis(), ui_language=pseudo_french)
    )
    page.locator("#min-confidence").focus()
    page.keyboard.press("End")
    assert page.locator("#shown-spans").inner_text() == "⟦Showing 0 of 12 spans⟧"
    assert errors == []


def test_the_dashboards_script_chooses_plural_forms(
    browser: Any, dashboard: Any, bracketed: Callable[[str], str], tmp_path: Path
) -> None:
    html = render_dashboard(dashboard, ui_language=bracketed("pl"))  # Polish plural categories: one, few, many
    page, errors = open_page(browser, tmp_path / "dashboard.html", html)
    values = page.locator("#table-heatmap tbody button, #table-heatmap tbody td.zero")  # a zero is no button
    titles = values.evaluate_all("cells => cells.map(c => c.title)")
    counts = [int(title.split()[0].strip("⟦")) for title in titles]
    assert {0, 1, 2} <= set(counts)  # Polish "many", "one" and "few"
    assert titles and all(
        title == (f"⟦{n} paragraph⟧" if n == 1 else f"⟦{n} paragraphs⟧")
        for n, title in zip(counts, titles, strict=True)
    )
    assert page.locator("#articles-heading").inner_text() == "⟦Newest articles⟧"
    assert errors == []
