"""A displaCy-like terminal view: the article with spans underlined in category colours, then a summary.

Its words are in the interface language (:mod:`unspin.i18n`), the article's text as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..analysis import Analysis
from ..compare import Comparison, Rate, Side
from ..i18n import N_, gettext, ngettext
from ..taxonomy import CATEGORIES, FRAMES, GENRES, TECHNIQUES, Category, Frame, Genre, Technique, category_of
from .confidence import confidence_word
from .interface import speaks
from .segments import segments

__all__ = ["print_analysis", "render_comparison_terminal", "render_terminal", "summary_table"]


def _technique(label: str) -> str:
    """A technique's name in the interface language."""
    return gettext(TECHNIQUES[label].name)


def _paragraph_text(analysis: Analysis, index: int) -> Text:
    """The paragraph with spans on their category colour, each followed by its label."""
    paragraph = analysis.paragraphs[index]
    text = analysis.article.text
    out = Text()
    for piece in segments(text, paragraph.spans, paragraph.start, paragraph.end):
        chunk = text[piece.start : piece.end].replace("\r", "")
        style = f"black on {category_of(piece.spans[0].technique).colour}" if piece.spans else ""
        out.append(chunk, style=style)
        for span in (s for s in piece.spans if s.end == piece.end):
            colour = category_of(span.technique).colour
            out.append(f" {_technique(span.technique)} {_confidence(span.confidence)} ", style=f"bold {colour} reverse")
    return out


def _confidence(confidence: float) -> str:
    """``87% likely``: the number and its word (see :mod:`unspin.render.confidence`)."""
    return f"{confidence:.0%} {gettext(confidence_word(confidence))}"


def _evidence_lines(analysis: Analysis, index: int) -> list[Text]:
    """For a paragraph label without a span, the sentence that carries it."""
    paragraph = analysis.paragraphs[index]
    spanned = {s.technique for s in paragraph.spans}
    lines = []
    for t in paragraph.techniques:
        if t.technique not in spanned and t.evidence:
            sentence = " ".join(analysis.article.text[t.evidence[0] : t.evidence[1]].split())
            quote = sentence if len(sentence) <= 100 else sentence[:99] + "…"
            line = gettext("%(technique)s: “%(quote)s”") % {"technique": _technique(t.technique), "quote": quote}
            lines.append(Text(f"   {line}", style=category_of(t.technique).colour))
    return lines


def _paragraph_block(analysis: Analysis, index: int) -> list[Text]:
    """The paragraph's labels, its highlighted text, and the evidence of labels without a span."""
    paragraph = analysis.paragraphs[index]
    labels = ", ".join(f"{_technique(t.technique)} {_confidence(t.confidence)}" for t in paragraph.techniques)
    heading = Text(f"¶{paragraph.number}  " + (labels or gettext("no technique found")), style="dim italic")
    return [heading, _paragraph_text(analysis, index), *_evidence_lines(analysis, index)]


@speaks
def render_terminal(analysis: Analysis, *, ui_language: str | None = None) -> Group:
    """Build a rich renderable for one analysis, its words in ``ui_language`` (default: the current one)."""
    article = analysis.article
    parts: list = []
    heading = Text(article.title or article.id or gettext("Article"), style="bold")
    meta = [m for m in (article.date and article.date.isoformat(), article.language, article.source) if m]
    if meta:
        heading.append("  " + " · ".join(meta), style="dim")
    parts.append(heading)
    genre_p = analysis.genre_probabilities[analysis.genre]
    values = {"genre": _name(analysis.genre, GENRES), "percent": f"{genre_p:.0%}"}
    genre = (
        gettext("uncertain (most likely %(genre)s, %(percent)s)") % values
        if analysis.genre_uncertain
        else "{genre} ({percent})".format(**values)
    )
    frames = ", ".join(f"{_name(f.label, FRAMES)} {f.probability:.0%}" for f in analysis.frames)
    line = gettext("Genre: %(genre)s   Frames: %(frames)s") % {"genre": genre, "frames": frames}
    parts.append(Text(line, style="cyan"))
    for index in range(len(analysis.paragraphs)):
        parts.append(Text(""))
        parts += _paragraph_block(analysis, index)
    parts.append(Text(""))
    parts.append(summary_table(analysis))
    return Group(*parts)


def _name(label: str, table: Mapping[str, Genre | Frame]) -> str:
    """A genre's or frame's name in the interface language; an unknown label as given."""
    return gettext(table[label].name) if label in table else label


@speaks
def summary_table(analysis: Analysis, *, ui_language: str | None = None) -> Table:
    """The techniques of one analysis: paragraphs and spans each, most used first."""
    summary = analysis.summary()
    title = ngettext(
        "%(flagged)s of %(num)s paragraph uses a technique",
        "%(flagged)s of %(num)s paragraphs use a technique",
        summary["paragraphs"],
    )
    table = Table(title=title % {"flagged": summary["paragraphs_with_techniques"], "num": summary["paragraphs"]})
    table.add_column(gettext("Technique"))
    table.add_column(gettext("Category"))
    table.add_column(gettext("Paragraphs"), justify="right")
    table.add_column(gettext("Spans"), justify="right")
    spans_per_technique: dict[str, int] = {}
    for span in analysis.spans:
        spans_per_technique[span.technique] = spans_per_technique.get(span.technique, 0) + 1
    for technique, count in sorted(summary["techniques"].items(), key=lambda kv: -kv[1]):
        category = category_of(technique)
        table.add_row(
            _technique(technique),
            Text(gettext(category.name), style=category.colour),
            str(count),
            str(spans_per_technique.get(technique, 0)),
        )
    return table


@speaks
def print_analysis(analysis: Analysis, console: Console, *, ui_language: str | None = None) -> None:
    """Print the terminal view of one analysis on ``console``."""
    console.print(render_terminal(analysis))


@speaks
def render_comparison_terminal(
    comparison: Comparison, a: Analysis, b: Analysis, *, ui_language: str | None = None
) -> Group:
    """Build a rich renderable of two compared analyses: rates, genre and frames, then the paragraphs side by side.

    Its words are in ``ui_language`` (default: the current one).
    """
    parts: list = [
        Text(f"{name}: {_side_line(side)}", style="bold") for name, side in (("A", comparison.a), ("B", comparison.b))
    ]
    parts += [Text(""), _rate_table(_CATEGORY_RATES, comparison.categories, CATEGORIES)]
    parts += [Text(""), _rate_table(_TECHNIQUE_RATES, comparison.techniques, TECHNIQUES)]
    parts += [Text(""), _probability_table(comparison), Text("")]
    for name, only in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        names = ", ".join(_technique(t) for t in only) or gettext("none")
        parts.append(Text(gettext("Only in %(side)s: %(techniques)s") % {"side": name, "techniques": names}))
    parts += [Text(""), _paragraph_table(comparison, a, b)]
    return Group(*parts)


def _side_line(side: Side) -> str:
    genre = gettext("uncertain genre") if side.genre_uncertain else _name(side.genre, GENRES)
    title = side.title or side.article_id or gettext("Untitled")
    words = ngettext("%(num)s word", "%(num)s words", side.words) % {"num": f"{side.words:,}"}
    paragraphs = ngettext("%(num)s paragraph", "%(num)s paragraphs", side.paragraphs) % {"num": side.paragraphs}
    return f"{title} ({words}, {paragraphs}, {genre})"


# A rate table's title and its first column's heading, for categories and for techniques.
_CATEGORY_RATES = (N_("Categories per 1,000 words"), N_("Category"))
_TECHNIQUE_RATES = (N_("Techniques per 1,000 words"), N_("Technique"))


def _rate_table(headings: tuple[str, str], rows: tuple[Rate, ...], names: Mapping[str, Category | Technique]) -> Table:
    title, kind = headings
    table = Table(title=gettext(title), caption=gettext("labelled paragraphs"), title_justify="left")
    table.add_column(gettext(kind))
    for header in ("A", "B", "B − A"):
        table.add_column(header, justify="right")
    for row in rows:
        rates = (f"{row.per_1000_words_a:.1f}", f"{row.per_1000_words_b:.1f}", f"{row.difference:+.1f}")
        table.add_row(gettext(names[row.label].name), *rates)
    return table


def _probability_table(comparison: Comparison) -> Table:
    table = Table(title=gettext("Genre and frames: probability"), title_justify="left")
    table.add_column(gettext("Label"))
    for header in ("A", "B"):
        table.add_column(header, justify="right")
    names: Mapping[str, Genre | Frame] = {**GENRES, **FRAMES}
    for row in (*comparison.genres, *comparison.frames):
        table.add_row(_name(row.label, names), f"{row.a:.0%}", f"{row.b:.0%}")
    return table


def _paragraph_table(comparison: Comparison, a: Analysis, b: Analysis) -> Table:
    """Paragraph i of A next to paragraph i of B; the longer article goes on alone."""
    table = Table("A", "B", show_lines=True, expand=True)
    for pair in comparison.paragraphs:
        table.add_row(*(_paragraph_cell(analysis, pair.index - 1) for analysis in (a, b)))
    return table


def _paragraph_cell(analysis: Analysis, index: int) -> Group | Text:
    return Group(*_paragraph_block(analysis, index)) if index < len(analysis.paragraphs) else Text("")
