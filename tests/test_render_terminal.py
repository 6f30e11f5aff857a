"""The terminal view, as plain text: labels with their confidence in numbers and words."""

from __future__ import annotations

from rich.console import Console

from test_render_html import example_analysis
from unspin.render.terminal import render_terminal


def test_confidences_come_with_their_words() -> None:
    console = Console(width=200, record=True, color_system=None)
    console.print(render_terminal(example_analysis()))
    text = console.export_text()
    assert "¶4  Flag waving 80% likely, Name calling or labelling 70% likely, Loaded language 62% possible" in text
    assert "Repetition 12% unlikely" in text
    assert " Slogans 93% likely " in text  # the label after the span
