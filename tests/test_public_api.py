"""The public API is what `unspin.__all__` says, and every name in it resolves."""

from __future__ import annotations

import unspin

PUBLIC = {
    "Analysis",
    "Analyzer",
    "Article",
    "BundleError",
    "InputError",
    "LabelScore",
    "OffsetError",
    "Paragraph",
    "ParagraphAnalysis",
    "ScoringError",
    "Span",
    "TechniqueScore",
    "UnspinError",
    "__version__",
    "load",
    "render_html",
    "render_terminal",
}


def test_all_is_pinned() -> None:
    assert set(unspin.__all__) == PUBLIC  # a change here is a change of the public API: say so in CHANGELOG.md


def test_every_public_name_resolves() -> None:
    for name in unspin.__all__:
        assert getattr(unspin, name) is not None
