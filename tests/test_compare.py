"""``unspin.compare``, the comparison page and ``unspin compare``: rates, pairing, JSON, escaping, user errors."""

from __future__ import annotations

import json
import re
import socket
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from unspin.analysis import Analysis, LabelScore, ParagraphAnalysis, Span, TechniqueScore
from unspin.article import Article
from unspin.cli import main
from unspin.compare import COMPARISON_SCHEMA, compare
from unspin.render.html import render_comparison_html

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "article-en.txt"
HOSTILE = "date 2022-03-11 They lie to you again! <script>alert(1)</script>\n\nOur land, our rules! Never surrender."


def labelled(text: str, *paragraph_labels: tuple[str, ...], spans: tuple[tuple[str, str], ...] = ()) -> Analysis:
    """An analysis of ``text`` with the given technique labels per paragraph and spans (technique, quoted text)."""
    article = Article.from_text(text, language="en")
    paragraphs = []
    for paragraph, labels in zip(article.paragraphs, paragraph_labels, strict=True):
        found = [(t, text.find(q, paragraph.start, paragraph.end), q) for t, q in spans]
        shown = tuple(Span(at, at + len(q), t, 0.9, q) for t, at, q in found if at >= 0)
        scores = tuple(TechniqueScore(label, 0.8) for label in labels)
        paragraphs.append(ParagraphAnalysis(paragraph.number, paragraph.start, paragraph.end, scores, shown))
    return Analysis(
        article,
        "opinion",
        {"opinion": 0.7, "reporting": 0.2, "satire": 0.1},
        (LabelScore("Political", 0.6),),
        {"Political": 0.6, "Economic": 0.3},
        tuple(paragraphs),
        thresholds={"technique": 0.5, "span": 0.5},
    )


# ---------------------------------------------------------------------------- the model


def test_rates_are_labelled_paragraphs_per_1000_words_and_the_difference_is_b_minus_a() -> None:
    a = labelled("one two three four\n\nfive six seven eight", ("Doubt", "Slogans"), ("Doubt",))  # 8 words
    b = labelled("one two three four", ("Slogans",))  # 4 words
    result = compare(a, b)
    rates = {r.label: r for r in result.techniques}
    assert (rates["Doubt"].paragraphs_a, rates["Doubt"].per_1000_words_a) == (2, 250.0)
    assert (rates["Doubt"].per_1000_words_b, rates["Doubt"].difference) == (0.0, -250.0)
    assert (rates["Slogans"].per_1000_words_a, rates["Slogans"].per_1000_words_b) == (125.0, 250.0)
    assert rates["Slogans"].difference == 125.0
    assert [r.label for r in result.techniques] == ["Doubt", "Slogans"]  # the largest difference first
    assert (result.a.words, result.b.words, result.a.paragraphs) == (8, 4, 2)


def test_a_category_counts_a_paragraph_once_whatever_its_techniques() -> None:
    a = labelled("one two three four", ("Name_Calling-Labeling", "Doubt"))  # both Attack on Reputation
    b = labelled("one two three four", ())
    categories = {r.label: r for r in compare(a, b).categories}
    assert len(categories) == 6
    assert categories["attack_on_reputation"].paragraphs_a == 1
    assert categories["attack_on_reputation"].per_1000_words_a == 250.0
    assert categories["call"].paragraphs_a == 0


def test_a_technique_shown_only_by_a_span_counts_as_used() -> None:
    a = labelled("They lie.", (), spans=(("Loaded_Language", "lie"),))
    b = labelled("We win.", ("Slogans",))
    result = compare(a, b)
    assert (result.only_in_a, result.only_in_b) == (("Loaded_Language",), ("Slogans",))
    loaded = next(r for r in result.techniques if r.label == "Loaded_Language")
    assert (loaded.spans_a, loaded.paragraphs_a, loaded.per_1000_words_a) == (1, 0, 0.0)


def test_paragraphs_pair_by_position_and_the_longer_article_goes_on_alone() -> None:
    a = labelled("One.\n\nTwo.\n\nThree.", ("Doubt",), (), ("Slogans",))
    b = labelled("Uno.", ("Slogans",))
    pairs = compare(a, b).paragraphs
    assert [(p.index, p.a, p.b) for p in pairs] == [(1, 1, 1), (2, 2, None), (3, 3, None)]
    assert (pairs[0].techniques_a, pairs[0].techniques_b, pairs[2].techniques_b) == (("Doubt",), ("Slogans",), ())


def test_genre_and_frames_carry_both_probabilities() -> None:
    a = labelled("One.", ())
    b = Analysis(a.article, "reporting", {"reporting": 0.9, "opinion": 0.1}, (), {"Economic": 0.8}, a.paragraphs)
    result = compare(a, b)
    genres = {g.label: (g.a, g.b, g.difference) for g in result.genres}
    assert genres["reporting"] == (0.2, 0.9, 0.7)
    assert genres["satire"] == (0.1, 0.0, -0.1)
    assert [f.label for f in result.frames] == ["Economic", "Political"]  # most probable in either first
    assert (result.a.genre, result.b.genre, result.a.frames, result.b.frames) == (
        "opinion",
        "reporting",
        ("Political",),
        (),
    )


def test_the_json_form_is_versioned_and_holds_both_sides() -> None:
    result = compare(labelled("They lie.", ("Doubt",)), labelled("We win.", ()), analysis_ids=("x1", None))
    document = json.loads(json.dumps(result.to_dict()))
    assert document["schema"] == COMPARISON_SCHEMA
    assert list(document) == [
        "schema",
        "a",
        "b",
        "techniques",
        "categories",
        "genres",
        "frames",
        "only_in_a",
        "only_in_b",
        "paragraphs",
    ]
    assert document["a"]["analysis_id"] == "x1"
    assert document["only_in_a"] == ["Doubt"]
    assert set(document["techniques"][0]) == {
        "label",
        "paragraphs_a",
        "paragraphs_b",
        "spans_a",
        "spans_b",
        "per_1000_words_a",
        "per_1000_words_b",
        "difference",
    }


def test_comparing_real_analyses_the_other_way_round_negates_the_differences(analyzer: Any) -> None:
    a, b = analyzer.analyze_many([EXAMPLE.read_text(encoding="utf-8"), HOSTILE])
    forward, backward = compare(a, b), compare(b, a)
    assert forward.only_in_a == backward.only_in_b
    assert forward.only_in_b == backward.only_in_a
    assert {r.label: r.difference for r in forward.techniques} == {r.label: -r.difference for r in backward.techniques}
    assert len(forward.paragraphs) == max(len(a.paragraphs), len(b.paragraphs))
    assert forward.techniques, "the example article uses techniques"


# ---------------------------------------------------------------------------- the HTML page


class _Page(HTMLParser):
    """Element ids, each text paragraph's characters, and anything that could load from elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.texts: dict[str, str] = {}
        self.loads: list[str] = []
        self._in_text: str | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "p" and "text" in (found.get("class") or "").split():
            self._in_text = str(found["id"])
            self.texts[self._in_text] = ""
        self.scripts += tag == "script"
        self.loads += [str(found[k]) for k in ("src", "href") if found.get(k) and tag in ("script", "link", "img")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_text = None

    def handle_data(self, data: str) -> None:
        if self._in_text:
            self.texts[self._in_text] += data


def test_the_page_shows_both_texts_exactly_escaped_and_loads_nothing(analyzer: Any) -> None:
    a, b = analyzer.analyze_many([EXAMPLE.read_text(encoding="utf-8"), HOSTILE])
    page = render_comparison_html(compare(a, b), a, b)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parsed = _Page()
    parsed.feed(page)
    assert len(parsed.ids) == len(set(parsed.ids)), "element ids repeat across the two articles"
    assert parsed.loads == [] and parsed.scripts == 1  # the report's script, inline and allowed by hash
    for prefix, analysis in (("a-", a), ("b-", b)):
        for p in analysis.article.paragraphs:
            assert parsed.texts[f"{prefix}p{p.number}"] == p.text
    assert re.search(r'<table class="diff" id="rates">', page)
    assert "B − A" in page and "Only in A" in page and "Only in B" in page


# ---------------------------------------------------------------------------- the command


def run_compare(*args: object) -> int:
    return main(["compare", *map(str, args)])


@pytest.fixture
def second_article(tmp_path: Path) -> Path:
    path = tmp_path / "second.txt"
    path.write_text(HOSTILE, encoding="utf-8")
    return path


def test_the_command_prints_the_terminal_view(
    model_path: Path, second_article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_compare(EXAMPLE, second_article, "--model", model_path) == 0
    out = capsys.readouterr().out
    assert "Techniques per 1,000 words" in out and "Only in A:" in out and "B − A" in out


def test_the_command_writes_json_to_stdout_and_html_to_a_file(
    model_path: Path, second_article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_compare(EXAMPLE, second_article, "--format", "json", "--model", model_path) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == COMPARISON_SCHEMA
    assert (document["a"]["article_id"], document["b"]["article_id"]) == ("article-en", "second")
    page = tmp_path / "comparison.html"
    assert run_compare(EXAMPLE, second_article, "-o", page, "--model", model_path) == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "&lt;script&gt;alert(1)" in html


def test_an_output_that_cannot_be_written_is_one_line_and_exit_1(
    model_path: Path, second_article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "missing" / "comparison.html"
    assert run_compare(EXAMPLE, second_article, "-o", page, "--model", model_path) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "cannot write the comparison: No such file or directory" in err and not page.parent.exists()


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no-such.txt"),
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary\xff\xfe" * 50, "bad.txt"),
        ("dir", "several"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    content: bytes | str | None, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / ("no-such.txt" if content is None else "bad.txt")
    if content == "dir":
        bad = tmp_path / "folder"
        bad.mkdir()
        (bad / "one.txt").write_text("One article.", encoding="utf-8")
    elif isinstance(content, bytes):
        bad.write_bytes(content)
    assert run_compare(EXAMPLE, bad) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert words in err


def test_a_url_that_fails_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_unused_port()}/article"
    assert run_compare(url, EXAMPLE, "--timeout", "5") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and url in err


@pytest.mark.parametrize(
    ("args", "words"),
    [(("-o", "out.csv"), "cannot tell the output format"), (("-f", "text", "-o", "x.json"), "terminal")],
)
def test_output_mistakes_are_usage_errors(
    args: tuple[str, ...], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_compare(EXAMPLE, EXAMPLE, *(tmp_path / a if "." in a else a for a in args)) == 2
    assert words in capsys.readouterr().err
