"""A displaCy-like terminal view: the article with spans underlined in category colours, then a summary."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..analysis import Analysis
from ..compare import Comparison, Rate, Side
from ..taxonomy import CATEGORIES, FRAMES, GENRES, TECHNIQUES, Category, Frame, Genre, Technique, category_of
from .confidence import confidence_word
from .segments import segments


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
            out.append(
                f" {TECHNIQUES[span.technique].name} {_confidence(span.confidence)} ", style=f"bold {colour} reverse"
            )
    return out


def _confidence(confidence: float) -> str:
    """``87% likely``: the number and its word (see :mod:`unspin.render.confidence`)."""
    return f"{confidence:.0%} {confidence_word(confidence)}"


def _evidence_lines(analysis: Analysis, index: int) -> list[Text]:
    """For a paragraph label without a span, the sentence that carries it."""
    paragraph = analysis.paragraphs[index]
    spanned = {s.technique for s in paragraph.spans}
    lines = []
    for t in paragraph.techniques:
        if t.technique not in spanned and t.evidence:
            sentence = " ".join(analysis.article.text[t.evidence[0] : t.evidence[1]].split())
            quote = sentence if len(sentence) <= 100 else sentence[:99] + "…"
            lines.append(Text(f"   {TECHNIQUES[t.technique].name}: “{quote}”", style=category_of(t.technique).colour))
    return lines


def _paragraph_block(analysis: Analysis, index: int) -> list[Text]:
    """The paragraph's labels, its highlighted text, and the evidence of labels without a span."""
    paragraph = analysis.paragraphs[index]
    labels = ", ".join(f"{TECHNIQUES[t.technique].name} {_confidence(t.confidence)}" for t in paragraph.techniques)
    heading = Text(f"¶{paragraph.number}  " + (labels or "no technique found"), style="dim italic")
    return [heading, _paragraph_text(analysis, index), *_evidence_lines(analysis, index)]


def render_terminal(analysis: Analysis) -> Group:
    """Build a rich renderable for one analysis."""
    article = analysis.article
    parts: list = []
    heading = Text(article.title or article.id or "Article", style="bold")
    meta = [m for m in (article.date and article.date.isoformat(), article.language, article.source) if m]
    if meta:
        heading.append("  " + " · ".join(meta), style="dim")
    parts.append(heading)
    genre_p = analysis.genre_probabilities[analysis.genre]
    genre = (
        f"uncertain (most likely {analysis.genre}, {genre_p:.0%})"
        if analysis.genre_uncertain
        else f"{analysis.genre} ({genre_p:.0%})"
    )
    frames = ", ".join(f"{FRAMES[f.label].name} {f.probability:.0%}" for f in analysis.frames)
    parts.append(Text(f"Genre: {genre}   Frames: {frames}", style="cyan"))
    for index in range(len(analysis.paragraphs)):
        parts.append(Text(""))
        parts += _paragraph_block(analysis, index)
    parts.append(Text(""))
    parts.append(summary_table(analysis))
    return Group(*parts)


def summary_table(analysis: Analysis) -> Table:
    summary = analysis.summary()
    table = Table(
        title=f"{summary['paragraphs_with_techniques']} of {summary['paragraphs']} paragraphs use a technique"
    )
    table.add_column("Technique")
    table.add_column("Category")
    table.add_column("Paragraphs", justify="right")
    table.add_column("Spans", justify="right")
    spans_per_technique: dict[str, int] = {}
    for span in analysis.spans:
        spans_per_technique[span.technique] = spans_per_technique.get(span.technique, 0) + 1
    for technique, count in sorted(summary["techniques"].items(), key=lambda kv: -kv[1]):
        category = category_of(technique)
        table.add_row(
            TECHNIQUES[technique].name,
            Text(category.name, style=category.colour),
            str(count),
            str(spans_per_technique.get(technique, 0)),
        )
    return table


def print_analysis(analysis: Analysis, console: Console) -> None:
    console.print(render_terminal(analysis))


def render_comparison_terminal(comparison: Comparison, a: Analysis, b: Analysis) -> Group:
    """Build a rich renderable of two compared analyses: rates, genre and frames, then the paragraphs side by side."""
    parts: list = [
        Text(f"{name}: {_side_line(side)}", style="bold") for name, side in (("A", comparison.a), ("B", comparison.b))
    ]
    parts += [Text(""), _rate_table("Category", comparison.categories, CATEGORIES)]
    parts += [Text(""), _rate_table("Technique", comparison.techniques, TECHNIQUES)]
    parts += [Text(""), _probability_table(comparison), Text("")]
    for name, only in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        parts.append(Text(f"Only in {name}: " + (", ".join(TECHNIQUES[t].name for t in only) or "none")))
    parts += [Text(""), _paragraph_table(comparison, a, b)]
    return Group(*parts)


def _side_line(side: Side) -> str:
    genre = "uncertain genre" if side.genre_uncertain else side.genre
    title = side.title or side.article_id or "Untitled"
    return f"{title} ({side.words:,} words, {side.paragraphs} paragraphs, {genre})"


def _rate_table(kind: str, rows: tuple[Rate, ...], names: Mapping[str, Category | Technique]) -> Table:
    plural = "Categories" if kind == "Category" else f"{kind}s"
    table = Table(title=f"{plural} per 1,000 words", caption="labelled paragraphs", title_justify="left")
    table.add_column(kind)
    for header in ("A", "B", "B − A"):
        table.add_column(header, justify="right")
    for row in rows:
        rates = (f"{row.per_1000_words_a:.1f}", f"{row.per_1000_words_b:.1f}", f"{row.difference:+.1f}")
        table.add_row(names[row.label].name, *rates)
    return table


def _probability_table(comparison: Comparison) -> Table:
    table = Table(title="Genre and frames: probability", title_justify="left")
    table.add_column("Label")
    for header in ("A", "B"):
        table.add_column(header, justify="right")
    names: Mapping[str, Genre | Frame] = {**GENRES, **FRAMES}
    for row in (*comparison.genres, *comparison.frames):
        table.add_row(names[row.label].name if row.label in names else row.label, f"{row.a:.0%}", f"{row.b:.0%}")
    return table


def _paragraph_table(comparison: Comparison, a: Analysis, b: Analysis) -> Table:
    """Paragraph i of A next to paragraph i of B; the longer article goes on alone."""
    table = Table("A", "B", show_lines=True, expand=True)
    for pair in comparison.paragraphs:
        table.add_row(*(_paragraph_cell(analysis, pair.index - 1) for analysis in (a, b)))
    return table


def _paragraph_cell(analysis: Analysis, index: int) -> Group | Text:
    return Group(*_paragraph_block(analysis, index)) if index < len(analysis.paragraphs) else Text("")
