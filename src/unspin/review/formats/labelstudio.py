"""Label Studio tasks with the model's spans as predictions and reviews as annotations, and back.

:func:`labelstudio_config` is the labelling interface the tasks fit: the 23 techniques as
span labels (``technique``), a ``Paragraph`` label (``paragraph``) whose regions take the
paragraph's techniques (``paragraph_techniques``, per region), and choices for the frames
(``frames``) and the genre (``genre``), all on the text ``text``.

:func:`labelstudio_tasks` writes one task per article: ``data.text`` is the article's text
(with its ``content_hash``), ``predictions`` holds the model's spans (with their
confidence as ``score``), genre and frames, and each review is one of the ``annotations``
(its reviewer as ``created_username``). Label Studio counts offsets in UTF-16 code units, as
JavaScript does, and unspin in code points: a character outside the Basic Multilingual
Plane (an emoji) is two units there and one here, and every offset is converted both ways.

:func:`read_labelstudio` reads Label Studio's JSON export back into reviews: each
annotation that was not cancelled is one reviewer's review, ``done``. A region that came
from a prediction (its ``origin``, or the id of a predicted region) is the model's span with
the prediction's score; a predicted span the annotation does not keep was rejected.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterable, Sequence
from hashlib import sha256
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from pydantic import ValidationError

from ...analysis import Analysis
from ...article import Article
from ...errors import InputError, where
from ...taxonomy import CATEGORIES, FRAME_LABELS, FRAMES, GENRE_LABELS, GENRES, TECHNIQUE_LABELS, TECHNIQUES
from ..model import Review, ReviewSpan, SpanRef
from ._common import Lookup, Reviewed, model_label

__all__ = ["labelstudio_config", "labelstudio_tasks", "read_labelstudio"]

TEXT = "text"
TECHNIQUE = "technique"
PARAGRAPH = "paragraph"
PARAGRAPH_LABEL = "Paragraph"
PARAGRAPH_TECHNIQUES = "paragraph_techniques"
FRAMES_NAME = "frames"
GENRE_NAME = "genre"
_PARAGRAPH_COLOUR = "#999999"
_CREATED_USERNAME = re.compile(r"^\s*(.*?)(?:,\s*\d+)?\s*$")  # Label Studio writes "email, id"

#: An article with its analysis and a review, either of which may be missing (an unreviewed task).
Task = tuple[Article, Analysis | None, Review | None]


# -- offsets ----------------------------------------------------------------------------------------------


class Utf16Offsets:
    """Offsets into one text as Python (code points) and as JavaScript (UTF-16 code units) count them."""

    __slots__ = ("_back", "_units")

    def __init__(self, text: str) -> None:
        self._units: list[int] | None = None
        self._back: dict[int, int] = {}
        if any(ord(c) > 0xFFFF for c in text):
            units, total = [0], 0
            for c in text:
                total += 2 if ord(c) > 0xFFFF else 1
                units.append(total)
            self._units, self._back = units, {u: i for i, u in enumerate(units)}

    def to_utf16(self, index: int) -> int:
        return index if self._units is None else self._units[index]

    def from_utf16(self, unit: int) -> int | None:
        """The code-point offset of ``unit``; None where it falls inside a surrogate pair."""
        return unit if self._units is None else self._back.get(unit)


# -- export -----------------------------------------------------------------------------------------------


def labelstudio_config() -> str:
    """The Label Studio labelling configuration (XML) that :func:`labelstudio_tasks` fits."""

    def choices(name: str, labels: Sequence[str], hints: dict[str, str], extra: str) -> list[str]:
        rows = [f'  <Choices name="{name}" toName="{TEXT}" {extra}>']
        rows += [f"    <Choice value={quoteattr(label)} hint={quoteattr(hints[label])}/>" for label in labels]
        return [*rows, "  </Choices>"]

    technique_hints = {label: f"{t.name}: {t.definition}" for label, t in TECHNIQUES.items()}
    rows = [
        "<View>",
        '  <Header value="Select a span of text, then its persuasion technique"/>',
        f'  <Labels name="{TECHNIQUE}" toName="{TEXT}" showInline="true">',
        *(
            f"    <Label value={quoteattr(label)} background={quoteattr(CATEGORIES[t.category].colour)} "
            f"hint={quoteattr(technique_hints[label])}/>"
            for label, t in TECHNIQUES.items()
        ),
        "  </Labels>",
        f'  <Labels name="{PARAGRAPH}" toName="{TEXT}" showInline="true">',
        f'    <Label value="{PARAGRAPH_LABEL}" background="{_PARAGRAPH_COLOUR}" '
        'hint="Mark a paragraph to set its techniques yourself; otherwise they follow from its spans"/>',
        "  </Labels>",
        f'  <Text name="{TEXT}" value="$text"/>',
        '  <Header value="Techniques of the selected paragraph"/>',
        *choices(
            PARAGRAPH_TECHNIQUES,
            TECHNIQUE_LABELS,
            technique_hints,
            f'choice="multiple" perRegion="true" visibleWhen="region-selected" whenTagName="{PARAGRAPH}" '
            'showInline="true"',
        ),
        '  <Header value="Frames"/>',
        *choices(
            FRAMES_NAME, FRAME_LABELS, {k: f"{f.name}: {f.definition}" for k, f in FRAMES.items()}, 'choice="multiple"'
        ),
        '  <Header value="Genre"/>',
        *choices(
            GENRE_NAME,
            GENRE_LABELS,
            {k: f"{g.name}: {g.definition}" for k, g in GENRES.items()},
            'choice="single-radio" showInline="true"',
        ),
        "</View>",
    ]
    return "\n".join(rows) + "\n"


def labelstudio_tasks(items: Iterable[Task]) -> list[dict[str, Any]]:
    """One Label Studio task per article (items of one text are merged: one annotation per review).

    Raises
    ------
    InputError
        A review or analysis of another text than its article's.
    """
    grouped: dict[str, list[Task]] = {}
    for item in items:
        article, analysis, review = item
        name = article.id or article.content_hash[:12]
        if review is not None and review.content_hash != article.content_hash:
            raise InputError(f"article {name}: the review by {review.reviewer} is of another text")
        if analysis is not None and analysis.article.text != article.text:
            raise InputError(f"article {name}: the analysis is of another text")
        grouped.setdefault(article.content_hash, []).append(item)
    return [_task(group) for group in grouped.values()]


def _task(group: list[Task]) -> dict[str, Any]:
    article = group[0][0]
    analysis = next((a for _, a, _ in group if a is not None), None)
    offsets = Utf16Offsets(article.text)
    info = {"article_id": article.id, "title": article.title, "language": article.language, "url": article.url}
    task: dict[str, Any] = {
        "data": {
            TEXT: article.text,
            "content_hash": article.content_hash,
            **{key: value for key, value in info.items() if value},
        }
    }
    predicted = _predicted_spans(analysis, article.text, offsets) if analysis else []
    if analysis is not None:
        genre = {"choices": [analysis.genre]}
        frames = {"choices": [f.label for f in analysis.frames]}
        score = analysis.genre_probabilities.get(analysis.genre)
        task["predictions"] = [
            {
                "model_version": model_label(analysis),
                "result": [
                    *predicted,
                    {**_choices_result("model-genre", GENRE_NAME, genre), **({"score": score} if score else {})},
                    _choices_result("model-frames", FRAMES_NAME, frames),
                ],
            }
        ]
    reviews = [r for _, _, r in group if r is not None]
    if reviews:
        task["annotations"] = [_annotation(article, review, predicted, offsets) for review in reviews]
    return task


def _predicted_spans(analysis: Analysis, text: str, offsets: Utf16Offsets) -> list[dict[str, Any]]:
    return [
        {
            **_span_result(f"model-{n}", TECHNIQUE, s.start, s.end, text, offsets, labels=[s.technique]),
            "score": s.confidence,
        }
        for n, s in enumerate(analysis.spans, start=1)
    ]


def _span_result(
    region: str, from_name: str, start: int, end: int, text: str, offsets: Utf16Offsets, **value: object
) -> dict[str, Any]:
    return {
        "id": region,
        "from_name": from_name,
        "to_name": TEXT,
        "type": "labels" if "labels" in value else "choices",
        "value": {
            "start": offsets.to_utf16(start),
            "end": offsets.to_utf16(end),
            "text": text[start:end],
            **value,
        },
    }


def _choices_result(region: str, from_name: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"id": region, "from_name": from_name, "to_name": TEXT, "type": "choices", "value": value}


def _annotation(article: Article, review: Review, predicted: list[dict[str, Any]], offsets: Utf16Offsets) -> dict:
    text = article.text
    free = {p["id"]: p for p in predicted}  # predicted regions not yet given to a span of the review
    result: list[dict[str, Any]] = []
    for n, span in enumerate(review.spans, start=1):
        region, origin = f"review-{n}", "manual"
        if span.origin == "model":
            found = _predicted_region(span, free, offsets)
            origin = "prediction-changed"
            if found is not None:
                region = free.pop(found["id"])["id"]
                if span.model_technique is None and _place(found, offsets) == (span.start, span.end, span.technique):
                    origin = "prediction"
        item = _span_result(region, TECHNIQUE, span.start, span.end, text, offsets, labels=[span.technique])
        item["origin"] = origin
        if span.origin == "model" and span.model_confidence is not None:
            item["score"] = span.model_confidence
        result.append(item)
    for paragraph in article.paragraphs:
        if paragraph.number in review.paragraphs:
            region = f"paragraph-{paragraph.number}"
            start, end = paragraph.start, paragraph.end
            result.append(
                {
                    **_span_result(region, PARAGRAPH, start, end, text, offsets, labels=[PARAGRAPH_LABEL]),
                    "origin": "manual",
                }
            )
            if review.paragraphs[paragraph.number]:
                choices = list(review.paragraphs[paragraph.number])
                result.append(
                    {
                        **_span_result(region, PARAGRAPH_TECHNIQUES, start, end, text, offsets, choices=choices),
                        "origin": "manual",
                    }
                )
    if review.frames is not None:
        result.append(_choices_result("review-frames", FRAMES_NAME, {"choices": list(review.frames)}))
    if review.genre is not None:
        result.append(_choices_result("review-genre", GENRE_NAME, {"choices": [review.genre]}))
    annotation: dict[str, Any] = {
        "created_username": review.reviewer,
        "was_cancelled": False,
        "ground_truth": False,
        "result": result,
    }
    if review.updated_at is not None:
        annotation["updated_at"] = review.updated_at.isoformat()
    return annotation


def _place(region: dict[str, Any], offsets: Utf16Offsets) -> tuple[int | None, int | None, str]:
    value = region["value"]
    return offsets.from_utf16(value["start"]), offsets.from_utf16(value["end"]), value["labels"][0]


def _predicted_region(span: ReviewSpan, free: dict[str, dict], offsets: Utf16Offsets) -> dict[str, Any] | None:
    """The predicted region a model span of the review came from: the same place and (first) technique,
    else the most overlapping one of its first technique (a span whose edges the reviewer moved)."""
    first = span.model_technique or span.technique
    places = {region_id: _place(region, offsets) for region_id, region in free.items()}
    for wanted in (span.technique, first):
        for region_id, place in places.items():
            if place == (span.start, span.end, wanted):
                return free[region_id]
    overlaps = {
        region_id: min(span.end, end) - max(span.start, start)
        for region_id, (start, end, technique) in places.items()
        if technique == first and start is not None and end is not None
    }
    best = max(overlaps, key=lambda region_id: overlaps[region_id], default=None)
    return free[best] if best is not None and overlaps[best] > 0 else None


# -- import -----------------------------------------------------------------------------------------------


def read_labelstudio(path: str | Path, reviewer: str | None = None, lookup: Lookup | None = None) -> list[Reviewed]:
    """Reviews from Label Studio's JSON export (a list of tasks) of tasks made by :func:`labelstudio_tasks`.

    Parameters
    ----------
    path
        The JSON file.
    reviewer
        Whose reviews these are; by default each annotation's annotator (``completed_by``'s
        email, else ``created_username``).
    lookup
        The stored article and analysis of a content hash: the review then numbers
        paragraphs as the stored article does. Other texts are read as plain text.

    Raises
    ------
    InputError
        One line naming the file, task, annotation and result: not JSON, a task without
        text, a text that does not match its content hash, offsets outside the text or
        inside a character, a result whose text is not the text at its offsets, an
        unknown technique, frame or genre, no reviewer, two reviews by one reviewer.
    """
    path = Path(path)
    tasks = _load(path)
    reviewed: list[Reviewed] = []
    seen: set[tuple[str, str]] = set()
    for number, task in enumerate(tasks, start=1):
        at = f"{path}: task {_task_name(task, number)}"
        for item in _read_task(task, at, reviewer, lookup):
            key = (item[2].content_hash, item[2].reviewer)
            if key in seen:
                raise InputError(f"{at}: a second review of this text by {key[1]}")
            seen.add(key)
            reviewed.append(item)
    return reviewed


def _load(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{where(path)}cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{where(path)}not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{where(path)}not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, nesting past the stack
        raise InputError(f"{where(path)}not JSON that can be read ({type(exc).__name__}: {exc})") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"{where(path)}expected a list of Label Studio tasks")
    return data


def _task_name(task: object, number: int) -> str:
    task_id = task.get("id") if isinstance(task, dict) else None
    return f"{number} (id {task_id})" if isinstance(task_id, int | str) and task_id != "" else str(number)


def _read_task(task: object, at: str, reviewer: str | None, lookup: Lookup | None) -> list[Reviewed]:
    data = task.get("data") if isinstance(task, dict) else None
    text = data.get(TEXT) if isinstance(data, dict) else None
    if not isinstance(task, dict) or not isinstance(data, dict) or not isinstance(text, str) or not text.strip():
        raise InputError(f"{at}: not a task with data.{TEXT} (the article's text)")
    content_hash = sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if data.get("content_hash") not in (None, content_hash):
        raise InputError(f"{at}: data.{TEXT} is not the text of data.content_hash (was it edited?)")
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        raise InputError(f"{at}: annotations is not a list")
    if not annotations:
        return []
    found = lookup(content_hash) if lookup else None
    if found is not None:
        article, analysis = found
    else:
        try:
            article = Article.from_text(
                text, id=_text_or_none(data.get("article_id")), language=_text_or_none(data.get("language"))
            )
        except InputError as exc:
            raise InputError(f"{at}: {exc}") from exc
        analysis = None
    offsets = Utf16Offsets(text)
    predicted, model = _predictions(task.get("predictions"), text, offsets, at)
    reviewed = []
    for number, annotation in enumerate(annotations, start=1):
        where_annotation = f"{at}, annotation {number}"
        if not isinstance(annotation, dict):
            raise InputError(f"{where_annotation}: not an object")
        if annotation.get("was_cancelled"):
            continue
        review = _review(annotation, article, predicted, model, offsets, where_annotation, reviewer)
        reviewed.append((article, analysis, review))
    return reviewed


def _text_or_none(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else None


class _Region:
    """A text region of a result: code-point offsets, and the techniques or choices it carries."""

    __slots__ = ("end", "id", "labels", "score", "start")

    def __init__(self, region_id: str, start: int, end: int, labels: list[str], score: float | None) -> None:
        self.id, self.start, self.end, self.labels, self.score = region_id, start, end, labels, score


def _predictions(predictions: object, text: str, offsets: Utf16Offsets, at: str) -> tuple[list[_Region], str | None]:
    if predictions is None:
        return [], None
    if not isinstance(predictions, list):
        raise InputError(f"{at}: predictions is not a list")
    regions, versions = [], set()
    for number, prediction in enumerate(predictions, start=1):
        here = f"{at}, prediction {number}"
        if not isinstance(prediction, dict) or not isinstance(prediction.get("result", []), list):
            raise InputError(f"{here}: not an object with a result list")
        if isinstance(prediction.get("model_version"), str):
            versions.add(prediction["model_version"])
        for item_number, item in enumerate(prediction.get("result", []), start=1):
            result = _Result(item, f"{here}, result {item_number}", text, offsets)
            if result.kind == "span":
                regions.append(result.region())
    return regions, versions.pop() if len(versions) == 1 else None


class _Result:
    """One checked item of an annotation's (or prediction's) ``result``."""

    def __init__(self, item: object, at: str, text: str, offsets: Utf16Offsets) -> None:
        self.at = at
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise InputError(f"{at}: not a result object with a value")
        self.item, self.value = item, item["value"]
        self.id = str(item.get("id", at))
        kind, from_name = item.get("type"), item.get("from_name")
        self.origin = item.get("origin")
        self.kind = "other"
        self.start = self.end = 0
        if kind == "labels":
            labels = self._strings("labels")
            if labels == [PARAGRAPH_LABEL]:
                self.kind, self.labels = "paragraph", []
            else:
                self.kind, self.labels = "span", [_known(label, TECHNIQUE_LABELS, "technique", at) for label in labels]
            self._place(text, offsets)
        elif kind == "choices":
            self.labels = self._strings("choices")
            if from_name == PARAGRAPH_TECHNIQUES or "start" in self.value:
                self.kind = "paragraph"
                self.labels = [_known(label, TECHNIQUE_LABELS, "technique", at) for label in self.labels]
                self._place(text, offsets)
            elif from_name == FRAMES_NAME:
                self.kind, self.labels = "frames", [_known(f, FRAME_LABELS, "frame", at) for f in self.labels]
            elif from_name == GENRE_NAME:
                if len(self.labels) != 1:
                    raise InputError(f"{at}: a genre result needs one choice, found {len(self.labels)}")
                self.kind, self.labels = "genre", [_known(self.labels[0], GENRE_LABELS, "genre", at)]
            else:
                raise InputError(
                    f"{at}: choices from {from_name!r}; expected {FRAMES_NAME}, {GENRE_NAME} or "
                    f"{PARAGRAPH_TECHNIQUES} (use the labelling config of `unspin review export`)"
                )
        score = item.get("score")
        self.score = float(score) if isinstance(score, int | float) and 0 <= score <= 1 else None

    def _strings(self, key: str) -> list[str]:
        values = self.value.get(key)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputError(f"{self.at}: value.{key} is not a list of names")
        return values

    def _place(self, text: str, offsets: Utf16Offsets) -> None:
        start, end = self.value.get("start"), self.value.get("end")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise InputError(f"{self.at}: value.start and value.end must be integers")
        first, last = offsets.from_utf16(start), offsets.from_utf16(end)
        units = offsets.to_utf16(len(text))
        if not 0 <= start < end <= units:
            raise InputError(f"{self.at}: offsets {start}-{end} are outside the text (0-{units}, in UTF-16 units)")
        if first is None or last is None:
            raise InputError(f"{self.at}: offset {start if first is None else end} splits a character in two")
        given = self.value.get("text")
        if given is not None and given != text[first:last]:
            raise InputError(
                f"{self.at}: its text {_short(given)} is not the task text at {start}-{end} ({_short(text[first:last])})"
            )
        self.start, self.end = first, last

    def region(self) -> _Region:
        return _Region(self.id, self.start, self.end, self.labels, self.score)


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "...'"


def _known(label: str, inventory: Sequence[str], kind: str, at: str) -> str:
    if label in inventory:
        return label
    close = difflib.get_close_matches(label, inventory, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InputError(f"{at}: unknown {kind} {label!r}{hint}")


def _reviewer(annotation: dict[str, Any], given: str | None, at: str) -> str:
    if given:
        return given
    completed_by = annotation.get("completed_by")
    if isinstance(completed_by, dict):
        for key in ("email", "username"):
            if isinstance(completed_by.get(key), str) and completed_by[key].strip():
                return str(completed_by[key]).strip()
        name = " ".join(str(completed_by.get(k) or "") for k in ("first_name", "last_name")).strip()
        if name:
            return name
    created = annotation.get("created_username")
    if isinstance(created, str):
        match = _CREATED_USERNAME.match(created)
        if match and match.group(1):
            return match.group(1)
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return f"label-studio user {completed_by}"
    raise InputError(f"{at}: no annotator named (completed_by, created_username); give the reviewer's name")


def _review(
    annotation: dict[str, Any],
    article: Article,
    predicted: list[_Region],
    model: str | None,
    offsets: Utf16Offsets,
    at: str,
    given: str | None,
) -> Review:
    items = annotation.get("result") or []
    if not isinstance(items, list):
        raise InputError(f"{at}: result is not a list")
    results = [_Result(item, f"{at}, result {n}", article.text, offsets) for n, item in enumerate(items, start=1)]
    by_id = {region.id: region for region in predicted}
    spans: dict[tuple[int, int, str], ReviewSpan] = {}
    kept: set[str] = set()
    paragraph_regions: dict[str, tuple[int, int, set[str], str]] = {}
    frames: list[str] | None = None
    genre: str | None = None
    for result in results:
        if result.kind == "span":
            source = by_id.get(result.id) if result.origin != "manual" else None
            if source is not None:
                kept.add(source.id)
            for technique in result.labels:
                from_model = source is not None or str(result.origin or "").startswith("prediction")
                first = source.labels[0] if source is not None and source.labels else None
                spans[result.start, result.end, technique] = ReviewSpan(
                    start=result.start,
                    end=result.end,
                    technique=technique,
                    origin="model" if from_model else "reviewer",
                    model_technique=first if first is not None and first != technique else None,
                    model_confidence=(source.score if source is not None else result.score) if from_model else None,
                )
        elif result.kind == "paragraph":
            start, end, labels, here = paragraph_regions.get(result.id, (result.start, result.end, set(), result.at))
            paragraph_regions[result.id] = (start, end, labels | set(result.labels), here)
        elif result.kind == "frames":
            frames = sorted(set(result.labels), key=FRAME_LABELS.index)
        elif result.kind == "genre":
            genre = result.labels[0]
    rejected = sorted(
        {
            (region.start, region.end, technique)
            for region in predicted
            if region.id not in kept
            for technique in region.labels
            if (region.start, region.end, technique) not in spans
        }
    )
    paragraphs: dict[int, set[str]] = {}
    for start, end, labels, here in paragraph_regions.values():
        covered = [p.number for p in article.paragraphs if p.start < end and p.end > start]
        if not covered:
            raise InputError(f"{here}: a paragraph region at {start}-{end} covers no paragraph of the text")
        for number in covered:
            paragraphs.setdefault(number, set()).update(labels)
    try:
        return Review(
            content_hash=article.content_hash,
            reviewer=_reviewer(annotation, given, at),
            status="done",
            model=model,
            spans=[spans[key] for key in sorted(spans)],
            rejected=[SpanRef(start=s, end=e, technique=t) for s, e, t in rejected],
            paragraphs={number: sorted(labels) for number, labels in sorted(paragraphs.items())},
            frames=frames,
            genre=genre,
            updated_at=_time(annotation.get("updated_at")),
        )
    except ValidationError as exc:
        raise InputError(f"{at}: {exc.errors()[0]['msg']}") from exc


def _time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
