"""Readers and writers for the SemEval-2020 Task 11 Propaganda Techniques Corpus (PTC).

Articles are ``article<ID>.txt`` files read with :func:`unspin.formats.semeval.read_article`.
Label files hold one span per row, offsets in code points of the decoded article
(BOM counted), end exclusive:

* task 2 (technique classification), ``article<ID>.task2-TC.labels``:
  ``<article_id>\\t<technique>\\t<start>\\t<end>``; technique names contain commas
  (``Name_Calling,Labeling``), so the column is never split;
* task 1 (span identification), ``article<ID>.task1-SI.labels``:
  ``<article_id>\\t<start>\\t<end>``, read as spans whose technique is ``""``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from .semeval import (
    LabelledSpan,
    _files_by_id,
    _read_technique_spans,
    _rows,
    _sorted_spans,
    _span,
    _text_of,
    _write_rows,
    write_span_file,
)

__all__ = [
    "PTC_TECHNIQUES",
    "read_si_dir",
    "read_si_file",
    "read_tc_dir",
    "read_tc_file",
    "write_si_file",
    "write_tc_file",
]

PTC_TECHNIQUES: tuple[str, ...] = (
    "Appeal_to_Authority", "Appeal_to_fear-prejudice", "Bandwagon,Reductio_ad_hitlerum", "Black-and-White_Fallacy",
    "Causal_Oversimplification", "Doubt", "Exaggeration,Minimisation", "Flag-Waving", "Loaded_Language",
    "Name_Calling,Labeling", "Repetition", "Slogans", "Thought-terminating_Cliches",
    "Whataboutism,Straw_Men,Red_Herring",
)  # fmt: skip

_TC_FILE = re.compile(r"article(\d+)\.task2-TC\.labels")
_SI_FILE = re.compile(r"article(\d+)\.task1-SI\.labels")
_SI_COLUMNS = ("article_id", "start", "end")


def read_tc_file(path: str | Path, text: str | Mapping[str, str] | None = None) -> list[LabelledSpan]:
    """Read a task-2 TC label file; with ``text``, offsets are checked against the article.

    Raises
    ------
    InputError
        With a ``file:line:`` prefix: wrong column count, technique not in
        :data:`PTC_TECHNIQUES`, bad or out-of-range offsets.
    """
    return _read_technique_spans(Path(path), text, PTC_TECHNIQUES, fix_end=False)


def read_si_file(path: str | Path, text: str | Mapping[str, str] | None = None) -> list[LabelledSpan]:
    """Read a task-1 SI label file as spans with technique ``""`` (see :func:`read_tc_file`)."""
    return [
        _span(article_id, "", start, end, _text_of(text, article_id, at), at, fix_end=False)
        for at, (article_id, start, end) in _rows(Path(path), _SI_COLUMNS)
    ]


def read_tc_dir(directory: str | Path, texts: Mapping[str, str] | None = None) -> list[LabelledSpan]:
    """Read every ``article<ID>.task2-TC.labels`` of ``directory``, sorted by article id."""
    paths = _files_by_id(Path(directory), _TC_FILE, "article<ID>.task2-TC.labels")
    return [span for path in paths for span in read_tc_file(path, texts)]


def read_si_dir(directory: str | Path, texts: Mapping[str, str] | None = None) -> list[LabelledSpan]:
    """Read every ``article<ID>.task1-SI.labels`` of ``directory``, sorted by article id."""
    paths = _files_by_id(Path(directory), _SI_FILE, "article<ID>.task1-SI.labels")
    return [span for path in paths for span in read_si_file(path, texts)]


def write_tc_file(path: str | Path, spans: Iterable[LabelledSpan]) -> None:
    """Write spans as a task-2 TC label file (the SemEval-2023 span-file layout), sorted by id and offsets."""
    write_span_file(path, spans)


def write_si_file(path: str | Path, spans: Iterable[LabelledSpan]) -> None:
    """Write spans as a task-1 SI label file (techniques dropped), sorted by article id and offsets."""
    _write_rows(path, ((s.article_id, s.start, s.end) for s in _sorted_spans(spans)))
