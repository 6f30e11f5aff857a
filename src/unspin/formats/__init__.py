"""Readers and writers for standard file formats: SemEval-2023 Task 3 and PTC-2020 (SemEval-2020 Task 11).

The package also reads articles and writes analyses, one module a job:

==============  =====================================================================
``registry``    every input and output format: name, suffixes, media types, reader or writer
``inputs``      which reader reads each input (``read_documents``)
``documents``   ``Document``, ``ReadOptions`` and what the readers share; plain text
``records``     JSONL, CSV/TSV and Parquet, one article a record
``web``         fetching URLs (with the public-address guard), HTML pages, URL lists
``feeds``       RSS and Atom feeds
``decode``      bytes to text: detected encodings, web pages' charsets, streams
``outputs``     the writers (``open_writer``)
==============  =====================================================================
"""

from __future__ import annotations

from .ptc import (
    PTC_TECHNIQUES,
    read_si_dir,
    read_si_file,
    read_tc_dir,
    read_tc_file,
    write_si_file,
    write_tc_file,
)
from .semeval import (
    LabelledSpan,
    TemplateRow,
    fix_span_end,
    read_article,
    read_articles,
    read_frame_labels,
    read_genre_labels,
    read_span_dir,
    read_span_file,
    read_technique_labels,
    read_template,
    write_frame_labels,
    write_genre_labels,
    write_span_file,
    write_technique_labels,
)

__all__ = [
    "PTC_TECHNIQUES",
    "LabelledSpan",
    "TemplateRow",
    "fix_span_end",
    "read_article",
    "read_articles",
    "read_frame_labels",
    "read_genre_labels",
    "read_si_dir",
    "read_si_file",
    "read_span_dir",
    "read_span_file",
    "read_tc_dir",
    "read_tc_file",
    "read_technique_labels",
    "read_template",
    "write_frame_labels",
    "write_genre_labels",
    "write_si_file",
    "write_span_file",
    "write_tc_file",
    "write_technique_labels",
]
