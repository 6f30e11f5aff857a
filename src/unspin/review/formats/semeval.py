"""Reviewed articles as SemEval-2023 Task 3 files, and such files back as reviews.

:func:`write_semeval` writes a folder that ``unspin evaluate`` scores against (the review
is the gold standard; ``model/`` holds the stored model's predictions for the same items)::

    articles/article<ID>.txt                      the texts, byte for byte (offsets count code points)
    labels-subtask-3-spans/article<ID>-labels-subtask-3.txt   the review's spans
    labels-subtask-3.txt                          techniques per paragraph (line), every non-blank line
    labels-subtask-2.txt                          frames, for the articles whose reviewer set them
    labels-subtask-1.txt                          genre, likewise
    model/...                                     the same four label files from the model's analyses
    index.tsv                                     ID, content hash, unspin id, reviewer, status

IDs are the articles' own where every one is a number and no two are alike, else 1..N in
order. The files carry spans, paragraph labels, frames and genre; not the reviewer, the
status, where a span came from nor the spans the reviewer rejected. :func:`read_semeval`
rebuilds reviews from such a folder: spans that a stored analysis proposed at the same
place with the same technique are the model's (with its confidence), the others the
reviewer's; a paragraph has explicit labels only where its lines' labels differ from what
its spans give; the status is ``done``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from ...analysis import Analysis
from ...article import Article
from ...errors import InputError, where
from ...files import write_text
from ...formats import semeval
from ...formats.decode import read_text
from ...formats.semeval import LabelledSpan
from ..model import Review, ReviewSpan
from ._common import Lookup, Reviewed, line_labels, lines_of, model_label, paragraph_labels_from_lines

__all__ = ["ARTICLES", "MODEL", "SemEvalExport", "read_semeval", "semeval_ids", "write_semeval"]

ARTICLES = "articles"
SPANS = "labels-subtask-3-spans"
TECHNIQUES = "labels-subtask-3.txt"
FRAMES = "labels-subtask-2.txt"
GENRES = "labels-subtask-1.txt"
MODEL = "model"
INDEX = "index.tsv"

_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class SemEvalExport:
    """What :func:`write_semeval` wrote: ``ids`` maps content hashes to SemEval IDs."""

    directory: Path
    ids: dict[str, str]
    with_frames: int
    with_genre: int
    with_model: int


def semeval_ids(articles: Sequence[Article]) -> list[str]:
    """SemEval IDs (numbers) for ``articles``: their own where all are distinct numbers, else 1..N."""
    own = [a.id or "" for a in articles]
    if all(i.isdigit() for i in own) and len(set(own)) == len(own):
        return own
    return [str(n) for n in range(1, len(articles) + 1)]


def write_semeval(items: Iterable[Reviewed], directory: str | Path) -> SemEvalExport:
    """Write reviewed articles as SemEval-2023 Task 3 files into ``directory`` (new or empty).

    Raises
    ------
    InputError
        ``directory`` is not empty, two reviews of one article (SemEval has one gold
        standard per article: export one reviewer's), an analysis of another text, nothing
        to write, or a file that cannot be written.
    """
    items = list(items)
    directory = Path(directory)
    _check_items(items)
    _prepare(directory)
    ids = semeval_ids([article for article, _, _ in items])
    gold, model = _LabelSet(), _LabelSet()
    for article_id, (article, analysis, review) in zip(ids, items, strict=True):
        write_text(directory / ARTICLES / f"article{article_id}.txt", article.text)
        lines = lines_of(article.text)
        gold.add(
            article_id,
            [LabelledSpan(article_id, s.technique, s.start, s.end) for s in review.spans],
            line_labels(article.paragraphs, review.paragraphs, review.spans, lines),
            review.frames,
            review.genre,
        )
        if analysis is not None:
            explicit = {p.number: [t.technique for t in p.techniques] for p in analysis.paragraphs}
            model.add(
                article_id,
                [LabelledSpan(article_id, s.technique, s.start, s.end) for s in analysis.spans],
                line_labels(article.paragraphs, explicit, [], lines),
                [f.label for f in analysis.frames] if review.frames is not None else None,
                analysis.genre if review.genre is not None else None,
            )
    gold.write(directory)
    if model.articles:
        model.write(directory / MODEL)
    _write_index(directory / INDEX, ids, items)
    return SemEvalExport(
        directory,
        {article.content_hash: article_id for article_id, (article, _, _) in zip(ids, items, strict=True)},
        len(gold.frames),
        len(gold.genres),
        len(model.articles),
    )


def _check_items(items: list[Reviewed]) -> None:
    if not items:
        raise InputError("no reviewed articles to export")
    seen: dict[str, str] = {}
    for article, analysis, review in items:
        name = article.id or article.content_hash[:12]
        if review.content_hash != article.content_hash:
            raise InputError(f"article {name}: the review by {review.reviewer} is of another text")
        if analysis is not None and analysis.article.text != article.text:
            raise InputError(f"article {name}: the analysis is of another text")
        if article.content_hash in seen:
            raise InputError(
                f"article {name} has reviews by {seen[article.content_hash]} and {review.reviewer}; "
                "SemEval files hold one annotation per article: export one reviewer's"
            )
        seen[article.content_hash] = review.reviewer


def _prepare(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError(f"{where(directory)}exists and is not an empty directory; choose a new one")
    try:
        for folder in (directory / ARTICLES, directory / SPANS):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{where(directory)}cannot create: {exc.strerror or exc}") from exc


class _LabelSet:
    """The four label files of one side (the review, or the model) being gathered."""

    def __init__(self) -> None:
        self.articles: list[str] = []
        self.spans: dict[str, list[LabelledSpan]] = {}
        self.techniques: dict[tuple[str, int], tuple[str, ...]] = {}
        self.frames: dict[str, list[str]] = {}
        self.genres: dict[str, str] = {}

    def add(
        self,
        article_id: str,
        spans: list[LabelledSpan],
        lines: dict[int, tuple[str, ...]],
        frames: list[str] | None,
        genre: str | None,
    ) -> None:
        self.articles.append(article_id)
        self.spans[article_id] = spans
        self.techniques.update({(article_id, number): labels for number, labels in lines.items()})
        if frames is not None:
            self.frames[article_id] = frames
        if genre is not None:
            self.genres[article_id] = genre

    def write(self, directory: Path) -> None:
        (directory / SPANS).mkdir(parents=True, exist_ok=True)
        for article_id in self.articles:
            semeval.write_span_file(
                directory / SPANS / f"article{article_id}-labels-subtask-3.txt", self.spans[article_id]
            )
        semeval.write_technique_labels(directory / TECHNIQUES, self.techniques)
        if self.frames:
            semeval.write_frame_labels(directory / FRAMES, self.frames)
        if self.genres:
            semeval.write_genre_labels(directory / GENRES, self.genres)


def _write_index(path: Path, ids: list[str], items: list[Reviewed]) -> None:
    rows = ["article_id\tcontent_hash\tunspin_id\treviewer\tstatus\tmodel"]
    for article_id, (article, _, review) in zip(ids, items, strict=True):
        cells = (article_id, article.content_hash, article.id or "", review.reviewer, review.status, review.model or "")
        rows.append("\t".join(_cell(c) for c in cells))
    write_text(path, "\n".join(rows) + "\n")


def _cell(value: str) -> str:
    return " ".join(value.split())  # no tab or newline inside a cell


# -- import -----------------------------------------------------------------------------------------------


def read_semeval(directory: str | Path, reviewer: str, lookup: Lookup | None = None) -> list[Reviewed]:
    """Reviews by ``reviewer`` from a folder laid out as :func:`write_semeval` writes it.

    Parameters
    ----------
    directory
        The folder: ``articles/`` and ``labels-subtask-3-spans/`` are required, the label
        files optional (a line without a row takes the labels of its spans).
    reviewer
        Whose reviews these are.
    lookup
        The stored article and analysis of a content hash: the review then numbers
        paragraphs as the stored article does, and spans the analysis proposed are the
        model's. Without one (or for a text it does not know) the article is read as a
        SemEval article (paragraph N is line N).

    Raises
    ------
    InputError
        Naming the file (and row): a missing folder or span file, a malformed row, an
        unknown technique, frame or genre, a span past the end of its text, a label for an
        article or line that is not there, the same text twice.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{where(directory)}not a directory")
    articles: dict[str, tuple[Article, Analysis | None]] = {}
    texts: dict[str, str] = {}
    for path in semeval.article_paths(directory / ARTICLES):
        article_id = path.name.removeprefix("article").removesuffix(".txt")
        text = _read_utf8(path)
        if text in texts.values():
            other = next(i for i, t in texts.items() if t == text)
            raise InputError(f"{where(path)}the same text as article{other}.txt")
        texts[article_id] = text
        articles[article_id] = _article(path, article_id, text, lookup)
    spans = _spans(directory / SPANS, texts)
    lines = _line_labels(directory / TECHNIQUES, texts)
    frames = _optional(directory / FRAMES, semeval.read_frame_labels, texts)
    genres = _optional(directory / GENRES, semeval.read_genre_labels, texts)
    reviewed: list[Reviewed] = []
    for article_id, (article, analysis) in articles.items():
        review_spans = _review_spans(spans[article_id], analysis)
        given = {number: labels for (key, number), labels in lines.items() if key == article_id}
        data = {
            "content_hash": article.content_hash,
            "reviewer": reviewer,
            "status": "done",
            "model": model_label(analysis),
            "spans": review_spans,
            "paragraphs": paragraph_labels_from_lines(
                article.paragraphs, review_spans, lines_of(texts[article_id]), given
            ),
            "frames": list(frames[article_id]) if article_id in frames else None,
            "genre": genres.get(article_id),
        }
        try:
            review = Review.model_validate(data)
        except ValidationError as exc:
            raise InputError(f"{where(directory)}article{article_id}: {exc.errors()[0]['msg']}") from exc
        reviewed.append((article, analysis, review))
    return reviewed


def _read_utf8(path: Path) -> str:
    text, encoding = read_text(path, encoding="utf-8")
    if encoding != "utf-8":
        raise InputError(f"{where(path)}the file is {encoding}; SemEval article files must be UTF-8")
    return text


def _article(path: Path, article_id: str, text: str, lookup: Lookup | None) -> tuple[Article, Analysis | None]:
    found = lookup(sha256(text.encode("utf-8", "surrogatepass")).hexdigest()) if lookup else None
    if found is not None:
        return found
    try:
        return Article.from_semeval(text, id=article_id), None
    except InputError as exc:
        raise InputError(f"{where(path)}{exc}") from exc


def _spans(folder: Path, texts: dict[str, str]) -> dict[str, list[LabelledSpan]]:
    if not folder.is_dir():
        raise InputError(f"{where(folder)}not a directory (the span files)")
    found: dict[str, list[LabelledSpan]] = {}
    for path in sorted(folder.iterdir()):
        article_id = path.name.removeprefix("article").removesuffix("-labels-subtask-3.txt")
        if not path.name.startswith("article") or not path.name.endswith("-labels-subtask-3.txt"):
            continue
        if article_id not in texts:
            raise InputError(f"{where(path)}no article{article_id}.txt for these spans")
        spans = []
        for span in semeval.read_span_file(path):  # as written: a reviewer's span ends where it ends
            if span.article_id != article_id:
                raise InputError(
                    f"{where(path)}a span of article {span.article_id} in the file of article {article_id}"
                )
            if span.end > len(texts[article_id]):
                raise InputError(
                    f"{where(path)}span {span.start}-{span.end} ({span.technique}) runs past the end of "
                    f"article{article_id}.txt ({len(texts[article_id])} characters)"
                )
            spans.append(span)
        found[article_id] = spans
    missing = [article_id for article_id in texts if article_id not in found]
    if missing:
        raise InputError(f"{where(folder)}no span file for article{missing[0]}.txt (an empty file means no span)")
    return found


def _line_labels(path: Path, texts: dict[str, str]) -> dict[tuple[str, int], tuple[str, ...]]:
    if not path.exists():
        return {}
    labels = semeval.read_technique_labels(path)
    numbers = {article_id: {line.number for line in lines_of(text)} for article_id, text in texts.items()}
    for article_id, number in labels:
        if article_id not in texts:
            raise InputError(f"{where(path)}labels for article {article_id}, which has no article{article_id}.txt")
        if number not in numbers[article_id]:
            raise InputError(f"{where(path)}article {article_id} line {number}: that line is blank or past the end")
    return labels


def _optional(path: Path, read: Callable[[Path], dict[str, _V]], texts: dict[str, str]) -> dict[str, _V]:
    if not path.exists():
        return {}
    labels = read(path)
    unknown = [article_id for article_id in labels if article_id not in texts]
    if unknown:
        raise InputError(f"{where(path)}labels for article {unknown[0]}, which has no article{unknown[0]}.txt")
    return labels


def _review_spans(spans: list[LabelledSpan], analysis: Analysis | None) -> list[ReviewSpan]:
    proposed = {(s.start, s.end, s.technique): s.confidence for s in analysis.spans} if analysis else {}
    unique = sorted({(s.start, s.end, s.technique) for s in spans})
    return [
        ReviewSpan(
            start=start,
            end=end,
            technique=technique,
            origin="model" if (start, end, technique) in proposed else "reviewer",
            model_confidence=proposed.get((start, end, technique)),
        )
        for start, end, technique in unique
    ]
