"""The official SemEval-2023 Task 3 metrics, and span metrics as in SemEval-2020 Task 11.

* :func:`score_genre` (subtask 1): macro-F1 over the genres present in gold or
  prediction, plus accuracy.
* :func:`score_frames` (subtask 2) and :func:`score_techniques` (subtask 3): micro-F1
  pooled over every (item, label) cell, and macro-F1 over the whole inventory, where a
  label absent from both gold and prediction scores 1.0.
* :func:`score_spans`: precision and recall by character overlap.

In the label tasks, gold and prediction must cover the same items (articles or
paragraphs); anything else raises :class:`~unspin.errors.ScoringError` rather than
giving a score. A label's F1 is ``2TP / (2TP + FP + FN)``; its precision (recall) is
0.0 when it is never predicted (never in gold), and all three are 1.0 when it is in
neither.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from .errors import InputError, ScoringError
from .formats.semeval import (
    LabelledSpan,
    read_articles,
    read_frame_labels,
    read_genre_labels,
    read_span_dir,
    read_span_file,
    read_technique_labels,
)
from .taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS

__all__ = [
    "GenreReport",
    "LabelMetrics",
    "MultiLabelReport",
    "Report",
    "SpanReport",
    "Task",
    "evaluate_files",
    "score_frames",
    "score_genre",
    "score_spans",
    "score_techniques",
]

_Key = TypeVar("_Key", bound=Hashable)
_EXAMPLES = 3


class Task(StrEnum):
    """What is scored: subtask 1, 2 or 3 of SemEval-2023 Task 3, or character spans."""

    GENRE = "genre"
    FRAMES = "frames"
    TECHNIQUES = "techniques"
    SPANS = "spans"


@dataclass(frozen=True, slots=True)
class LabelMetrics:
    """Scores of one label; ``support`` is its gold count (items, or spans for span scores)."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


class _Report:
    __slots__ = ()
    per_label: tuple[LabelMetrics, ...]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-serialisable values, ``per_label`` as a list of dicts."""
        return {**asdict(self), "per_label": [asdict(score) for score in self.per_label]}  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class MultiLabelReport(_Report):
    """Scores of a multi-label task (frames per article, techniques per paragraph)."""

    task: str
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    n_items: int
    per_label: tuple[LabelMetrics, ...]


@dataclass(frozen=True, slots=True)
class GenreReport(_Report):
    """Scores of the single-label genre task; ``per_label`` has the genres present."""

    task: str
    macro_f1: float
    accuracy: float
    n_items: int
    per_label: tuple[LabelMetrics, ...]


@dataclass(frozen=True, slots=True)
class SpanReport(_Report):
    """Span scores; counts are after merging overlaps, ``per_label`` is per technique when aware."""

    task: str
    technique_aware: bool
    precision: float
    recall: float
    f1: float
    n_gold: int
    n_pred: int
    per_label: tuple[LabelMetrics, ...]


Report = MultiLabelReport | GenreReport | SpanReport


# -- label tasks ------------------------------------------------------------------------------------------


def score_techniques(
    gold: Mapping[tuple[str, int], Collection[str]], pred: Mapping[tuple[str, int], Collection[str]]
) -> MultiLabelReport:
    """Score subtask 3: techniques per paragraph, keyed by ``(article_id, line_no)``.

    Every gold paragraph counts, including those without technique (anything predicted
    there is a false positive). Macro-F1 averages all 23 techniques.

    Raises
    ------
    ScoringError
        The prediction keys differ from the gold keys, gold is empty, or a label is unknown.

    Examples
    --------
    >>> gold = {("1", 1): {"Doubt"}, ("1", 3): set()}
    >>> pred = {("1", 1): {"Doubt"}, ("1", 3): {"Slogans"}}
    >>> report = score_techniques(gold, pred)
    >>> round(report.micro_f1, 3), round(report.macro_f1, 3)
    (0.667, 0.957)
    """
    return _score_multilabel(Task.TECHNIQUES, gold, pred, TECHNIQUE_LABELS, "paragraphs")


def score_frames(gold: Mapping[str, Collection[str]], pred: Mapping[str, Collection[str]]) -> MultiLabelReport:
    """Score subtask 2: frames per article, keyed by article id; macro-F1 averages all 14 frames.

    Raises
    ------
    ScoringError
        The prediction keys differ from the gold keys, gold is empty, or a label is unknown.
    """
    return _score_multilabel(Task.FRAMES, gold, pred, FRAME_LABELS, "articles")


def score_genre(gold: Mapping[str, str], pred: Mapping[str, str]) -> GenreReport:
    """Score subtask 1: one genre per article id.

    Macro-F1 averages the genres that occur in gold or prediction, as scikit-learn's
    ``f1_score(average="macro")`` does.

    Raises
    ------
    ScoringError
        The prediction keys differ from the gold keys, gold is empty, or a genre is unknown.

    Examples
    --------
    >>> report = score_genre({"1": "opinion", "2": "reporting"}, {"1": "opinion", "2": "opinion"})
    >>> round(report.macro_f1, 3), report.accuracy
    (0.333, 0.5)
    """
    gold_sets = {key: {genre} for key, genre in gold.items()}
    pred_sets = {key: {genre} for key, genre in pred.items()}
    _check_scorable(gold_sets, pred_sets, GENRE_LABELS, "articles")
    present = set(gold.values()) | set(pred.values())
    per_label = _per_label_scores(_cell_counts(gold_sets, pred_sets), [g for g in GENRE_LABELS if g in present])
    accuracy = sum(pred[key] == genre for key, genre in gold.items()) / len(gold)
    return GenreReport(Task.GENRE.value, _mean_f1(per_label), accuracy, len(gold), per_label)


def _score_multilabel(
    task: Task,
    gold: Mapping[_Key, Collection[str]],
    pred: Mapping[_Key, Collection[str]],
    labels: Sequence[str],
    items: str,
) -> MultiLabelReport:
    _check_scorable(gold, pred, labels, items)
    counts = _cell_counts(gold, pred)
    precision, recall, f1 = _precision_recall_f1(*(sum(counter.values()) for counter in counts))
    per_label = _per_label_scores(counts, labels)
    return MultiLabelReport(task.value, precision, recall, f1, _mean_f1(per_label), len(gold), per_label)


def _check_scorable(
    gold: Mapping[_Key, Collection[str]], pred: Mapping[_Key, Collection[str]], labels: Sequence[str], items: str
) -> None:
    if not gold:
        raise ScoringError(f"the gold labels are empty: no {items} to score")
    missing, extra = gold.keys() - pred.keys(), pred.keys() - gold.keys()
    if missing or extra:
        raise ScoringError(
            f"the predictions must cover exactly the {len(gold)} gold {items}: "
            f"{len(missing)} missing{_examples(missing)}, {len(extra)} extra{_examples(extra)}"
        )
    for which, mapping in (("gold", gold), ("predictions", pred)):
        unknown = sorted({label for values in mapping.values() for label in values}.difference(labels))
        if unknown:
            raise ScoringError(f"unknown label {unknown[0]!r} in the {which}; expected one of {', '.join(labels)}")


def _examples(keys: Collection[Hashable]) -> str:
    shown = sorted(keys, key=str)[:_EXAMPLES]
    return f" (e.g. {', '.join(map(_describe, shown))})" if shown else ""


def _describe(key: Hashable) -> str:
    if isinstance(key, tuple):
        article_id, line_no = key
        return f"article {article_id} line {line_no}"
    return f"article {key}"


def _cell_counts(
    gold: Mapping[_Key, Collection[str]], pred: Mapping[_Key, Collection[str]]
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """True positives, false positives and false negatives per label, over all (item, label) cells."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for key, gold_labels in gold.items():
        expected, predicted = set(gold_labels), set(pred[key])
        tp.update(expected & predicted)
        fp.update(predicted - expected)
        fn.update(expected - predicted)
    return tp, fp, fn


def _per_label_scores(
    counts: tuple[Counter[str], Counter[str], Counter[str]], labels: Iterable[str]
) -> tuple[LabelMetrics, ...]:
    tp, fp, fn = counts
    return tuple(
        LabelMetrics(label, *_precision_recall_f1(tp[label], fp[label], fn[label]), tp[label] + fn[label])
        for label in labels
    )


def _precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    if tp + fp + fn == 0:
        return 1.0, 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, 2 * tp / (2 * tp + fp + fn)


def _mean_f1(scores: Sequence[LabelMetrics]) -> float:
    return sum(score.f1 for score in scores) / len(scores)


# -- spans ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _SpanTally:
    """Running sums of one technique (or of all): overlap fractions and span counts."""

    precision_sum: float = 0.0
    recall_sum: float = 0.0
    n_pred: int = 0
    n_gold: int = 0

    def add(self, other: _SpanTally) -> None:
        self.precision_sum += other.precision_sum
        self.recall_sum += other.recall_sum
        self.n_pred += other.n_pred
        self.n_gold += other.n_gold

    def scores(self) -> tuple[float, float, float]:
        precision = self.precision_sum / self.n_pred if self.n_pred else 0.0
        recall = self.recall_sum / self.n_gold if self.n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
        return precision, recall, f1


def score_spans(
    gold: Iterable[LabelledSpan], pred: Iterable[LabelledSpan], *, technique_aware: bool = False
) -> SpanReport:
    """Score spans by character overlap, as the SemEval-2020 Task 11 span scorer does.

    With ``S`` the predicted and ``T`` the gold spans,
    ``P = (1/|S|) Σ_s Σ_t |s∩t|/|s|`` and ``R = (1/|T|) Σ_t Σ_s |s∩t|/|t|``, summing over
    pairs in the same article (and with the same technique when ``technique_aware``).
    First, overlapping spans of the same kind (same article, and same technique when
    ``technique_aware``) are merged in gold, as that scorer does, and in the prediction,
    as its ``-m`` option does, so that a duplicated span cannot be counted twice.
    With no prediction P = 0 and with no gold R = 0, so F1 = 0 then (the 2020 scorer
    gives F1 = 1 when both are empty).

    Raises
    ------
    ScoringError
        Gold and prediction both have spans but no article in common (mismatched files).

    Examples
    --------
    >>> gold = [LabelledSpan("1", "Doubt", 0, 10)]
    >>> pred = [LabelledSpan("1", "Doubt", 5, 10), LabelledSpan("1", "Slogans", 20, 30)]
    >>> report = score_spans(gold, pred)
    >>> report.precision, report.recall
    (0.5, 0.5)
    """
    gold_groups, pred_groups = _merged_groups(gold, technique_aware), _merged_groups(pred, technique_aware)
    _check_common_articles(gold_groups, pred_groups)
    tallies: defaultdict[str, _SpanTally] = defaultdict(_SpanTally)
    for key in gold_groups.keys() | pred_groups.keys():
        tallies[key[1]].add(_overlap_tally(gold_groups.get(key, []), pred_groups.get(key, [])))
    total = _SpanTally()
    for tally in tallies.values():
        total.add(tally)
    per_label = tuple(
        LabelMetrics(technique, *tallies[technique].scores(), tallies[technique].n_gold)
        for technique in sorted(tallies)
        if technique_aware
    )
    precision, recall, f1 = total.scores()
    return SpanReport(Task.SPANS.value, technique_aware, precision, recall, f1, total.n_gold, total.n_pred, per_label)


def _merged_groups(
    spans: Iterable[LabelledSpan], technique_aware: bool
) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """``{(article_id, technique or ""): merged (start, end) list}``."""
    groups: defaultdict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for span in spans:
        groups[span.article_id, span.technique if technique_aware else ""].append((span.start, span.end))
    return {key: _merge_overlapping(offsets) for key, offsets in groups.items()}


def _merge_overlapping(offsets: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge spans sharing at least one character; spans that only touch stay apart."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(offsets):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _check_common_articles(gold: Mapping[tuple[str, str], object], pred: Mapping[tuple[str, str], object]) -> None:
    gold_articles, pred_articles = {key[0] for key in gold}, {key[0] for key in pred}
    if gold_articles and pred_articles and gold_articles.isdisjoint(pred_articles):
        raise ScoringError(
            f"the predicted spans ({len(pred_articles)} articles) and the gold spans ({len(gold_articles)} articles) "
            "have no article in common; check that they come from the same data"
        )


def _overlap_tally(gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]]) -> _SpanTally:
    tally = _SpanTally(n_pred=len(pred), n_gold=len(gold))
    for pred_start, pred_end in pred:
        for gold_start, gold_end in gold:
            shared = min(pred_end, gold_end) - max(pred_start, gold_start)
            if shared > 0:
                tally.precision_sum += shared / (pred_end - pred_start)
                tally.recall_sum += shared / (gold_end - gold_start)
    return tally


# -- files ------------------------------------------------------------------------------------------------

_LABEL_TASKS = {
    Task.GENRE: (read_genre_labels, score_genre),
    Task.FRAMES: (read_frame_labels, score_frames),
    Task.TECHNIQUES: (read_technique_labels, score_techniques),
}


def evaluate_files(
    task: Task | str,
    gold_path: str | Path,
    pred_path: str | Path,
    *,
    articles_dir: str | Path | None = None,
    technique_aware: bool = False,
) -> Report:
    """Score a prediction file against a gold file in the SemEval-2023 formats.

    Parameters
    ----------
    task
        ``"genre"``, ``"frames"``, ``"techniques"`` (label files) or ``"spans"``.
    gold_path, pred_path
        Label files; for spans, span files or directories of ``article<ID>-labels-subtask-3.txt``.
    articles_dir
        Spans only: the subtask-3 articles; gold span ends are then fixed with
        :func:`~unspin.formats.semeval.fix_span_end` and all gold offsets checked.
        Predictions are taken as they are, so official-format gold files used as
        predictions score slightly under 1 for non-English articles.
    technique_aware
        Spans only: count overlaps only between spans of the same technique.

    Raises
    ------
    InputError
        An unreadable or malformed file, or ``articles_dir`` given for a label task.
    ScoringError
        Files that cannot be scored against each other.
    """
    task = _as_task(task)
    if task is Task.SPANS:
        texts = None if articles_dir is None else _article_texts(articles_dir)
        gold, pred = _read_spans(gold_path, texts), _read_spans(pred_path)
        return score_spans(gold, pred, technique_aware=technique_aware)
    if articles_dir is not None:
        raise InputError(f"articles are only used to score spans, not {task.value}")
    read, score = _LABEL_TASKS[task]
    return score(read(gold_path), read(pred_path))  # type: ignore[operator]


def _as_task(task: Task | str) -> Task:
    try:
        return Task(task)
    except ValueError:
        raise InputError(f"unknown task {task!r}; expected one of {', '.join(Task)}") from None


def _read_spans(path: str | Path, texts: Mapping[str, str] | None = None) -> list[LabelledSpan]:
    return read_span_dir(path, texts) if Path(path).is_dir() else read_span_file(path, texts)


def _article_texts(directory: str | Path) -> dict[str, str]:
    return {str(article.id): article.text for article in read_articles(directory)}  # the id is always set
