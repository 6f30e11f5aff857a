"""The HTML report pages, checked as markup: escaping, exact text, self-containment, controls.

No model is needed: analyses are built by hand. ``example_analysis`` and ``hostile_analysis``
are also used by test_browser_report.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from unspin import Analysis, Article, InputError
from unspin.analysis import LabelScore, ParagraphAnalysis, Span, TechniqueScore
from unspin.render.confidence import CONFIDENCE_BANDS, confidence_word
from unspin.render.html import cue_words, render_html, render_index
from unspin.taxonomy import CATEGORIES, TECHNIQUES

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "unspin" / "render" / "templates"
BY_NAME = {t.name: t for t in TECHNIQUES.values()}
HOSTILE = '<script>alert(1)</script> <img src=x onerror=alert(1)> </textarea> "quotes" {{ jinja }} {% raw %}'


# ---------------------------------------------------------------- building analyses by hand


def build_analysis(
    article: Article,
    spans: list[tuple[str, str, float]],
    *,
    extra_techniques: dict[int, list[tuple[str, float, str | None]]] | None = None,
    genre: str = "opinion",
    frames: dict[str, float] | None = None,
) -> Analysis:
    """An Analysis whose spans are ``(fragment, technique, confidence)``; a fragment is found
    at its first occurrence (``"fragment#2"`` for the second), and paragraph techniques are the
    most confident span of each technique plus ``extra_techniques`` (by paragraph number), each
    ``(technique, confidence, evidence fragment or None)``."""
    text = article.text
    found: dict[int, list[Span]] = {p.number: [] for p in article.paragraphs}
    for fragment, label, confidence in spans:
        start, end = locate(text, fragment)
        paragraph = next(p for p in article.paragraphs if p.start <= start and end <= p.end)
        found[paragraph.number].append(Span(start, end, label, confidence, text[start:end]))
    paragraphs = []
    for p in article.paragraphs:
        best: dict[str, tuple[float, tuple[int, int] | None]] = {}
        for s in found[p.number]:
            best[s.technique] = (max(best.get(s.technique, (0.0, None))[0], s.confidence), None)
        for label, confidence, evidence in (extra_techniques or {}).get(p.number, []):
            best[label] = (confidence, locate(text, evidence) if evidence else None)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        techniques = tuple(TechniqueScore(t, c, evidence) for t, (c, evidence) in ranked)
        paragraphs.append(ParagraphAnalysis(p.number, p.start, p.end, techniques, tuple(found[p.number])))
    frames = frames if frames is not None else {"Political": 0.81, "Economic": 0.64, "Security_and_defense": 0.22}
    genre_probabilities = {"opinion": 0.05, "reporting": 0.05, "satire": 0.05, genre: 0.9}
    return Analysis(
        article,
        genre,
        genre_probabilities,
        tuple(LabelScore(label, p) for label, p in frames.items() if p >= 0.5),
        frames,
        tuple(paragraphs),
        {"name": "unspin-test", "version": "0.0"},
    )


def locate(text: str, fragment: str) -> tuple[int, int]:
    """The offsets of a fragment's first occurrence, or its n-th with ``"fragment#n"``."""
    fragment, _, occurrence = fragment.partition("#")
    start = -1
    for _ in range(int(occurrence or 1)):
        start = text.index(fragment, start + 1)
    return start, start + len(fragment)


EVIDENCE = "But all the statements only confirm that the so-called partners will not give up their plans!"
EXAMPLE_TEXT = (
    "date 2022-03-11 Sanctions pressure backfires on Europe's own households\n\n"
    "On 11 March, the leaders of the European Union met in Versailles to discuss new measures against "
    "Moscow. The West has launched an unprecedented sanctions pressure, which even its own experts admit "
    "doesnot work.\n\n"
    "Brussels bureaucrats, who never had to pay a heating bill themselves, now lecture ordinary families "
    'about "sacrifice". Either Europe stops this suicidal course, or it will freeze in the dark next '
    "winter.\n\n"
    "Every true patriot understands that our country will not bow to blackmail. But all the statements only "
    "confirm that the so-called partners will not give up their plans!\n\n"
    "Can anyone still believe the promises of politicians who inventedfor themselves a crisis they cannot "
    "control? Our land, our rules!"
)


def example_analysis() -> Analysis:
    """A realistic article (the project's own wording) dense in techniques, with overlaps."""
    article = Article.from_text(
        EXAMPLE_TEXT,
        id="example-0001",
        source="The Example Courier (fictional)",
        url="https://news.example.org/2022/03/11/sanctions",
        language="en",
    )
    return build_analysis(
        article,
        [
            ("unprecedented sanctions pressure", "Loaded_Language", 0.87),
            ("even its own experts admit doesnot work", "Appeal_to_Authority", 0.31),
            ("Brussels bureaucrats", "Name_Calling-Labeling", 0.91),
            (
                (
                    "Brussels bureaucrats, who never had to pay a heating bill themselves, now lecture ordinary families "
                    'about "sacrifice"'
                ),
                "Appeal_to_Hypocrisy",
                0.55,
            ),
            ("suicidal course", "Loaded_Language", 0.83),
            (
                "Either Europe stops this suicidal course, or it will freeze in the dark next winter",
                "False_Dilemma-No_Choice",
                0.74,
            ),
            ("it will freeze in the dark next winter", "Appeal_to_Fear-Prejudice", 0.66),
            ("Every true patriot understands that our country will not bow to blackmail", "Flag_Waving", 0.8),
            ("blackmail", "Loaded_Language", 0.62),
            ("so-called partners", "Name_Calling-Labeling", 0.7),
            ("Can anyone still believe the promises of politicians", "Doubt", 0.68),
            ("Our land, our rules!", "Slogans", 0.93),
        ],
        extra_techniques={4: [("Repetition", 0.12, EVIDENCE)]},
    )


def hostile_analysis() -> Analysis:
    """Markup, quotes and template syntax everywhere a string can go, CRs included."""
    text = f"{HOSTILE}\r\nwindow.__pwned = 1;\r\n\r\nPlain <b>bold</b> & done\rwith a lone CR."
    article = Article.from_text(
        text,
        id=f'"><script>window.__pwned=1</script>{HOSTILE}',
        title=f"{HOSTILE} title",
        source=f"{HOSTILE} source",
        url="javascript:window.__pwned=1",
        language='en" onfocus="alert(1)',
    )
    return build_analysis(
        article,
        [
            ("<script>alert(1)</script>", "Loaded_Language", 0.9),
            ("<img src=x onerror=alert(1)>", "Doubt", 0.4),
            ('</textarea> "quotes" {{ jinja }}', "Slogans", 0.7),
            ("<b>bold</b> & done\rwith", "Exaggeration-Minimisation", 0.6),
        ],
        frames={"<b>Political</b>": 0.9, "Economic": 0.6},
    )


# ---------------------------------------------------------------- a small DOM from html.parser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag) and all(e.has(name.rstrip("_"), value) for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def has(self, name: str, value: str) -> bool:
        name = name.replace("_", "-")
        if name == "class":
            return value in (self.attrs.get("class") or "").split()
        return self.attrs.get(name) == value


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Element:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def example() -> Analysis:
    return example_analysis()


@pytest.fixture(scope="module")
def page(example: Analysis) -> str:
    return render_html(example)


@pytest.fixture(scope="module")
def dom(page: str) -> Element:
    return parse(page)


def paragraph_texts(dom: Element) -> dict[str, str]:
    return {p.attrs["id"]: p.text() for p in dom.find("main").find_all("p", class_="text")}


def test_article_text_round_trips_exactly(example: Analysis, dom: Element) -> None:
    texts = paragraph_texts(dom)
    text = example.article.text
    assert texts == {f"p{p.number}": text[p.start : p.end] for p in example.paragraphs}


@pytest.mark.parametrize("parse_as", ["plain", "semeval"])
def test_carriage_returns_are_kept(parse_as: str) -> None:
    # A raw CR would reach a browser's DOM as LF; the page writes it as &#13; instead.
    text = "Title line\r\n\r\nFirst\r\nsecond line\rlone CR.\r\n\r\nLast\r\n"
    article = (
        Article.from_semeval(text, language="en") if parse_as == "semeval" else Article.from_text(text, language="en")
    )
    assert any("\r" in p.text for p in article.paragraphs)
    analysis = build_analysis(article, [("second line\rlone", "Doubt", 0.5)])
    page = render_html(analysis)
    body = page[page.index('<main id="article"') : page.index("</main>")]
    assert "\r" not in body and "&#13;" in body
    assert paragraph_texts(parse(page)) == {f"p{p.number}": text[p.start : p.end] for p in analysis.paragraphs}


def test_hostile_article_is_escaped_everywhere() -> None:
    analysis = hostile_analysis()
    page = render_html(analysis)
    dom = parse(page)
    tags = {e.tag for e in dom.iter()}
    assert not tags & {"img", "textarea", "iframe", "object", "embed", "link", "base", "form", "b"}
    scripts = dom.find_all("script")
    assert len(scripts) == 1 and scripts[0].attrs == {}
    assert "__pwned" not in scripts[0].text() and "alert" not in scripts[0].text()
    for element in dom.iter():
        assert not [name for name in element.attrs if name.startswith("on")], element
        assert not (element.attrs.get("href") or "").lower().startswith("javascript")
    assert dom.find("title").text() == f"{HOSTILE} title · unspin report"
    assert dom.find("h1").text() == f"{HOSTILE} title"
    assert f"{HOSTILE} source" in dom.find("dl").text()
    assert "javascript:window.__pwned=1" in dom.find("dl").text()  # shown, never a link
    assert {p.attrs["lang"] for p in dom.find_all("p", class_="text")} == {'en" onfocus="alert(1)'}
    assert "<b>Political</b>" in dom.find("section", class_="overview").text()
    text = analysis.article.text
    assert paragraph_texts(dom) == {f"p{p.number}": text[p.start : p.end] for p in analysis.paragraphs}
    assert "{{ jinja }}" in page.replace("&#34;", '"') and "{% raw %}" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_no_external_references(page: str) -> None:
    index = render_index([example_analysis(), hostile_analysis()], ["a.html", "b.html"])
    for html in (page, render_html(hostile_analysis()), index):
        assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.IGNORECASE)
        assert not re.search(r"<link\b", html, re.IGNORECASE)
        assert not re.search(r"\burl\s*\(", html, re.IGNORECASE)
        assert not re.search(r"@import|@font-face", html, re.IGNORECASE)
        head = html[: html.index("</head>")]
        assert "http:" not in head and "https:" not in head
        for element in parse(html).iter():
            assert not {"src", "srcset", "poster", "data", "action", "background", "xlink:href"} & set(element.attrs)
            assert "href" not in element.attrs or element.tag == "a"  # links, followed only when clicked


def test_content_security_policy_allows_only_the_inline_blocks(dom: Element) -> None:
    policy = dom.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in policy
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        digest = base64.b64encode(hashlib.sha256(dom.find(tag).text().encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy


def test_script_never_parses_markup() -> None:
    source = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "Function(",
        "textContent = text",
        'setAttribute("style',
    ):
        assert sink not in source


def test_every_highlight_is_focusable_with_a_tooltip(example: Analysis, dom: Element) -> None:
    marks = dom.find("main").find_all("mark")
    assert marks
    for mark in marks:
        assert mark.attrs["tabindex"] == "0"
        assert mark.attrs["data-show"] in CATEGORIES
        tip = dom.find(id=mark.attrs["aria-describedby"])
        assert tip.attrs["role"] == "tooltip" and "hidden" in tip.attrs
        for entry in tip.find_all("li"):
            technique = BY_NAME[entry.find("strong").text()]
            assert technique.definition in entry.text()
            assert f"{float(entry.attrs['data-confidence']):.0%} confidence" in entry.text()
    listed = {e.attrs["data-span"] for e in dom.find("div", id="tips").find_all("li")}
    assert len(listed) == len(example.spans)


def tooltip_of(dom: Element, text: str) -> Element:
    mark = next(m for m in dom.find("main").find_all("mark") if m.text() == text)
    return dom.find(id=mark.attrs["data-tip"])


def test_tooltip_says_why(dom: Element) -> None:
    entry = tooltip_of(dom, "unprecedented sanctions pressure").find("li")
    loaded = TECHNIQUES["Loaded_Language"]
    assert entry.find("p", class_="why-def").text() == loaded.definition
    assert entry.find("p", class_="why-example").text() == f"Example: {loaded.example}"
    assert entry.find("p", class_="tip-cues").text() == "Cue words: unprecedented, sanctions, pressure"
    assert entry.find("p", class_="tip-head").text().endswith("Loaded language likely (87% confidence)")
    for text, word in (("Our land, our rules!", "likely"), ("even its own experts admit doesnot work", "unlikely")):
        assert tooltip_of(dom, text).find("span", class_="conf-word").text() == word


@pytest.mark.parametrize(
    ("confidence", "word"),
    [
        (1.0, "likely"),
        (0.7, "likely"),
        (0.6999, "possible"),
        (0.4, "possible"),
        (0.3999, "unlikely"),
        (0.0, "unlikely"),
    ],
)
def test_confidence_words_follow_the_bands(confidence: float, word: str) -> None:
    assert confidence_word(confidence) == word
    assert [bound for bound, _ in CONFIDENCE_BANDS] == sorted((bound for bound, _ in CONFIDENCE_BANDS), reverse=True)


def test_cue_words_are_the_spans_own_content_words() -> None:
    assert cue_words("Either Europe stops this suicidal course, or it will freeze") == (
        "Europe",
        "stops",
        "suicidal",
        "course",
        "freeze",
    )
    assert cue_words("so-called partners, Partners and 2022") == ("so-called", "partners")  # once each, no numbers
    assert cue_words("Они лгали о войне, они лгали о деньгах") == ("лгали", "войне", "деньгах")
    assert len(cue_words(" ".join(f"word{n}x" for n in range(20)))) == 6
    assert cue_words("and the of") == ()


def test_margin_notes_say_why(dom: Element) -> None:
    notes = dom.find("aside", class_="notes", aria_label="Techniques in paragraph 4").find_all("li")
    summaries = [note.find("summary").text().strip() for note in notes]
    assert summaries == [
        "Flag waving 80% likely",
        "Name calling or labelling 70% likely",
        "Loaded language 62% possible",
        "Repetition 12% unlikely",
    ]
    repetition = notes[3].find("details", class_="why")
    assert TECHNIQUES["Repetition"].definition in repetition.text()
    assert TECHNIQUES["Repetition"].example in repetition.text()


def test_label_without_span_links_its_evidence_sentence(dom: Element) -> None:
    note = next(n for n in dom.find_all("li") if n.attrs.get("data-evidence"))
    link = note.find("a", class_="evidence")
    assert link.attrs["href"] == "#p4-e1" == "#" + note.attrs["data-evidence"]
    assert link.find("q").text() == EVIDENCE
    sentence = dom.find("span", id="p4-e1")
    assert sentence.attrs["class"] == "evidence-target" and sentence.text() == EVIDENCE
    assert sentence in dom.find("p", id="p4").children
    assert [m.text() for m in sentence.find_all("mark")] == ["so-called partners"]  # highlights inside still work


def test_evidence_sentence_across_a_span_splits_its_highlight() -> None:
    # The slogan runs from the first sentence into the evidence sentence of a label without a span.
    article = Article.from_text("They will never win. Our land, our rules! Vote now.", language="en")
    analysis = build_analysis(
        article,
        [("never win. Our land", "Slogans", 0.9)],
        extra_techniques={1: [("Doubt", 0.5, "Our land, our rules!"), ("Repetition", 0.3, "rules! Vote")]},
    )
    dom = parse(render_html(analysis))
    paragraph = dom.find("p", id="p1")
    assert paragraph.text() == article.text
    sentence = dom.find("span", id="p1-e1")
    assert sentence.text() == "Our land, our rules!"
    marks = paragraph.find_all("mark")
    assert [m.text() for m in marks] == ["never win. ", "Our land"]
    assert [m.attrs.get("data-end") for m in marks] == [None, "C"]  # the letter once, where the span ends
    assert marks[1] in sentence.children
    tips = [dom.find(id=m.attrs["data-tip"]).find("li").attrs["data-span"] for m in marks]
    assert tips[0] == tips[1]  # both halves are the same span
    # A sentence overlapping another cannot be an element of its own: its note quotes it, without a link.
    repetition = next(n for n in dom.find_all("li") if "Repetition" in n.text())
    assert repetition.find("q", class_="evidence").text() == "rules! Vote" and not repetition.find_all("a")


def test_compact_header_puts_the_article_first(dom: Element) -> None:
    line = dom.find("p", class_="glance-line").text()
    assert line == "Genre: Opinion (90%) · Frames: Political, Economic"
    details = dom.find("details", class_="overview-more")
    assert "open" not in details.attrs  # the charts are folded
    assert dom.find("section", class_="overview") in details.children
    body = dom.find("div", class_="page").children
    positions = [i for i, c in enumerate(body) if isinstance(c, Element) and c.tag in ("div", "section", "main")]
    order = [body[i].attrs.get("class", "").split()[0] for i in positions]
    assert order == ["glance", "controls", "article"]


def test_uncertain_genre_and_no_frames_in_the_header(example: Analysis) -> None:
    analysis = replace(build_analysis(example.article, [], frames={}), genre_uncertain=True)
    line = parse(render_html(analysis)).find("p", class_="glance-line").text()
    assert line == "Genre: uncertain (most likely Opinion (90%)) · Frames: none predicted"


def test_footer_explains_the_words(dom: Element) -> None:
    footer = dom.find("footer").text()
    assert "In words: likely from 70%, possible from 40%, unlikely below." in footer
    assert "Cue words are" in footer


def test_overlapping_spans_share_one_element(dom: Element) -> None:
    # "suicidal course" is inside the false dilemma: that piece is one mark listing both.
    mark = next(m for m in dom.find("main").find_all("mark") if m.text() == "suicidal course")
    entries = dom.find(id=mark.attrs["data-tip"]).find_all("li")
    assert [e.find("strong").text() for e in entries] == ["Loaded language", "False dilemma or no choice"]
    assert mark.attrs["data-show"] == "manipulative_wording"  # the most confident span's colour
    assert mark.attrs["data-end"] == "M"  # only the loaded language span ends here
    # The false dilemma and the appeal to fear end together, after "next winter".
    last = next(m for m in dom.find("main").find_all("mark") if m.text() == "it will freeze in the dark next winter")
    assert last.attrs["data-end"] == "SJ"


def test_slider_and_category_toggles_are_labelled(dom: Element) -> None:
    slider = dom.find("input", type="range")
    assert (slider.attrs["min"], slider.attrs["max"], slider.attrs["value"]) == ("0", "1", "0")
    assert dom.find("label", for_=slider.attrs["id"]).text() == "Minimum confidence"
    boxes = dom.find_all("input", type="checkbox")
    assert [b.attrs["value"] for b in boxes] == list(CATEGORIES)
    labels = dom.find("fieldset").find_all("label")
    for box, label, category in zip(boxes, labels, CATEGORIES.values(), strict=False):
        assert box in label.children and category.name in label.text() and "checked" in box.attrs


def test_margin_notes_list_paragraph_techniques(example: Analysis, dom: Element) -> None:
    notes = dom.find_all("aside", class_="notes")
    assert len(notes) == len(example.paragraphs)
    fourth = notes[3].text()
    assert "Flag waving" in fourth and "80%" in fourth and "Repetition" in fourth and "12%" in fourth
    assert "No technique found." in notes[0].text()  # the headline paragraph


def test_overview_shows_metadata_genre_frames_and_counts(example: Analysis, dom: Element) -> None:
    header = dom.find("header").text()
    for value in ("2022-03-11", "en", "The Example Courier (fictional)", "example-0001"):
        assert value in header
    assert dom.find("a", href="https://news.example.org/2022/03/11/sanctions").attrs["rel"] == "noopener noreferrer"
    overview = dom.find("section", class_="overview")
    chosen = [row.find("th").text() for row in overview.find_all("tr", class_="chosen")]
    assert chosen == ["Opinion predicted", "Political predicted", "Economic predicted"]
    techniques = overview.find_all("table")[2]
    first = techniques.find("tbody").find_all("tr")[0]
    assert "Loaded language" in first.text() and [c.text() for c in first.find_all("td", class_="num")] == ["3", "3"]


def test_page_is_responsive_and_printable(page: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert re.search(r"@media screen and \(max-width: [\d.]+rem\)", page) and "@media print" in page


def test_unknown_technique_is_an_input_error(example: Analysis) -> None:
    paragraph = example.paragraphs[1]
    wrong = ParagraphAnalysis(
        paragraph.number, paragraph.start, paragraph.end, (TechniqueScore("Loaded_Langauge", 0.9),), ()
    )
    bad = Analysis(
        example.article,
        example.genre,
        example.genre_probabilities,
        example.frames,
        example.frame_probabilities,
        (wrong,),
    )
    with pytest.raises(InputError, match="did you mean 'Loaded_Language'"):
        render_html(bad)
    with pytest.raises(InputError, match="did you mean 'Loaded_Language'"):
        render_index([bad], ["bad.html"])


def test_from_dict_round_trip_renders_the_same(example: Analysis, page: str) -> None:
    assert render_html(Analysis.from_dict(example.to_dict())) == page


def test_index_links_every_article_and_summarises_the_corpus() -> None:
    analyses = [example_analysis(), hostile_analysis()]
    page = render_index(analyses, ["articles/example.html", 'articles/"odd" & <name>.html'])
    dom = parse(page)
    links = dom.find("table", class_="articles").find_all("a")
    assert [a.attrs["href"] for a in links] == ["articles/example.html", 'articles/"odd" & <name>.html']
    assert links[0].text() == "Sanctions pressure backfires on Europe's own households"
    assert links[1].text() == f"{HOSTILE} title"
    assert dom.find_all("script") == []
    assert "script-src 'none'" in dom.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    overview = dom.find("section", class_="overview")
    headings = [h.text() for h in overview.find_all("h2")]
    assert headings == ["Techniques by count", "Categories", "Genres", "Frames"]
    rows = {
        r.find("th").text().strip(): [c.text() for c in r.find_all("td", class_="num")]
        for r in overview.find_all("table")[0].find("tbody").find_all("tr")
    }
    assert rows["Loaded language"] == ["4", "2"]
    assert rows["Name calling or labelling"] == ["2", "1"]
    frames = {
        r.find("th").text(): r.find("td", class_="num").text() for r in overview.find_all("table")[3].find_all("tr")[1:]
    }
    assert frames == {"Political": "1", "Economic": "2", "<b>Political</b>": "1"}
    corpus = dom.find("dl").text()
    assert "Spans16" in corpus.replace(" ", "")


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " JavaScript:x"])
def test_index_refuses_unsafe_links(link: str) -> None:
    with pytest.raises(InputError, match="relative path"):
        render_index([example_analysis()], [link])


def test_index_needs_one_link_per_analysis() -> None:
    with pytest.raises(InputError, match="one link per analysis"):
        render_index([example_analysis()], [])
