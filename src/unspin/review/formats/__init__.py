"""Reviews out to the formats annotation teams use, and back: SemEval-2023 Task 3 files, Label Studio, JSON Lines.

Every converter is a function over ``(Article, Analysis | None, Review)`` tuples
(:data:`Reviewed`); imports read a whole file before they return, so a malformed item
raises :class:`~unspin.errors.InputError` (naming the file and the item) and nothing is
half-read. ``lookup`` finds the stored article and analysis of a content hash, so that an
imported review numbers paragraphs as the stored article does.
"""

from ._common import DEFAULT_TASKS, MAX_TASKS, Lookup, Reviewed, line_labels, lines_of, model_label
from .jsonl import jsonl_lines, read_jsonl
from .labelstudio import Utf16Offsets, labelstudio_config, labelstudio_tasks, read_labelstudio
from .semeval import SemEvalExport, read_semeval, semeval_ids, write_semeval

FORMATS: tuple[str, ...] = ("semeval", "labelstudio", "jsonl")

__all__ = [
    "DEFAULT_TASKS",
    "FORMATS",
    "MAX_TASKS",
    "Lookup",
    "Reviewed",
    "SemEvalExport",
    "Utf16Offsets",
    "jsonl_lines",
    "labelstudio_config",
    "labelstudio_tasks",
    "line_labels",
    "lines_of",
    "model_label",
    "read_jsonl",
    "read_labelstudio",
    "read_semeval",
    "semeval_ids",
    "write_semeval",
]
