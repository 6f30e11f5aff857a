"""Small hand-made analyses for the review tests: known texts, labels and confidences, no model."""

from __future__ import annotations

from unspin.analysis import Analysis, ParagraphAnalysis, Span, TechniqueScore
from unspin.article import Article

MODEL = {"name": "test-model", "version": "1"}

# (text, [(technique, confidence)], [(technique, fragment, confidence)]) per paragraph
Paragraphs = list[tuple[str, list[tuple[str, float]], list[tuple[str, str, float]]]]


def analysis(
    paragraphs: Paragraphs,
    *,
    source: str,
    language: str = "en",
    title: str | None = None,
    model: dict[str, str] = MODEL,
) -> Analysis:
    """An analysis of the paragraphs joined by blank lines; spans are found by substring in their paragraph."""
    text = "\n\n".join(p[0] for p in paragraphs)
    article = Article.from_text(text, source=source, language=language, title=title)
    analysed = []
    for (_, techniques, spans), p in zip(paragraphs, article.paragraphs, strict=True):
        found = []
        for technique, fragment, confidence in spans:
            start = text.index(fragment, p.start)
            found.append(Span(start, start + len(fragment), technique, confidence, fragment))
        analysed.append(
            ParagraphAnalysis(
                p.number, p.start, p.end, tuple(TechniqueScore(x, c) for x, c in techniques), tuple(found)
            )
        )
    return Analysis(
        article, "opinion", {"opinion": 0.8, "reporting": 0.1, "satire": 0.1}, (), {}, tuple(analysed), model
    )


def corpus(model: dict[str, str] = MODEL) -> list[Analysis]:
    """Four articles; their confidences (mean of paragraph label confidences) are 0.9, 0.6, None and 0.3."""
    return [
        analysis(
            [
                (
                    "The corrupt regime lies again today.",
                    [("Loaded_Language", 0.9)],
                    [("Loaded_Language", "corrupt", 0.9)],
                ),
                ("Officials said the plan works.", [], []),
            ],
            source="Beacon",
            title="sure",
            model=model,
        ),
        analysis(
            [
                ("Can we really trust these numbers at all?", [("Doubt", 0.55)], [("Doubt", "really trust", 0.55)]),
                ("A disastrous, shameful failure of a plan.", [("Loaded_Language", 0.65)], []),
            ],
            source="Herald",
            language="de",
            title="middling",
            model=model,
        ),
        analysis(
            [("The council met on Tuesday.", [], []), ("It adjourned at noon.", [], [])],
            source="Beacon",
            title="none",
            model=model,
        ),
        analysis(
            [
                (
                    "Our great nation stands proud and free.",
                    [("Flag_Waving", 0.3)],
                    [("Flag_Waving", "great nation", 0.3)],
                )
            ],
            source="Herald",
            title="unsure",
            model=model,
        ),
    ]
