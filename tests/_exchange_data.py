"""An article with emoji, a multi-line paragraph and a model's analysis, and reviews of it, for the exchange tests."""

from __future__ import annotations

from unspin.analysis import Analysis, LabelScore, ParagraphAnalysis, Span, TechniqueScore
from unspin.article import Article
from unspin.review import Decision, SpanRef

# Paragraph 2 holds two lines; the emoji (one code point, two UTF-16 units) and the flag
# (two code points, four units) come before spans, so Label Studio's offsets differ from ours.
TEXT = (
    "Storm over the capital\n"
    "\n"
    "The minister said the plan is a disaster.\n"
    "Critics call him a traitor 😀 and worse.\n"
    "\n"
    "Everyone knows 🇺🇦 the truth: act now!\n"
)
OTHER_TEXT = TEXT.replace("Storm", "Sleet")
MODEL = {"name": "unspin-e5-small", "version": "1.0"}


def place(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def model_span(text: str, phrase: str, technique: str, confidence: float) -> Span:
    start, end = place(text, phrase)
    return Span(start, end, technique, confidence, phrase)


def analysed(text: str = TEXT, article_id: str | None = "doc-7") -> tuple[Article, Analysis]:
    """The article as plain text, and an analysis proposing four spans (two of them overlapping)."""
    article = Article.from_text(text, id=article_id, language="en")
    proposals = [
        model_span(text, "disaster", "Loaded_Language", 0.91),
        model_span(text, "traitor", "Name_Calling-Labeling", 0.83),
        model_span(text, "call him a traitor", "Loaded_Language", 0.42),
        model_span(text, "Everyone knows", "Appeal_to_Popularity", 0.61),
    ]
    paragraphs = tuple(
        ParagraphAnalysis(
            p.number,
            p.start,
            p.end,
            tuple(
                TechniqueScore(t, 0.7) for t in sorted({s.technique for s in proposals if p.start <= s.start < p.end})
            ),
            tuple(s for s in proposals if p.start <= s.start < p.end),
        )
        for p in article.paragraphs
    )
    analysis = Analysis(
        article=article,
        genre="opinion",
        genre_probabilities={"opinion": 0.7, "reporting": 0.2, "satire": 0.1},
        frames=(LabelScore("Political", 0.8),),
        frame_probabilities={"Political": 0.8},
        paragraphs=paragraphs,
        model=MODEL,
    )
    return article, analysis


def ref(text: str, phrase: str, technique: str) -> SpanRef:
    start, end = place(text, phrase)
    return SpanRef(start=start, end=end, technique=technique)


def full_decisions(text: str = TEXT) -> list[Decision]:
    """Every model span decided: accepted, relabelled, moved, rejected; a span added; labels set."""
    start, end = place(text, "a disaster")
    return [
        Decision(kind="accept", span=ref(text, "disaster", "Loaded_Language"), model_confidence=0.91),
        Decision(kind="adjust", span=ref(text, "disaster", "Loaded_Language"), start=start, end=end),
        Decision(kind="accept", span=ref(text, "traitor", "Name_Calling-Labeling"), model_confidence=0.83),
        Decision(
            kind="relabel", span=ref(text, "traitor", "Name_Calling-Labeling"), technique="Questioning_the_Reputation"
        ),
        Decision(kind="reject", span=ref(text, "call him a traitor", "Loaded_Language")),
        Decision(kind="reject", span=ref(text, "Everyone knows", "Appeal_to_Popularity")),
        Decision(kind="add", span=ref(text, "act now!", "Slogans")),
        Decision(kind="paragraph", paragraph=3, techniques=["Slogans", "Appeal_to_Popularity"]),
        Decision(kind="frames", frames=["Political", "Morality"]),
        Decision(kind="genre", genre="opinion"),
        Decision(kind="status", status="done"),
    ]


def semeval_decisions(text: str = TEXT) -> list[Decision]:
    """Only what SemEval files carry: accepted and added spans, paragraph labels the spans do not give."""
    return [
        Decision(kind="accept", span=ref(text, "disaster", "Loaded_Language"), model_confidence=0.91),
        Decision(kind="accept", span=ref(text, "traitor", "Name_Calling-Labeling"), model_confidence=0.83),
        Decision(kind="add", span=ref(text, "act now!", "Slogans")),
        Decision(kind="paragraph", paragraph=3, techniques=["Slogans", "Appeal_to_Popularity"]),
        Decision(kind="paragraph", paragraph=2, techniques=["Doubt"]),
        Decision(kind="frames", frames=["Political", "Morality"]),
        Decision(kind="genre", genre="opinion"),
        Decision(kind="status", status="done"),
    ]
