"""Constant baselines on the fixed validation split: the floor every trained model must beat.

For one language, the constants are learnt from the train part of the SemEval-2023 data
(the articles that :func:`unspin.split.is_validation` does not hold out) and predicted
for every validation item:

* techniques (subtask 3): the most frequent technique, and the three most frequent,
  counted in labelled paragraphs; every validation paragraph gets them, those without
  gold technique included, as the official scorer counts every paragraph;
* frames (subtask 2): the ``k`` most frequent frames, counted in articles, where ``k``
  is the mean number of frames per train article rounded half up (at least 1), so the
  constant prediction has the size of a typical gold frame set;
* genre (subtask 1): the most frequent genre.

Ties are broken by taxonomy order, so the constants are deterministic. Only the label
files are read: their rows are the items to score (one technique row per non-blank
paragraph, one frame or genre row per article).

Examples
--------
>>> baseline = run_baseline("../shared/data/semeval2023", "en")  # doctest: +SKIP
>>> baseline.constants.techniques[0], round(baseline.scores().techniques_top1.micro_f1, 3)  # doctest: +SKIP
('Loaded_Language', 0.225)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import InputError
from .evaluate import GenreReport, MultiLabelReport, score_frames, score_genre, score_techniques
from .formats.semeval import (
    read_frame_labels,
    read_genre_labels,
    read_technique_labels,
    write_frame_labels,
    write_genre_labels,
    write_technique_labels,
)
from .split import is_validation
from .taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS
from .train.data import language_dir

__all__ = [
    "TOP_TECHNIQUES",
    "Baseline",
    "BaselineScores",
    "Constants",
    "Labels",
    "fit_constants",
    "predict_constants",
    "read_labels",
    "run_baseline",
    "write_baseline",
]

TOP_TECHNIQUES = 3

_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class Labels:
    """Labels of one language: techniques per ``(article_id, line_no)``, frames and genre per article."""

    techniques: dict[tuple[str, int], tuple[str, ...]]
    frames: dict[str, tuple[str, ...]]
    genres: dict[str, str]

    def split(self) -> tuple[Labels, Labels]:
        """Return ``(train, validation)`` by the fixed split of :func:`unspin.split.is_validation`."""
        techniques = _partition(self.techniques, lambda key: key[0])
        frames = _partition(self.frames, str)
        genres = _partition(self.genres, str)
        return Labels(techniques[0], frames[0], genres[0]), Labels(techniques[1], frames[1], genres[1])


@dataclass(frozen=True, slots=True)
class Constants:
    """The constant predictions of one language, each ranked most frequent first."""

    techniques: tuple[str, ...]
    frames: tuple[str, ...]
    genre: str

    def top_techniques(self, n: int) -> tuple[str, ...]:
        """The ``n`` most frequent techniques (fewer when train has fewer)."""
        return self.techniques[:n]


@dataclass(frozen=True, slots=True)
class BaselineScores:
    """Official scores of the constant predictions on the validation split."""

    techniques_top1: MultiLabelReport
    techniques_top3: MultiLabelReport
    frames: MultiLabelReport
    genre: GenreReport


@dataclass(frozen=True, slots=True)
class Baseline:
    """The constants of one language, the validation gold, and the constant predictions.

    ``predictions`` maps ``"top1"`` and ``"top3"`` to :class:`Labels` that differ only in
    their techniques; frames and genre are the same constants in both.
    """

    language: str
    constants: Constants
    gold: Labels
    predictions: dict[str, Labels]

    def scores(self) -> BaselineScores:
        """Score the predictions with :mod:`unspin.evaluate`."""
        top1, top3 = self.predictions["top1"], self.predictions["top3"]
        return BaselineScores(
            score_techniques(self.gold.techniques, top1.techniques),
            score_techniques(self.gold.techniques, top3.techniques),
            score_frames(self.gold.frames, top1.frames),
            score_genre(self.gold.genres, top1.genres),
        )


def read_labels(data_dir: str | Path, language: str) -> Labels:
    """Read the train label files of subtasks 1-3 of one language.

    Parameters
    ----------
    data_dir
        The SemEval-2023 data, with one folder per language (``en/``, ``fr/``, ...).
    language
        A SemEval language code with train data: en, fr, ge, it, po or ru.

    Raises
    ------
    InputError
        ``data_dir`` or its language folder is missing, or a label file is unreadable.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"{data_dir}: no such data directory")
    root = language_dir(data_dir, language)
    return Labels(
        read_technique_labels(root / "train-labels-subtask-3.txt"),
        read_frame_labels(root / "train-labels-subtask-2.txt"),
        read_genre_labels(root / "train-labels-subtask-1.txt"),
    )


def fit_constants(train: Labels, n_techniques: int = TOP_TECHNIQUES) -> Constants:
    """Learn the constants from train labels (see the module docstring for the rules).

    Raises
    ------
    InputError
        Train has no technique, frame or genre label to learn from.

    Examples
    --------
    >>> train = Labels({("1", 1): ("Doubt",), ("1", 2): ()}, {"1": ("Political", "Economic")}, {"1": "satire"})
    >>> fit_constants(train)
    Constants(techniques=('Doubt',), frames=('Economic', 'Political'), genre='satire')
    """
    techniques = _ranked(_label_counts(train.techniques.values()), TECHNIQUE_LABELS)
    frames = _ranked(_label_counts(train.frames.values()), FRAME_LABELS)
    genres = _ranked(Counter(train.genres.values()), GENRE_LABELS)
    if not (techniques and frames and genres):
        raise InputError("the train split needs at least one technique, frame and genre label")
    return Constants(techniques[:n_techniques], frames[: _typical_set_size(train.frames.values())], genres[0])


def predict_constants(gold: Labels, constants: Constants, n_techniques: int) -> Labels:
    """Give every item of ``gold`` the constant labels, with the ``n_techniques`` top techniques."""
    return Labels(
        _constant(gold.techniques, constants.top_techniques(n_techniques)),
        _constant(gold.frames, constants.frames),
        _constant(gold.genres, constants.genre),
    )


def run_baseline(data_dir: str | Path, language: str) -> Baseline:
    """Fit the constants on train and predict them for the validation split of ``language``.

    Raises
    ------
    InputError
        Missing or unreadable data (see :func:`read_labels`), or nothing to learn from.
    """
    train, validation = read_labels(data_dir, language).split()
    constants = fit_constants(train)
    predictions = {f"top{n}": predict_constants(validation, constants, n) for n in (1, TOP_TECHNIQUES)}
    return Baseline(language, constants, validation, predictions)


def write_baseline(baseline: Baseline, directory: str | Path) -> dict[str, Path]:
    """Write gold and predictions in the official formats, to be re-scored with ``unspin evaluate``.

    Returns
    -------
    dict
        ``{file name: path}`` of ``gold-techniques.txt``, ``pred-techniques-top1.txt``,
        ``pred-techniques-top3.txt``, ``gold-frames.txt``, ``pred-frames.txt``,
        ``gold-genre.txt`` and ``pred-genre.txt`` in ``directory`` (created if needed).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    top1, top3 = baseline.predictions["top1"], baseline.predictions["top3"]
    files: dict[str, tuple[Callable[[Path, Any], None], Mapping[Any, Any]]] = {
        "gold-techniques.txt": (write_technique_labels, baseline.gold.techniques),
        "pred-techniques-top1.txt": (write_technique_labels, top1.techniques),
        "pred-techniques-top3.txt": (write_technique_labels, top3.techniques),
        "gold-frames.txt": (write_frame_labels, baseline.gold.frames),
        "pred-frames.txt": (write_frame_labels, top1.frames),
        "gold-genre.txt": (write_genre_labels, baseline.gold.genres),
        "pred-genre.txt": (write_genre_labels, top1.genres),
    }
    for name, (write, rows) in files.items():
        write(directory / name, rows)
    return {name: directory / name for name in files}


def _partition(rows: Mapping[_K, _V], article_of: Callable[[_K], str]) -> tuple[dict[_K, _V], dict[_K, _V]]:
    train: dict[_K, _V] = {}
    validation: dict[_K, _V] = {}
    for key, value in rows.items():
        (validation if is_validation(article_of(key)) else train)[key] = value
    return train, validation


def _label_counts(label_sets: Iterable[Iterable[str]]) -> Counter[str]:
    """In how many items each label occurs."""
    return Counter(label for labels in label_sets for label in set(labels))


def _ranked(counts: Counter[str], inventory: Sequence[str]) -> tuple[str, ...]:
    """Labels that occur, most frequent first, ties in inventory order."""
    return tuple(sorted(counts, key=lambda label: (-counts[label], inventory.index(label))))


def _typical_set_size(label_sets: Iterable[Sequence[str]]) -> int:
    """The mean number of labels per item, rounded half up, at least 1."""
    sizes = [len(labels) for labels in label_sets]
    return max(1, math.floor(sum(sizes) / len(sizes) + 0.5)) if sizes else 1


def _constant(items: Mapping[_K, object], value: _V) -> dict[_K, _V]:
    return dict.fromkeys(items, value)
