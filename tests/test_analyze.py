"""The Analyzer on the shipped bundle: offsets, schema, robustness on hostile input."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin import Analysis, Article, InputError
from unspin.analysis import SCHEMA_VERSION
from unspin.schema import AnalysisDocument, json_schema
from unspin.taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples" / "article-en.txt").read_text(encoding="utf-8")


def assert_offsets_match(analysis: Analysis) -> None:
    text = analysis.article.text
    for paragraph in analysis.paragraphs:
        assert 0 <= paragraph.start < paragraph.end <= len(text)
        for span in paragraph.spans:
            assert paragraph.start <= span.start < span.end <= paragraph.end
            assert text[span.start : span.end] == span.text
            assert 0.0 <= span.confidence <= 1.0


def test_example_article(analyzer) -> None:
    analysis = analyzer(EXAMPLE)
    assert analysis.genre in GENRE_LABELS
    assert abs(sum(analysis.genre_probabilities.values()) - 1.0) < 1e-4
    assert analysis.frames and all(f.label in FRAME_LABELS for f in analysis.frames)
    assert analysis.article.date.isoformat() == "2022-03-11"
    assert len(analysis.paragraphs) == 7
    assert_offsets_match(analysis)
    for paragraph in analysis.paragraphs:
        assert all(t.technique in TECHNIQUE_LABELS and 0 <= t.confidence <= 1 for t in paragraph.techniques)
        assert {s.technique for s in paragraph.spans} <= {t.technique for t in paragraph.techniques}


def test_to_dict_follows_the_published_schema(analyzer) -> None:
    data = analyzer(EXAMPLE).to_dict()
    AnalysisDocument.model_validate(data)
    assert data["schema_version"] == SCHEMA_VERSION
    assert typing.get_args(AnalysisDocument.model_fields["schema_version"].annotation) == (SCHEMA_VERSION,)
    assert json.loads(json.dumps(data)) == data
    assert Analysis.from_dict(data).to_dict() == data


def test_published_schema_file_is_current() -> None:
    assert (ROOT / "docs" / "analysis.schema.json").read_text(encoding="utf-8") == json_schema()


def test_summary_counts(analyzer) -> None:
    analysis = analyzer(EXAMPLE)
    summary = analysis.summary()
    assert summary["paragraphs"] == len(analysis.paragraphs)
    assert sum(summary["techniques"].values()) == sum(len(p.techniques) for p in analysis.paragraphs)
    assert sum(summary["categories"].values()) == sum(summary["techniques"].values())
    assert summary["spans"] == len(analysis.spans)


def test_crlf_bom_and_semeval_lines(analyzer) -> None:
    text = "\ufeffTitle of the piece\r\n\r\nThe corrupt elite lies again and again!\r\nThey are traitors.\r\n"
    analysis = analyzer(Article.from_semeval(text, id="1"))
    assert [p.number for p in analysis.paragraphs] == [1, 3, 4]
    assert_offsets_match(analysis)


@pytest.mark.parametrize("text", ["", "   \n\t\r\n  ", "date 2022-01-01   "])
def test_empty_input_is_rejected(analyzer, text: str) -> None:
    with pytest.raises(InputError):
        analyzer(text)


def test_wrong_type_is_rejected(analyzer) -> None:
    with pytest.raises(InputError):
        analyzer(b"bytes are not text")  # type: ignore[arg-type]


def test_huge_article_gets_a_clear_message(analyzer) -> None:
    with pytest.raises(InputError, match="limit"):
        analyzer("word " * 1_000_000)  # 5 MB


def test_long_paragraph_is_windowed_not_truncated(analyzer) -> None:
    sentence = "The so-called experts keep lying to the people about the disastrous sanctions. "
    analysis = analyzer(sentence * 120)  # one paragraph of about 2,000 tokens
    assert len(analysis.paragraphs) == 1
    assert_offsets_match(analysis)
    assert len(analyzer.bundle.tokenizer.tokenize([sentence * 120])[0].ids) > analyzer.bundle.settings["max_tokens"]


@pytest.mark.parametrize(
    "text", ["这是一个用中文写的新闻段落，讨论经济制裁。", "தமிழ் செய்தி கட்டுரை", "1234 5678 !!! ???", "🙂🙂🙂 🔥"]
)
def test_unsupported_scripts_do_not_crash(analyzer, text: str) -> None:
    assert_offsets_match(analyzer(text))


def test_pipe_skips_bad_documents(analyzer) -> None:
    errors = []
    results = list(
        analyzer.pipe(
            ["Good text here.", "", "More good text."],
            on_error="skip",
            error_handler=lambda item, exc: errors.append(exc),
        )
    )
    assert len(results) == 2 and len(errors) == 1
    with pytest.raises(InputError):
        list(analyzer.pipe(["fine", "  "]))


pieces = st.sampled_from(
    [
        "Word",
        "the",
        "élite",
        "лжёт",
        "!",
        ".",
        ",",
        " ",
        "  ",
        "\n",
        "\r\n",
        "\n\n",
        "\r\n\r\n",
        "\t",
        "🙂",
        "e\u0301",
        "«",
        "»",
        "—",
        "doesnot",
        "\u00a0",
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(pieces, min_size=1, max_size=60), bom=st.booleans(), dated=st.booleans())
def test_span_offsets_hold_on_random_text(analyzer, parts: list[str], bom: bool, dated: bool) -> None:
    text = ("\ufeff" if bom else "") + ("date 2022-03-11 " if dated else "") + "".join(parts)
    try:
        analysis = analyzer(text)
    except InputError:  # only input with nothing to analyse may be refused
        assert not text.replace("\ufeff", "").replace("date 2022-03-11", "", 1).strip()
        return
    assert_offsets_match(analysis)


def test_low_threshold_finds_spans_with_exact_offsets(model_path) -> None:
    import unspin

    permissive = unspin.load(model_path, technique_threshold=0.0, span_threshold=0.05)
    analysis = permissive(EXAMPLE.replace("\n", "\r\n"))
    assert analysis.spans, "a zero threshold must produce spans"
    assert_offsets_match(analysis)
