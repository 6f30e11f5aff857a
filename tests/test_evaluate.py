"""The SemEval-2023 Task 3 metrics and the SemEval-2020 span metrics, on hand-computed cases."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from unspin.errors import InputError, ScoringError
from unspin.evaluate import (
    GenreReport,
    LabelMetrics,
    MultiLabelReport,
    SpanReport,
    evaluate_files,
    score_frames,
    score_genre,
    score_spans,
    score_techniques,
)
from unspin.formats import LabelledSpan, read_articles, read_span_dir
from unspin.taxonomy import FRAME_LABELS, GENRE_LABELS

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2023"
TRAIN_LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")


def by_label(report: MultiLabelReport | GenreReport | SpanReport) -> dict[str, LabelMetrics]:
    return {score.label: score for score in report.per_label}


# -- techniques and frames --------------------------------------------------------------------------------


def test_techniques_micro_and_macro_by_hand() -> None:
    gold = {("a", 1): {"Loaded_Language", "Name_Calling-Labeling"}, ("a", 2): set(), ("a", 3): {"Doubt"}}
    pred = {("a", 1): {"Loaded_Language"}, ("a", 2): {"Doubt"}, ("a", 3): {"Doubt"}}
    report = score_techniques(gold, pred)
    # TP: Loaded_Language, Doubt (line 3); FP: Doubt (line 2); FN: Name_Calling-Labeling.
    assert (report.micro_precision, report.micro_recall, report.micro_f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    scores = by_label(report)
    assert scores["Loaded_Language"] == LabelMetrics("Loaded_Language", 1.0, 1.0, 1.0, 1)
    assert scores["Name_Calling-Labeling"] == LabelMetrics("Name_Calling-Labeling", 0.0, 0.0, 0.0, 1)
    assert (scores["Doubt"].precision, scores["Doubt"].recall, scores["Doubt"].f1) == pytest.approx((0.5, 1.0, 2 / 3))
    # The 20 techniques absent from gold and prediction count as 1.0 each.
    assert report.macro_f1 == pytest.approx((1.0 + 0.0 + 2 / 3 + 20 * 1.0) / 23)
    assert (report.task, report.n_items, len(report.per_label)) == ("techniques", 3, 23)


def test_paragraphs_without_gold_technique_count_their_predictions_as_false_positives() -> None:
    report = score_techniques({("a", 1): (), ("a", 2): ()}, {("a", 1): ("Slogans",), ("a", 2): ()})
    assert (report.micro_precision, report.micro_recall, report.micro_f1) == (0.0, 0.0, 0.0)
    assert by_label(report)["Slogans"] == LabelMetrics("Slogans", 0.0, 0.0, 0.0, 0)
    assert report.macro_f1 == pytest.approx(22 / 23)


def test_a_technique_absent_from_gold_and_prediction_scores_one() -> None:
    report = score_techniques({("a", 1): ("Doubt",)}, {("a", 1): ()})
    assert by_label(report)["Whataboutism"] == LabelMetrics("Whataboutism", 1.0, 1.0, 1.0, 0)
    assert by_label(report)["Doubt"].f1 == 0.0
    assert report.micro_f1 == 0.0
    assert report.macro_f1 == pytest.approx(22 / 23)


def test_nothing_to_find_and_nothing_predicted_is_perfect() -> None:
    report = score_techniques({("a", 1): ()}, {("a", 1): ()})
    assert (report.micro_f1, report.macro_f1) == (1.0, 1.0)


def test_prediction_keys_must_equal_gold_keys() -> None:
    gold = {("a", 1): ("Doubt",), ("a", 2): (), ("a", 3): ()}
    pred = {("a", 1): ("Doubt",), ("b", 9): ()}
    message = r"2 missing \(e\.g\. article a line 2, article a line 3\), 1 extra \(e\.g\. article b line 9\)"
    with pytest.raises(ScoringError, match=message):
        score_techniques(gold, pred)
    with pytest.raises(ScoringError, match=r"0 missing, 1 extra \(e\.g\. article 2\)"):
        score_frames({"1": ("Economic",)}, {"1": ("Economic",), "2": ()})
    with pytest.raises(ScoringError, match=r"1 missing \(e\.g\. article 2\), 0 extra"):
        score_genre({"1": "opinion", "2": "satire"}, {"1": "opinion"})


@pytest.mark.parametrize(
    ("gold", "pred", "message"),
    [
        ({}, {}, "gold labels are empty"),
        ({("a", 1): ("Sarcasm",)}, {("a", 1): ()}, "unknown label 'Sarcasm' in the gold"),
        ({("a", 1): ()}, {("a", 1): ("Economic",)}, "unknown label 'Economic' in the predictions"),
    ],
)
def test_unscorable_technique_labels(gold: dict, pred: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ScoringError, match=message):
        score_techniques(gold, pred)


def test_frames_use_the_same_rules_over_the_14_frames() -> None:
    gold = {"1": ("Economic", "Political"), "2": ("Morality",)}
    pred = {"1": ("Economic",), "2": ("Morality", "Political")}
    report = score_frames(gold, pred)
    assert (report.task, len(report.per_label)) == ("frames", 14)
    assert report.micro_f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert by_label(report)["Political"] == LabelMetrics("Political", 0.0, 0.0, 0.0, 1)
    assert report.macro_f1 == pytest.approx(13 / 14)


def test_multilabel_scores_match_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(3)
    keys = [("a", line) for line in range(1, 60)]
    gold = {key: set(rng.sample(FRAME_LABELS[:8], rng.randint(0, 3))) for key in keys}
    pred = {key: set(rng.sample(FRAME_LABELS[:10], rng.randint(0, 3))) for key in keys}
    rows = lambda labels: [[int(label in labels[key]) for label in FRAME_LABELS] for key in keys]  # noqa: E731
    report = score_frames(gold, pred)  # type: ignore[arg-type]
    assert report.micro_f1 == pytest.approx(metrics.f1_score(rows(gold), rows(pred), average="micro"))
    assert report.macro_f1 == pytest.approx(
        metrics.f1_score(rows(gold), rows(pred), average="macro", zero_division=1.0)
    )


# -- genre ------------------------------------------------------------------------------------------------


def test_genre_macro_averages_the_genres_present() -> None:
    gold = {"1": "opinion", "2": "reporting", "3": "opinion"}
    pred = {"1": "opinion", "2": "opinion", "3": "satire"}
    report = score_genre(gold, pred)
    assert by_label(report)["opinion"] == LabelMetrics("opinion", 0.5, 0.5, 0.5, 2)
    assert by_label(report)["reporting"].f1 == by_label(report)["satire"].f1 == 0.0
    assert report.macro_f1 == pytest.approx(0.5 / 3)
    assert report.accuracy == pytest.approx(1 / 3)

    two_genres = score_genre({"1": "opinion", "2": "reporting"}, {"1": "opinion", "2": "opinion"})
    assert [score.label for score in two_genres.per_label] == ["opinion", "reporting"]
    assert two_genres.macro_f1 == pytest.approx((2 / 3 + 0.0) / 2)


def test_genre_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(5)
    gold = {str(i): rng.choice(GENRE_LABELS[:2]) for i in range(40)}
    pred = {str(i): rng.choice(GENRE_LABELS) for i in range(40)}
    y_true, y_pred = list(gold.values()), [pred[key] for key in gold]
    report = score_genre(gold, pred)
    assert report.macro_f1 == pytest.approx(metrics.f1_score(y_true, y_pred, average="macro"))
    assert report.accuracy == pytest.approx(metrics.accuracy_score(y_true, y_pred))


def test_unknown_genre_is_a_scoring_error() -> None:
    with pytest.raises(ScoringError, match="unknown label 'news' in the predictions"):
        score_genre({"1": "opinion"}, {"1": "news"})


# -- spans ------------------------------------------------------------------------------------------------

GOLD_SPANS = [LabelledSpan("A", "Doubt", 0, 10), LabelledSpan("A", "Loaded_Language", 20, 30)]
PRED_SPANS = [LabelledSpan("A", "Doubt", 5, 15), LabelledSpan("A", "Doubt", 20, 25)]


def test_span_partial_overlaps_ignoring_techniques() -> None:
    report = score_spans(GOLD_SPANS, PRED_SPANS)
    # P = (5/10 + 5/5) / 2, R = (5/10 + 5/10) / 2
    assert (report.precision, report.recall) == pytest.approx((0.75, 0.5))
    assert report.f1 == pytest.approx(2 * 0.75 * 0.5 / 1.25)
    assert (report.technique_aware, report.per_label) == (False, ())


def test_span_partial_overlaps_by_technique() -> None:
    report = score_spans(GOLD_SPANS, PRED_SPANS, technique_aware=True)
    # Only the Doubt pair [5,15)~[0,10) overlaps: P = (5/10) / 2, R = (5/10) / 2.
    assert (report.precision, report.recall, report.f1) == pytest.approx((0.25, 0.25, 0.25))
    doubt, loaded = by_label(report)["Doubt"], by_label(report)["Loaded_Language"]
    assert (doubt.precision, doubt.recall, doubt.f1, doubt.support) == pytest.approx((0.25, 0.5, 1 / 3, 1))
    assert loaded == LabelMetrics("Loaded_Language", 0.0, 0.0, 0.0, 1)


def test_spans_only_overlap_within_the_same_article() -> None:
    pred = [LabelledSpan("A", "Doubt", 0, 10), LabelledSpan("B", "Doubt", 0, 10)]
    report = score_spans([LabelledSpan("A", "Doubt", 0, 10)], pred)
    assert (report.precision, report.recall) == (0.5, 1.0)


def test_overlapping_spans_of_the_same_kind_are_merged_but_touching_ones_are_not() -> None:
    gold = [LabelledSpan("A", "Doubt", 0, 10), LabelledSpan("A", "Doubt", 0, 10), LabelledSpan("A", "Doubt", 5, 15)]
    report = score_spans(gold, [LabelledSpan("A", "Doubt", 0, 15)], technique_aware=True)
    assert (report.n_gold, report.f1) == (1, 1.0)

    touching = [LabelledSpan("A", "Doubt", 0, 5), LabelledSpan("A", "Doubt", 5, 10)]
    report = score_spans(touching, [LabelledSpan("A", "Doubt", 0, 10)])
    assert (report.n_gold, report.precision, report.recall) == (2, 1.0, 1.0)

    two_techniques = [LabelledSpan("A", "Doubt", 0, 10), LabelledSpan("A", "Slogans", 5, 15)]
    assert score_spans(two_techniques, two_techniques).n_gold == 1
    assert score_spans(two_techniques, two_techniques, technique_aware=True).n_gold == 2


def test_span_edge_cases() -> None:
    no_prediction = score_spans(GOLD_SPANS, [])
    assert (no_prediction.precision, no_prediction.recall, no_prediction.f1) == (0.0, 0.0, 0.0)
    no_gold = score_spans([], PRED_SPANS)
    assert (no_gold.precision, no_gold.recall, no_gold.f1) == (0.0, 0.0, 0.0)
    assert score_spans([], []).f1 == 0.0
    with pytest.raises(ScoringError, match="no article in common"):
        score_spans(GOLD_SPANS, [LabelledSpan("Z", "Doubt", 0, 10)])


# -- files ------------------------------------------------------------------------------------------------


def write(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.write_bytes(content.encode("utf-8"))
    return path


def test_evaluate_files_for_each_label_task(tmp_path: Path) -> None:
    gold = write(tmp_path, "gold3.txt", "1\t1\tDoubt\r\n1\t3\t\r\n")
    pred = write(tmp_path, "pred3.txt", "1\t1\tDoubt\n1\t3\n")
    assert evaluate_files("techniques", gold, pred).micro_f1 == 1.0
    frames = write(tmp_path, "gold2.txt", "1\tEconomic,Political\n")
    assert evaluate_files("frames", frames, write(tmp_path, "pred2.txt", "1\tEconomic\n")).micro_recall == 0.5
    genres = write(tmp_path, "gold1.txt", "1\topinion\n2\tsatire\n")
    report = evaluate_files("genre", genres, write(tmp_path, "pred1.txt", "2\tsatire\n1\treporting\n"))
    assert report.accuracy == 0.5
    assert json.loads(json.dumps(report.to_dict()))["per_label"][0] == {
        "label": "opinion", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1,
    }  # fmt: skip


def test_evaluate_files_fixes_gold_span_ends_when_given_the_articles(tmp_path: Path) -> None:
    text = "Заголовок\r\nМы поехали до Одессы.\r\n"
    start, end = text.index("до"), text.index(".")
    (tmp_path / "articles").mkdir()
    (tmp_path / "gold").mkdir()
    write(tmp_path / "articles", "article5.txt", text)
    write(tmp_path / "gold", "article5-labels-subtask-3.txt", f"5\tDoubt\t{start}\t{end - 1}\r\n")
    pred = write(tmp_path, "pred.txt", f"5\tDoubt\t{start}\t{end}\n")
    raw = evaluate_files("spans", tmp_path / "gold", pred)
    fixed = evaluate_files("spans", tmp_path / "gold", pred, articles_dir=tmp_path / "articles", technique_aware=True)
    assert raw.f1 < 1.0
    assert (fixed.precision, fixed.recall, fixed.f1) == (1.0, 1.0, 1.0)
    assert fixed.to_dict()["per_label"] == [
        {"label": "Doubt", "precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    ]


def test_evaluate_files_rejects_misused_arguments(tmp_path: Path) -> None:
    gold = write(tmp_path, "gold.txt", "1\topinion\n")
    with pytest.raises(InputError, match="only used to score spans"):
        evaluate_files("genre", gold, gold, articles_dir=tmp_path)
    with pytest.raises(InputError, match="unknown task 'sentiment'"):
        evaluate_files("sentiment", gold, gold)
    with pytest.raises(InputError, match=r"pred\.txt: cannot read"):
        evaluate_files("genre", gold, tmp_path / "pred.txt")


# -- the real data ----------------------------------------------------------------------------------------

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data (not part of the repository)")


@needs_data
@pytest.mark.parametrize("language", TRAIN_LANGUAGES)
@pytest.mark.parametrize(
    ("task", "name"),
    [
        ("genre", "train-labels-subtask-1.txt"),
        ("frames", "train-labels-subtask-2.txt"),
        ("techniques", "train-labels-subtask-3.txt"),
        ("spans", "train-labels-subtask-3-spans"),
    ],
)
def test_gold_scored_against_itself_is_perfect(language: str, task: str, name: str) -> None:
    gold = DATA / language / name
    report = evaluate_files(task, gold, gold)
    headline = report.f1 if isinstance(report, SpanReport) else report.macro_f1
    assert headline == 1.0
    if isinstance(report, MultiLabelReport):
        assert report.micro_f1 == 1.0
    if isinstance(report, GenreReport):
        assert report.accuracy == 1.0


@needs_data
@pytest.mark.parametrize("language", TRAIN_LANGUAGES)
def test_fixed_gold_spans_scored_against_themselves_are_perfect(language: str) -> None:
    root = DATA / language
    texts = {a.id: a.text for a in read_articles(root / "train-articles-subtask-3", language=language)}
    spans = read_span_dir(root / "train-labels-subtask-3-spans", texts)
    for aware in (False, True):
        report = score_spans(spans, spans, technique_aware=aware)
        assert (report.precision, report.recall, report.f1) == pytest.approx((1.0, 1.0, 1.0))
        assert all(score.f1 == pytest.approx(1.0) for score in report.per_label)
