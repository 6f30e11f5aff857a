"""Decoding network scores into what a reader sees: whole phrases, sentences, calibration, thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from unspin.analysis import Analysis, ParagraphAnalysis, Span, TechniqueScore
from unspin.article import Article
from unspin.formats.semeval import LabelledSpan
from unspin.model.decode import (
    Curve,
    DecodeSettings,
    ParagraphHead,
    decode_paragraph,
    is_phrase,
    merge_adjacent,
    sentence_bounds,
    snap_to_words,
)
from unspin.model.inference import ParagraphPrediction
from unspin.model.windows import TokenizedText
from unspin.taxonomy import TECHNIQUE_LABELS
from unspin.train.views import GoldArticle, joined_view, score_view

LOADED = TECHNIQUE_LABELS.index("Loaded_Language")
DOUBT = TECHNIQUE_LABELS.index("Doubt")


@pytest.mark.parametrize(
    ("text", "piece", "expected"),
    [
        ("the so-called experts", "called", "so-called"),
        ("the so-called experts", "so-", "so-called"),
        ("our enemies' lies", "enemi", "enemies'"),
        ("they don't care", "don", "don't"),
        ('he said "Frank fakes" again', "Frank fakes", '"Frank fakes"'),
        ("a  reckless  course", " reckless ", "reckless"),
        ("sanctions, pressure", "sanctions,", "sanctions"),
        ("«фальшивки» Запада", "фальшивки", "«фальшивки»"),
    ],
)
def test_spans_snap_to_whole_words_and_quotations(text: str, piece: str, expected: str) -> None:
    start = text.index(piece)
    a, b = snap_to_words(text, start, start + len(piece))
    assert text[a:b] == expected


def test_a_comma_and_a_word_are_no_glue() -> None:
    text = "sanctions pressure, but every honest observer"
    assert [text[a:b] for a, b in merge_adjacent(text, [(10, 18), (24, 36)])] == ["pressure", "every honest"]


def test_adjacent_pieces_merge_across_glue_but_not_across_sentences() -> None:
    text = "a reckless, suicidal course of the West. Mad plans of war"
    pieces = [(2, 10), (12, 20), (21, 27), (35, 39), (41, 44), (45, 50), (54, 57)]
    assert [text[a:b] for a, b in merge_adjacent(text, pieces)] == [
        "reckless, suicidal course",
        "West",
        "Mad plans of war",
    ]  # "of the" is two words: no glue


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("of", False),
        ("who", False),
        ("s", False),
        ("a", False),
        ("?", False),
        ("Il", False),
        ("madness", True),
        ("the crusade", True),
        ("И", False),
    ],
)
def test_a_span_is_never_a_lone_function_word(text: str, ok: bool) -> None:
    assert is_phrase(text) is ok


def test_sentence_bounds_cover_the_sentences() -> None:
    text = "They lie! Who benefits? «Nobody» knows… The end"
    assert [text[a:b] for a, b in sentence_bounds(text)] == ["They lie!", "Who benefits?", "«Nobody» knows…", "The end"]
    assert sentence_bounds("") == [(0, 0)]


def test_curve_is_monotone_interpolation() -> None:
    curve = Curve(np.array([0.0, 0.2, 1.0]), np.array([0.0, 0.5, 0.9]))
    assert curve(0.1) == pytest.approx(0.25) and curve(2.0) == pytest.approx(0.9)
    assert Curve.from_meta(curve.to_meta())(0.6) == pytest.approx(curve(0.6))


def _prediction(
    text: str, token_probs: dict[str, dict[int, float]], paragraph: dict[int, float]
) -> ParagraphPrediction:
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\S+", text)]
    probs = np.zeros((len(words), len(TECHNIQUE_LABELS)), np.float32)
    for index, (a, b) in enumerate(words):
        for label, p in token_probs.get(text[a:b], {}).items():
            probs[index, label] = p
    paragraph_probs = np.zeros(len(TECHNIQUE_LABELS), np.float32)
    for label, p in paragraph.items():
        paragraph_probs[label] = p
    tokens = TokenizedText(np.arange(len(words)), np.array([a for a, _ in words]), np.array([b for _, b in words]))
    return ParagraphPrediction(
        tokens, paragraph_probs, probs, np.zeros(4), np.zeros(4), np.zeros((len(words), 4), np.float16)
    )


def test_decoding_keeps_candidates_with_calibrated_confidence_and_evidence() -> None:
    text = "The talks went on. Those reckless madmen lie. Really?"
    prediction = _prediction(
        text, {"reckless": {LOADED: 0.6}, "madmen": {LOADED: 0.5}, "Really?": {DOUBT: 0.12}}, {LOADED: 0.3, DOUBT: 0.2}
    )
    settings = DecodeSettings(segment=0.1, span_curve=Curve(np.array([0.0, 1.0]), np.array([0.0, 0.8])))
    techniques, spans = decode_paragraph(text, prediction, None, settings)
    assert [(text[s.start : s.end], TECHNIQUE_LABELS[s.label]) for s in spans] == [
        ("reckless madmen", "Loaded_Language"),
        ("Really", "Doubt"),
    ]
    assert spans[0].confidence == pytest.approx(0.8 * 0.55)
    by_label = {t.label: t for t in techniques}
    assert by_label[LOADED].confidence == pytest.approx(0.44)  # raised to its best span's confidence
    assert by_label[DOUBT].confidence == pytest.approx(0.2)
    assert text[slice(*by_label[LOADED].evidence)] == "Those reckless madmen lie."  # its strongest tokens
    assert text[slice(*by_label[DOUBT].evidence)] == "Really?"


def test_sentence_scores_find_the_loaded_sentence_of_a_long_paragraph() -> None:
    text = "Calm words here. Those traitors lie. More calm words."
    hidden = 4
    prediction = _prediction(text, {}, {})
    states = np.zeros((len(prediction.tokens.ids), hidden), np.float16)
    states[3:6, 0] = 1.0  # "Those traitors lie." lights up feature 0
    prediction = ParagraphPrediction(
        prediction.tokens,
        prediction.paragraph_probs,
        prediction.token_probs,
        np.zeros(hidden),
        np.zeros(hidden),
        states,
    )
    weight = np.zeros((len(TECHNIQUE_LABELS), 2 * hidden), np.float32)
    weight[LOADED, 0] = 8.0
    head = ParagraphHead(weight, np.full(len(TECHNIQUE_LABELS), -4.0, np.float32))
    techniques, _ = decode_paragraph(text, prediction, head, DecodeSettings(segment=0.5))
    loaded = next(t for t in techniques if t.label == LOADED)
    assert loaded.confidence > 0.9
    assert text[slice(*loaded.evidence)] == "Those traitors lie."


def _analysis() -> Analysis:
    article = Article.from_text("They lie. Mad plans.")
    shown = Span(0, 4, "Name_Calling-Labeling", 0.7, "They")
    hidden = Span(10, 13, "Loaded_Language", 0.2, "Mad")
    paragraph = ParagraphAnalysis(
        1,
        0,
        20,
        (TechniqueScore("Name_Calling-Labeling", 0.7, (0, 9)),),
        (shown,),
        (TechniqueScore("Loaded_Language", 0.2, (10, 20)),),
        (hidden,),
    )
    return Analysis(
        article, "opinion", {"opinion": 1.0}, (), {}, (paragraph,), thresholds={"technique": 0.5, "span": 0.5}
    )


def test_a_lower_threshold_reveals_candidates_and_a_higher_one_hides() -> None:
    analysis = _analysis()
    lower = analysis.with_threshold(0.1)
    assert [s.text for s in lower.spans] == ["They", "Mad"]
    assert {t.technique for t in lower.paragraphs[0].techniques} == {"Name_Calling-Labeling", "Loaded_Language"}
    higher = analysis.with_threshold(0.8)
    assert higher.spans == [] and higher.paragraphs[0].techniques == ()
    assert len(higher.paragraphs[0].candidate_spans) == 2
    assert higher.with_thresholds(0.5, 0.5).spans == analysis.spans


def test_candidates_and_evidence_survive_the_json_round_trip() -> None:
    analysis = _analysis()
    document = analysis.to_dict()
    assert document["paragraphs"][0]["candidates"]["spans"][0]["text"] == "Mad"
    assert document["paragraphs"][0]["techniques"][0]["evidence"] == {"start": 0, "end": 9}
    again = Analysis.from_dict(document)
    assert again.paragraphs == analysis.paragraphs and again.thresholds == analysis.thresholds


def test_joined_view_carries_labels_and_spans() -> None:
    text = "Title\n\nThey lie.\n\nCalm line.\n\nMad plans.\n\nEnd."
    article = Article.from_text(text, id="1")
    numbers = [p.number for p in article.paragraphs]
    labels = dict(zip(numbers, [(), ("Name_Calling-Labeling",), (), ("Loaded_Language",), ()], strict=False))
    spans = (
        LabelledSpan("1", "Name_Calling-Labeling", text.index("They"), text.index("They") + 4),
        LabelledSpan("1", "Loaded_Language", text.index("Mad"), text.index("Mad") + 9),
    )
    [joined] = joined_view([GoldArticle(article, "en", labels, spans)], sizes=(3, 3))
    assert [p.text for p in joined.article.paragraphs] == ["Title They lie. Calm line.", "Mad plans. End."]
    assert joined.labels == {1: ("Name_Calling-Labeling",), 2: ("Loaded_Language",)}
    assert [joined.article.text[s.start : s.end] for s in joined.spans] == ["They", "Mad plans"]


def test_score_view_counts_paragraphs_articles_and_spans() -> None:
    analysis = _analysis()
    gold = GoldArticle(
        analysis.article,
        "en",
        {1: ("Name_Calling-Labeling",)},
        (LabelledSpan(analysis.article.id or "", "Name_Calling-Labeling", 0, 8),),
    )
    scores = score_view([gold], [analysis])
    assert scores.paragraph_micro_f1 == 1.0 and scores.article_micro_f1 == 1.0
    assert scores.span_precision == 1.0 and scores.span_recall == 0.5
