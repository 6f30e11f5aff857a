"""A displaCy-like terminal view: the article with spans underlined in category colours, then a summary."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..analysis import Analysis
from ..taxonomy import FRAMES, TECHNIQUES, category_of
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
            out.append(f" {TECHNIQUES[span.technique].name} {span.confidence:.0%} ", style=f"bold {colour} reverse")
    return out


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
    for index, paragraph in enumerate(analysis.paragraphs):
        parts.append(Text(""))
        labels = ", ".join(f"{TECHNIQUES[t.technique].name} {t.confidence:.0%}" for t in paragraph.techniques)
        parts.append(Text(f"¶{paragraph.number}  " + (labels or "no technique found"), style="dim italic"))
        parts.append(_paragraph_text(analysis, index))
        parts += _evidence_lines(analysis, index)
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
