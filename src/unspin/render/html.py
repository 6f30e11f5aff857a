"""The HTML report: one self-contained page per article, and an index page for a batch.

As in displaCy, data comes first: an :class:`~unspin.analysis.Analysis` becomes plain view
objects here, and the Jinja templates in ``templates/`` (autoescaped) only format them.

Each page is one file that works offline. The stylesheet and the script are inlined, and a
Content-Security-Policy lets the page load nothing and run nothing but those two blocks
(allowed by hash), so markup smuggled into an article could not run even if escaping failed.

The article text keeps its exact characters: every paragraph element holds
``text[p.start:p.end]`` and nothing else. Labels are CSS generated content and tooltips live
outside the text, so copying or stripping the markup gives back the original. A carriage
return is written as the character reference ``&#13;``, because an HTML parser turns a raw
CR (and CRLF) into a line feed but keeps a referenced one.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from .._version import __version__
from ..analysis import Analysis, ParagraphAnalysis, Span, TechniqueScore, quality_note
from ..article import Article
from ..compare import Comparison, Probability, Rate, Side
from ..errors import InputError
from ..i18n import current_ui_language, gettext, localized, ngettext
from ..stopwords import STOP_WORDS
from ..taxonomy import CATEGORIES, FRAMES, GENRES, TECHNIQUE_LABELS, Category, technique
from .confidence import confidence_legend, confidence_word
from .interface import speaks
from .segments import Segment, segments

__all__ = [
    "article_context",
    "comparison_context",
    "comparison_css",
    "cue_words",
    "render_comparison_html",
    "render_html",
    "render_index",
    "report_assets",
    "report_environment",
    "report_messages",
]

# The cues besides colour: a letter after each span and an underline style per category.
_CATEGORY_CUES: dict[str, tuple[str, str]] = {
    "attack_on_reputation": ("A", "underline wavy"),
    "justification": ("J", "underline double"),
    "simplification": ("S", "underline dashed"),
    "distraction": ("D", "underline dotted"),
    "call": ("C", "underline overline solid"),
    "manipulative_wording": ("M", "underline solid"),
}
_QUOTE_MAX_CHARS = 160
_CUES_MAX = 6
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_WEB_SCHEMES = frozenset({"http", "https"})
_INDEX_LINK_SCHEMES = frozenset({"", "http", "https", "file"})


@dataclass(frozen=True, slots=True)
class _CategoryView:
    key: str
    name: str
    letter: str
    spans: int = 0


class _Confident:
    """Confidence formatting shared by highlights and margin notes."""

    __slots__ = ()
    confidence: float

    @property
    def percent(self) -> str:
        return f"{self.confidence:.0%}"

    @property
    def confidence_attr(self) -> str:
        return f"{self.confidence:.4f}"

    @property
    def word(self) -> str:
        """The confidence in a word, in the interface language (read while rendering)."""
        return gettext(confidence_word(self.confidence))


@dataclass(frozen=True, slots=True)
class _SpanView(_Confident):
    id: str
    name: str
    definition: str
    example: str
    category: _CategoryView
    confidence: float
    quote: str
    cues: tuple[str, ...]
    ends_here: bool
    shown: bool  # at or above the analysis's threshold; the others wait for the slider


@dataclass(frozen=True, slots=True)
class _MarkView:
    """A highlighted segment: one focusable element, with a tooltip listing every span covering it."""

    id: str
    spans: tuple[_SpanView, ...]  # most confident first
    language: str | None = None  # the article's: its quote and cue words are the article's text

    @property
    def tip_id(self) -> str:
        return f"tip-{self.id}"

    @property
    def show(self) -> str | None:
        return next((s.category.key for s in self.spans if s.shown), None)

    @property
    def end_letters(self) -> str:
        return "".join(s.category.letter for s in self.spans if s.ends_here and s.shown)


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    mark: _MarkView | None


@dataclass(frozen=True, slots=True)
class _Run:
    """Consecutive pieces of a paragraph; ``evidence_id`` when they are a sentence that margin notes point at."""

    evidence_id: str | None
    pieces: tuple[_Piece, ...]


@dataclass(frozen=True, slots=True)
class _NoteView(_Confident):
    name: str
    definition: str
    example: str
    category: _CategoryView
    confidence: float
    shown: bool
    evidence: str | None  # the sentence that carries a label without a span
    evidence_id: str | None  # that sentence's element in the text, when it could be wrapped in one


@dataclass(frozen=True, slots=True)
class _ParagraphView:
    number: int
    anchor: str  # the paragraph element's id
    runs: tuple[_Run, ...]
    techniques: tuple[_NoteView, ...]


@dataclass(frozen=True, slots=True)
class _BarRow:
    label: str
    fraction: float
    values: tuple[str, ...]
    category: _CategoryView | None = None
    chosen: bool = False

    @property
    def width(self) -> str:
        return f"{100 * min(max(self.fraction, 0.0), 1.0):.1f}%"


@speaks
def render_html(analysis: Analysis, *, ui_language: str | None = None) -> str:
    """Render one analysis as a self-contained HTML page.

    The page shows the genre and frames in one line (their charts folded under it), then the
    article with every span highlighted in its category's colour (and underline style and
    letter), a tooltip per highlight on hover and keyboard focus that says why (definition,
    example, cue words, confidence in words), a confidence slider and category toggles, and
    the techniques of each paragraph in the margin, a label without a span linking to its
    evidence sentence. It loads nothing from the network and prints on paper.

    Parameters
    ----------
    analysis : Analysis
        The result to show; every value taken from it is escaped.
    ui_language : str, optional
        The language of the page's own words (``en``, ``fr``, ``de``, ``it``, ``pl``, ``ru``);
        default, the current one (:func:`unspin.i18n.ui_language`). The article keeps its own
        language, in its ``lang`` attributes.

    Returns
    -------
    str
        A complete HTML document; write it as UTF-8.

    Raises
    ------
    InputError
        If a span or paragraph names an unknown technique, or ``ui_language`` is not one of the six.

    See Also
    --------
    render_index : the page linking the reports of a batch.

    Examples
    --------
    >>> from unspin.analysis import Analysis, ParagraphAnalysis, Span, TechniqueScore
    >>> from unspin.article import Article
    >>> article = Article.from_text("They will never win. Our land, our rules!", language="en")
    >>> slogan = Span(21, 41, "Slogans", 0.9, "Our land, our rules!")
    >>> paragraph = ParagraphAnalysis(1, 0, 41, (TechniqueScore("Slogans", 0.9),), (slogan,))
    >>> analysis = Analysis(article, "opinion", {"opinion": 0.8}, (), {}, (paragraph,))
    >>> page = render_html(analysis)
    >>> page.startswith("<!DOCTYPE html>"), "Our land, our rules!</mark>" in page
    (True, True)
    """
    return _render("article.html.j2", article_context(analysis), script=True)


def article_context(analysis: Analysis) -> dict[str, Any]:
    """What ``article.html.j2`` shows of one analysis: plain view objects, nothing escaped yet.

    :func:`render_html` renders it as a self-contained file; the web UI renders it in a
    template extending ``article.html.j2`` (from :func:`report_environment`) that links
    :func:`report_assets` instead of inlining them. Same page, one renderer.
    """
    paragraphs, marks = _paragraph_views(analysis)
    spans_per_category = Counter(_category(s.technique).key for s in analysis.spans)
    return {
        **_article_meta(analysis.article),
        **_glance(analysis),
        "genre_rows": _genre_rows(analysis),
        "frame_rows": _frame_rows(analysis),
        "technique_rows": _technique_rows(analysis),
        "categories": [_category_view(c, spans_per_category[c.key]) for c in CATEGORIES.values()],
        "paragraphs": paragraphs,
        "marks": marks,
        "total_spans": _span_total(analysis),
        "shown_spans": len(analysis.spans),
        **_slider_start(analysis.thresholds.get("span", 0.0)),
        "genre_uncertain": analysis.genre_uncertain,
        "quality_note": quality_note(analysis.model.get("quality")),
        "model_name": analysis.model.get("name"),
        "model_version": analysis.model.get("version"),
    }


def _article_meta(article: Article) -> dict[str, Any]:
    """The article's title and metadata as the report's header shows them."""
    url = article.url or None
    return {
        "title": article.title or article.id or gettext("Untitled article"),
        "date": article.date.isoformat() if article.date else None,
        "title_language": article.language if article.title else None,  # an id or "Untitled" is not the article's
        "language": article.language,
        "source": article.source,
        "url": url,
        "url_href": _safe_href(url, _WEB_SCHEMES),
        "article_id": article.id,
    }


GLANCE_FRAMES = 3  # the most probable frames named in the one-line summary; the charts have them all


def _glance(analysis: Analysis) -> dict[str, Any]:
    """The one-line summary above the article: the genre with its probability and the predicted frames."""
    probability = analysis.genre_probabilities.get(analysis.genre)
    genre = _name(analysis.genre, GENRES) + (f" ({probability:.0%})" if probability is not None else "")
    frames = [_name(f.label, FRAMES) for f in analysis.frames]
    uncertain = gettext("uncertain (most likely %(genre)s)") % {"genre": genre}
    return {
        "genre_summary": uncertain if analysis.genre_uncertain else genre,
        "frame_names": frames[:GLANCE_FRAMES],
        "frames_more": len(frames[GLANCE_FRAMES:]),  # in the charts below the line
    }


def report_messages(total_spans: int) -> dict[str, str]:
    """What ``report.js`` writes, in the interface language; it fills in each ``%(name)s``.

    The page carries them as JSON in a ``data-messages`` attribute (a script cannot call
    gettext, and an attribute is not a script the Content-Security-Policy must allow).
    """
    return {
        "shown_spans": ngettext(
            "Showing %(shown)s of %(total)s span", "Showing %(shown)s of %(total)s spans", total_spans
        ),
    }


def _span_total(analysis: Analysis) -> int:
    """Spans shown and candidates together: all the slider can show."""
    return len(analysis.spans) + sum(len(p.candidate_spans) for p in analysis.paragraphs)


SLIDER_STEPS = 200  # 0.5% steps: the shipped span threshold (0.125) is one of them


def _slider_start(threshold: float) -> dict[str, str]:
    """The slider's first value: the span threshold, floored to the slider's steps.

    A threshold between steps would show, at first, candidates the model did not report.
    """
    start = math.floor(threshold * SLIDER_STEPS + 1e-9) / SLIDER_STEPS
    return {"threshold": f"{start:g}", "threshold_percent": _percent(start), "step": f"{1 / SLIDER_STEPS:g}"}


def _percent(value: float) -> str:
    """``12.5%``, ``13%``: as the report's script writes it."""
    return f"{round(value * 1000) / 10:g}%"


@speaks
def render_index(analyses: Sequence[Analysis], links: Sequence[str], *, ui_language: str | None = None) -> str:
    """Render the index page of a batch: the corpus summary and a link to each article's page.

    Parameters
    ----------
    analyses : sequence of Analysis
        The analysed articles, in the order to list them.
    links : sequence of str
        For each analysis, the address of its page: a relative path (the usual case, e.g.
        ``"articles/0001.html"``) or an ``http``, ``https`` or ``file`` URL.
    ui_language : str, optional
        The language of the page's own words, as for :func:`render_html`.

    Returns
    -------
    str
        A complete, self-contained HTML document without any script.

    Raises
    ------
    InputError
        If ``links`` and ``analyses`` differ in length, a link has another scheme (such as
        ``javascript:``), or an analysis names an unknown technique.

    See Also
    --------
    render_html : the page of one article.
    """
    if len(links) != len(analyses):
        raise InputError(f"render_index needs one link per analysis, got {len(links)} links for {len(analyses)}")
    hrefs = [_safe_href(link, _INDEX_LINK_SCHEMES) for link in links]
    for position, (link, href) in enumerate(zip(links, hrefs, strict=False), start=1):
        if href is None:
            raise InputError(f"link {position} ({link!r}) must be a relative path or an http(s) or file URL")
    summaries = [a.summary() for a in analyses]
    paragraphs = sum(s["paragraphs"] for s in summaries)
    flagged = sum(s["paragraphs_with_techniques"] for s in summaries)
    context = {
        "articles": [
            _index_row(position, a, s, href)
            for position, (a, s, href) in enumerate(zip(analyses, summaries, hrefs, strict=False), start=1)
        ],
        "corpus": {
            "paragraphs": paragraphs,
            "flagged": flagged,
            "flagged_share": f"{flagged / paragraphs:.0%}" if paragraphs else "0%",
            "spans": sum(s["spans"] for s in summaries),
        },
        **_corpus_rows(analyses, summaries),
    }
    return _render("index.html.j2", context, script=False)


@speaks
def render_comparison_html(comparison: Comparison, a: Analysis, b: Analysis, *, ui_language: str | None = None) -> str:
    """Render two compared analyses as one self-contained page, like :func:`render_html`.

    Both texts are highlighted side by side, paragraph i of A beside paragraph i of B (stacked
    on a phone), under a table of techniques and categories per 1,000 words with the
    difference, the genre and frame probabilities, and what only one of them uses.

    Parameters
    ----------
    comparison : Comparison
        ``compare(a, b)``; its numbers are shown as they are.
    a, b : Analysis
        The two analyses compared, for their texts and highlights.
    ui_language : str, optional
        The language of the page's own words, as for :func:`render_html`.
    """
    return _render("compare.html.j2", comparison_context(comparison, a, b), script=True, extra_css=comparison_css())


def comparison_context(comparison: Comparison, a: Analysis, b: Analysis) -> dict[str, Any]:
    """What ``compare.html.j2`` shows: both articles' highlighted paragraphs, paired as ``comparison`` pairs them."""
    (paragraphs_a, marks_a), (paragraphs_b, marks_b) = _paragraph_views(a, "a-"), _paragraph_views(b, "b-")
    spans_per_category = Counter(_category(s.technique).key for s in (*a.spans, *b.spans))
    pairs = [
        (paragraphs_a[i] if pair.a is not None else None, paragraphs_b[i] if pair.b is not None else None)
        for i, pair in enumerate(comparison.paragraphs)
    ]
    # Both analyses normally share one model and threshold; otherwise the slider starts at the lower one.
    threshold = min(analysis.thresholds.get("span", 0.0) for analysis in (a, b))
    return {
        "sides": [_side_view("a", comparison.a, a), _side_view("b", comparison.b, b)],
        "category_rows": [_difference_row(r, CATEGORIES[r.label]) for r in comparison.categories],
        "technique_rows": [_difference_row(r, _category(r.label)) for r in comparison.techniques],
        "genre_rows": [
            _both_row(r, GENRES, comparison.a.genre == r.label, comparison.b.genre == r.label)
            for r in comparison.genres
        ],
        "frame_rows": [
            _both_row(r, FRAMES, r.label in comparison.a.frames, r.label in comparison.b.frames)
            for r in comparison.frames
        ],
        "only_in": [("A", _technique_notes(comparison.only_in_a)), ("B", _technique_notes(comparison.only_in_b))],
        "pairs": pairs,
        "marks": [*marks_a, *marks_b],
        "categories": [_category_view(c, spans_per_category[c.key]) for c in CATEGORIES.values()],
        "total_spans": _span_total(a) + _span_total(b),
        "shown_spans": len(a.spans) + len(b.spans),
        **_slider_start(threshold),
        "quality_note": quality_note(a.model.get("quality")),
        "model_name": a.model.get("name"),
        "model_version": a.model.get("version"),
    }


@dataclass(frozen=True, slots=True)
class _DifferenceRow:
    name: str
    category: _CategoryView
    a: str
    b: str
    difference: str
    direction: str  # "more" or "less" in B than in A, or "same"


@dataclass(frozen=True, slots=True)
class _BothRow:
    name: str
    a: str
    b: str
    chosen_a: bool
    chosen_b: bool


def _side_view(key: str, side: Side, analysis: Analysis) -> dict[str, Any]:
    genre = gettext("uncertain") if side.genre_uncertain else _name(side.genre, GENRES)
    return {
        **_article_meta(analysis.article),
        "key": key,
        "name": key.upper(),
        "words": f"{side.words:,}",
        "paragraphs": side.paragraphs,
        "genre": genre,
    }


def _difference_row(rate: Rate, category: Category) -> _DifferenceRow:
    name = gettext(category.name if rate.label == category.key else technique(rate.label).name)
    direction = "more" if rate.difference > 0 else "less" if rate.difference < 0 else "same"
    return _DifferenceRow(
        name,
        _category_view(category),
        f"{rate.per_1000_words_a:.1f}",
        f"{rate.per_1000_words_b:.1f}",
        f"{rate.difference:+.1f}",
        direction,
    )


def _both_row(row: Probability, names: dict[str, Any], chosen_a: bool, chosen_b: bool) -> _BothRow:
    return _BothRow(_name(row.label, names), f"{row.a:.0%}", f"{row.b:.0%}", chosen_a, chosen_b)


def _technique_notes(labels: tuple[str, ...]) -> list[tuple[str, _CategoryView]]:
    return [(gettext(technique(label).name), _category_view(_category(label))) for label in labels]


def _paragraph_views(analysis: Analysis, id_prefix: str = "") -> tuple[list[_ParagraphView], list[_MarkView]]:
    """Paragraphs cut into highlighted pieces, and their marks; ``id_prefix`` keeps two articles' ids apart."""
    text = analysis.article.text
    span_ids = {id(span): f"{id_prefix}s{index}" for index, span in enumerate(analysis.spans, start=1)}
    views: list[_ParagraphView] = []
    marks: list[_MarkView] = []
    span_ids.update(
        {
            id(span): f"{id_prefix}s{len(span_ids) + index}"
            for index, span in enumerate((s for p in analysis.paragraphs for s in p.candidate_spans), start=1)
        }
    )
    for paragraph in analysis.paragraphs:
        anchor = f"{id_prefix}p{paragraph.number}"
        targets = _evidence_targets(paragraph, anchor)
        shown = {id(s) for s in paragraph.spans}
        every = (*paragraph.spans, *paragraph.candidate_spans)
        cuts = [offset for sentence in targets for offset in sentence]
        pieces: list[tuple[Segment, _Piece]] = []
        for segment in segments(text, every, paragraph.start, paragraph.end, cuts=cuts):
            mark = None
            if segment.spans:
                covering = tuple(
                    _span_view(s, span_ids[id(s)], min(s.end, paragraph.end) == segment.end, id(s) in shown)
                    for s in segment.spans
                )
                mark = _MarkView(f"{id_prefix}m{len(marks) + 1}", covering, analysis.article.language)
                marks.append(mark)
            pieces.append((segment, _Piece(text[segment.start : segment.end], mark)))
        runs = _runs(pieces, targets)
        views.append(_ParagraphView(paragraph.number, anchor, runs, _notes(paragraph, text, targets)))
    return views, marks


def _evidence_targets(paragraph: ParagraphAnalysis, anchor: str) -> dict[tuple[int, int], str]:
    """An element id for each evidence sentence a margin note points at.

    A sentence that overlaps another without matching it is left out: elements cannot
    overlap, so its note shows the quote without a link.
    """
    targets: dict[tuple[int, int], str] = {}
    for score, _ in _scores(paragraph):
        sentence = _unspanned_evidence(score, paragraph)
        if sentence is None or sentence in targets or not paragraph.start <= sentence[0] < sentence[1] <= paragraph.end:
            continue
        if not any(sentence[0] < end and start < sentence[1] for start, end in targets):
            targets[sentence] = f"{anchor}-e{len(targets) + 1}"
    return targets


def _runs(pieces: list[tuple[Segment, _Piece]], targets: dict[tuple[int, int], str]) -> tuple[_Run, ...]:
    """Group the pieces of each evidence sentence (the segments are cut at its ends) into one run."""

    def target(segment: Segment) -> str | None:
        return next((i for (start, end), i in targets.items() if start <= segment.start and segment.end <= end), None)

    return tuple(
        _Run(key, tuple(piece for _, piece in group))
        for key, group in itertools.groupby(pieces, key=lambda pair: target(pair[0]))
    )


def _span_view(span: Span, span_id: str, ends_here: bool, shown: bool) -> _SpanView:
    entry = localized(technique(span.technique))
    return _SpanView(
        span_id,
        entry.name,
        entry.definition,
        entry.example,
        _category_view(CATEGORIES[entry.category]),
        span.confidence,
        _quote(span.text),
        cue_words(span.text),
        ends_here,
        shown,
    )


def cue_words(text: str) -> tuple[str, ...]:
    """The cue words of a span: its own words less stop words and numbers, each once, in order, at most six.

    The model scores whole spans, not words, so this is the honest reading a reader can check
    against the text: the content words the highlighted passage is made of.

    Examples
    --------
    >>> cue_words("the so-called partners will not give up their plans, the partners")
    ('so-called', 'partners', 'give', 'plans')
    """
    cues: dict[str, str] = {}
    for word in _WORD.findall(text):
        folded = word.casefold()
        if len(word) > 1 and not word.isdigit() and folded not in STOP_WORDS:
            cues.setdefault(folded, word)
    return tuple(cues.values())[:_CUES_MAX]


def _scores(paragraph: ParagraphAnalysis) -> list[tuple[TechniqueScore, bool]]:
    """The paragraph's techniques, most confident first, then the candidates; with whether each is shown."""
    return [
        (t, shown)
        for shown, scores in ((True, paragraph.techniques), (False, paragraph.candidate_techniques))
        for t in sorted(scores, key=lambda t: -t.confidence)
    ]


def _unspanned_evidence(score: TechniqueScore, paragraph: ParagraphAnalysis) -> tuple[int, int] | None:
    """The evidence sentence of a label without a span in the paragraph (a span is evidence enough)."""
    spanned = any(s.technique == score.technique for s in (*paragraph.spans, *paragraph.candidate_spans))
    return None if spanned else score.evidence


def _notes(paragraph: ParagraphAnalysis, text: str, targets: dict[tuple[int, int], str]) -> tuple[_NoteView, ...]:
    """The paragraph's techniques, shown first, then the candidates the slider can reveal."""
    notes = []
    for t, shown in _scores(paragraph):
        entry = localized(technique(t.technique))
        sentence = _unspanned_evidence(t, paragraph)
        evidence = _quote(text[sentence[0] : sentence[1]]) if sentence else None
        target = targets.get(sentence) if sentence else None
        category = _category_view(_category(t.technique))
        notes.append(
            _NoteView(entry.name, entry.definition, entry.example, category, t.confidence, shown, evidence, target)
        )
    return tuple(notes)


def _genre_rows(analysis: Analysis) -> list[_BarRow]:
    probabilities = analysis.genre_probabilities or {analysis.genre: 1.0}
    return _probability_rows(probabilities, {analysis.genre}, GENRES)


def _frame_rows(analysis: Analysis) -> list[_BarRow]:
    predicted = {f.label: f.probability for f in analysis.frames}
    return _probability_rows({**predicted, **analysis.frame_probabilities}, set(predicted), FRAMES)


def _probability_rows(probabilities: dict[str, float], chosen: set[str], names: dict[str, Any]) -> list[_BarRow]:
    ranked = sorted(probabilities.items(), key=lambda kv: (kv[0] not in chosen, -kv[1]))
    return [_BarRow(_name(label, names), p, (f"{p:.0%}",), chosen=label in chosen) for label, p in ranked]


def _technique_rows(analysis: Analysis) -> list[_BarRow]:
    paragraphs = analysis.summary()["techniques"]
    spans = Counter(s.technique for s in analysis.spans)
    return _count_rows(paragraphs, spans)


def _count_rows(main: dict[str, int], second: dict[str, int]) -> list[_BarRow]:
    """Rows per technique, by ``main`` count, then ``second``; the bar shows ``main``."""
    labels = sorted(set(main) | set(second), key=lambda t: (-main.get(t, 0), -second.get(t, 0), _label_order(t)))
    top = max(main.values(), default=0) or 1
    return [
        _BarRow(
            gettext(technique(t).name),
            main.get(t, 0) / top,
            (str(main.get(t, 0)), str(second.get(t, 0))),
            _category_view(_category(t)),
        )
        for t in labels
    ]


def _corpus_rows(analyses: Sequence[Analysis], summaries: list[dict[str, Any]]) -> dict[str, list[_BarRow]]:
    paragraphs: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for summary in summaries:
        paragraphs.update(summary["techniques"])
        articles.update(summary["techniques"].keys())
        categories.update(summary["categories"])
    genres = Counter(a.genre for a in analyses)
    frames = Counter(f.label for a in analyses for f in a.frames)
    top_category = max(categories.values(), default=0) or 1
    return {
        "technique_rows": _count_rows(paragraphs, articles),
        "category_rows": [
            _BarRow(gettext(c.name), categories[c.key] / top_category, (str(categories[c.key]),), _category_view(c))
            for c in sorted(CATEGORIES.values(), key=lambda c: -categories[c.key])
            if categories[c.key]
        ],
        "genre_rows": _tally_rows(genres, GENRES),
        "frame_rows": _tally_rows(frames, FRAMES),
    }


def _tally_rows(counts: Counter[str], names: dict[str, Any]) -> list[_BarRow]:
    top = max(counts.values(), default=0) or 1
    return [_BarRow(_name(label, names), n / top, (str(n),)) for label, n in counts.most_common()]


def _index_row(position: int, analysis: Analysis, summary: dict[str, Any], href: str | None) -> dict[str, Any]:
    article = analysis.article
    main = sorted(summary["techniques"].items(), key=lambda kv: (-kv[1], _label_order(kv[0])))[:3]
    return {
        "href": href,
        "title": article.title or article.id or gettext("Article %(number)s") % {"number": position},
        "date": article.date.isoformat() if article.date else None,
        "title_language": article.language if article.title else None,
        "source": article.source,
        "language": article.language,
        "genre": _name(analysis.genre, GENRES),
        "frames": [_name(f.label, FRAMES) for f in analysis.frames],
        "spans": summary["spans"],
        "techniques": [gettext(technique(label).name) for label, _ in main],
    }


def _category(label: str) -> Category:
    return CATEGORIES[technique(label).category]


def _category_view(category: Category, spans: int = 0) -> _CategoryView:
    return _CategoryView(category.key, gettext(category.name), _CATEGORY_CUES[category.key][0], spans)


def _label_order(label: str) -> int:
    return TECHNIQUE_LABELS.index(label)


def _name(label: str, table: dict[str, Any]) -> str:
    """The display name of a known genre or frame, in the interface language; an unknown label is shown as given."""
    entry = table.get(label)
    return gettext(entry.name) if entry is not None else str(label)


def _quote(text: str) -> str:
    """The span's text on one line, shortened for a tooltip."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _QUOTE_MAX_CHARS else flat[: _QUOTE_MAX_CHARS - 1].rstrip() + "…"


def _safe_href(link: str | None, schemes: frozenset[str]) -> str | None:
    """The link when it is safe to follow from a report (never ``javascript:`` or ``data:``)."""
    if not link:
        return None
    try:
        scheme = urlsplit(link.strip()).scheme.lower()
    except ValueError:
        return None
    return link if scheme in schemes else None


def _exact_text(value: str) -> Markup:
    """Escape text, keeping carriage returns, which a parser would otherwise read back as line feeds."""
    return Markup(str(escape(value)).replace("\r", "&#13;"))


def _render(template: str, context: dict[str, Any], *, script: bool, extra_css: str = "") -> str:
    css, js = report_assets()
    css += extra_css
    page = report_environment().get_template(template)
    return page.render(
        **context,
        version=__version__,
        css=Markup(css),
        js=Markup(js) if script else None,
        csp=_content_security_policy(css, *([js] if script else [])),
    )


def _content_security_policy(css: str, *scripts: str) -> str:
    """A policy allowing this one stylesheet and these inline scripts, by hash, and nothing else."""
    allowed = " ".join(f"'{_sha256(js)}'" for js in scripts) or "'none'"
    return f"default-src 'none'; style-src '{_sha256(css)}'; script-src {allowed}; base-uri 'none'; form-action 'none'"


def _sha256(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


@cache
def report_environment() -> Environment:
    """The Jinja environment of the report templates (autoescaped, with the ``exact`` filter)."""
    env = Environment(
        loader=PackageLoader("unspin.render", "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["exact"] = _exact_text
    # The callables read the interface language of the moment (unspin.i18n.ui_language), so one
    # cached environment serves every language.
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["confidence_legend"] = confidence_legend
    env.globals["report_messages"] = report_messages
    env.globals["ui_language"] = current_ui_language
    return env


@cache
def report_assets() -> tuple[str, str]:
    """The stylesheet (with one rule per category, from the taxonomy) and the script of a report."""
    env = report_environment()
    assert env.loader is not None
    static_css = env.loader.get_source(env, "report.css")[0]
    js = env.loader.get_source(env, "report.js")[0]
    category_css = "\n".join(
        f'.cat-{c.key}, mark.hl[data-show="{c.key}"] {{ --c: {c.colour}; --deco: {_CATEGORY_CUES[c.key][1]}; }}'
        for c in CATEGORIES.values()
    )
    return f"{static_css}\n/* Category colours and underline styles */\n{category_css}\n", js


@cache
def comparison_css() -> str:
    """The comparison page's stylesheet, added to the report's."""
    env = report_environment()
    assert env.loader is not None
    return env.loader.get_source(env, "compare.css")[0]
