"""Reviewing in the web app: a corpus article's review page, the review queue and agreement.

The review page shows the article with two layers over its text: the model's spans (the
machine layer, dashed until decided) and the reviewer's decisions (the human layer: accepted
solid, rejected struck through, added spans marked). ``review.js`` drives it from the keyboard
and from a bar of buttons; every action is one or a few :class:`~unspin.review.model.Decision`
objects sent to ``POST /corpus/articles/{id}/review/decisions``, which records them with
:func:`~unspin.review.store.record` under the signed-in reviewer's name and answers with the
new review and the page's items.

Decisions go through these UI routes, not ``/v1/reviews``: the page's script uses the sign-in
cookie (HttpOnly, SameSite=Strict), and the API keeps taking keys in headers only, so a cookie
never authorises an API call. The UI routes are guarded like every form of the web app
(:class:`~unspin.server.security.RequestOriginMiddleware` refuses cross-site posts), and the
script's route takes JSON only, which no cross-site form can send.

Without script the page still shows both layers (``?layer=`` picks model, review or both) and
a plain form per model span to accept or reject it, and the paragraph techniques, frames,
genre and status are forms that work either way.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import HTTPException, Query, Request
from fastapi import Path as FastApiPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...analysis import Analysis, Span
from ...errors import InputError, UnspinError
from ...i18n import N_, current_ui_language, localized, ngettext
from ...i18n import gettext as _
from ...review.agreement import Agreement, agreement_between
from ...review.formats import DEFAULT_TASKS, labelstudio_config, labelstudio_tasks
from ...review.formats.stored import unreviewed_in_store
from ...review.model import Decision, Review, ReviewStatus
from ...review.queue import review_queue
from ...review.store import ArticleRef, UnknownArticle, record, resolve_article, review, reviews_of
from ...store import CorpusFilter, Store
from ...store import tables as t
from ...store.articles import get_analysis, overview
from ...taxonomy import FRAMES, GENRES, TECHNIQUE_LABELS, category_of, technique
from ..deps import RuntimeDep
from ..problems import status_of
from ..routers.analyses import store_in_corpus
from ..runtime import Runtime
from .articles import _analysis
from .common import (
    UiCaller,
    attachment,
    format_count,
    format_fraction,
    message_of,
    pages_router,
    render,
    root_of,
)
from .jobs import _result

router = pages_router()

Layer = Literal["both", "model", "review"]
LAYERS: tuple[Layer, ...] = ("both", "model", "review")
ArticleId = Annotated[int, FastApiPath(ge=1, le=2**62)]
QUEUE_PAGE = 50
MAX_DECISIONS_AT_ONCE = 20  # the page sends one action at a time: a few decisions at most
STATUS_WORDS = {"unreviewed": N_("not started"), "in_progress": N_("in progress"), "done": N_("done")}
STATE_WORDS = {"pending": N_("not decided"), "accepted": N_("accepted"), "rejected": N_("rejected")}
LAYER_WORDS = {
    "both": N_("Model and review"),
    "model": N_("Model only"),
    "review": N_("Review only"),
}
# Which state shows on top where spans overlap: what still needs a decision first.
_PRIORITY = {"pending": 0, "added": 1, "accepted": 2, "model": 3, "rejected": 4}


# ---------------------------------------------------------------------------- the two layers


def review_items(analysis: Analysis, current: Review | None) -> list[dict[str, Any]]:
    """The model's spans with the reviewer's decision on each, then the spans the reviewer added.

    Each item has an ``id`` (``m`` and the model span's place, stable; ``r-START-END-TECHNIQUE``
    for the others), its ``origin``, its ``state`` (``pending``, ``accepted`` or ``rejected``),
    where it is and what technique it has now (``start``, ``end``, ``technique``) and, for a
    model span, what the model said (``model``). A review span of the model's origin is matched
    to the model span it came from: the same place and model technique, else the one of that
    technique it overlaps most (its edges were moved).
    """
    spans = sorted(analysis.spans, key=lambda s: (s.start, s.end, s.technique))
    reviewed = list(current.spans) if current else []
    rejected = {(r.start, r.end, r.technique) for r in current.rejected} if current else set()
    matched: dict[int, int] = {}
    taken: set[int] = set()

    def came_from(r: Any, s: Span) -> bool:
        return bool(r.origin == "model" and (r.model_technique or r.technique) == s.technique)

    for i, s in enumerate(spans):
        for j, r in enumerate(reviewed):
            if j not in taken and came_from(r, s) and (r.start, r.end) == (s.start, s.end):
                matched[i] = j
                taken.add(j)
                break
    for i, s in enumerate(spans):
        if i in matched or (s.start, s.end, s.technique) in rejected:
            continue
        overlaps = [
            (min(r.end, s.end) - max(r.start, s.start), -j)
            for j, r in enumerate(reviewed)
            if j not in taken and came_from(r, s) and r.start < s.end and s.start < r.end
        ]
        if overlaps:
            j = -max(overlaps)[1]
            matched[i] = j
            taken.add(j)
    items: list[dict[str, Any]] = []
    for i, s in enumerate(spans):
        model = {"start": s.start, "end": s.end, "technique": s.technique, "confidence": round(s.confidence, 4)}
        if i in matched:
            r = reviewed[matched[i]]
            state, place = "accepted", {"start": r.start, "end": r.end, "technique": r.technique}
        else:
            state = "rejected" if (s.start, s.end, s.technique) in rejected else "pending"
            place = {"start": s.start, "end": s.end, "technique": s.technique}
        items.append({"id": f"m{i}", "origin": "model", "state": state, **place, "model": model})
    for j, r in enumerate(reviewed):
        if j not in taken:
            items.append(
                {
                    "id": f"r-{r.start}-{r.end}-{r.technique}",
                    "origin": r.origin,
                    "state": "accepted",
                    "start": r.start,
                    "end": r.end,
                    "technique": r.technique,
                    "model": None,
                }
            )
    return items


def layer_entries(items: Sequence[Mapping[str, Any]], layer: Layer) -> list[dict[str, Any]]:
    """What a layer shows: each item's place, technique and look (``pending``, ``accepted``, ``added``,
    ``rejected``, or ``model`` for the model layer alone)."""
    entries = []
    for item in items:
        model, state = item["model"], item["state"]
        if layer == "model":
            if model is not None:
                entries.append({**model, "id": item["id"], "look": "model"})
        elif state == "accepted":
            look = "added" if item["origin"] == "reviewer" else "accepted"
            entries.append(
                {
                    "id": item["id"],
                    "start": item["start"],
                    "end": item["end"],
                    "technique": item["technique"],
                    "look": look,
                }
            )
        elif layer == "both" and model is not None:
            entries.append({**model, "id": item["id"], "look": state})
    return entries


def paragraph_pieces(text: str, start: int, end: int, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``text[start:end]`` cut at every entry's edge; a piece under entries carries the look of the top one."""
    inside = [e for e in entries if e["start"] < end and e["end"] > start]
    bounds = sorted({start, end, *(c for e in inside for c in (e["start"], e["end"]) if start < c < end)})
    pieces = []
    for a, b in itertools.pairwise(bounds):
        covering = [e for e in inside if e["start"] < b and e["end"] > a]
        mark = None
        if covering:
            top = min(covering, key=lambda e: (_PRIORITY[e["look"]], e["end"] - e["start"]))
            looks = f"rv rv-{top['look']} cat-{category_of(top['technique']).key}"
            starts = any(e["look"] == "added" and e["start"] == a for e in covering)
            mark = {
                "cls": looks + (" rv-add-start" if starts else ""),
                "ids": " ".join(e["id"] for e in covering),
                "title": ", ".join(dict.fromkeys(_name(e["technique"]) for e in covering)),
            }
        pieces.append({"text": text[a:b], "mark": mark})
    return pieces


def _name(label: str) -> str:
    return localized(technique(label)).name


def _technique_options() -> list[dict[str, str]]:
    """The 23 techniques, by translated name, with what the picker searches."""
    options = []
    for label in TECHNIQUE_LABELS:
        item = technique(label)
        name = localized(item).name
        category = localized(category_of(label))
        options.append(
            {
                "label": label,
                "name": name,
                "category": category.key,
                "category_name": category.name,
                "search": " ".join(dict.fromkeys((name, label.replace("_", " ").replace("-", " "), item.name))).lower(),
            }
        )
    return sorted(options, key=lambda o: o["name"].casefold())


# ---------------------------------------------------------------------------- the review page


def _article(runtime: Runtime, article_id: int) -> tuple[Analysis, ArticleRef]:
    analysis = get_analysis(runtime.corpus, article_id)
    if analysis is None:
        raise HTTPException(404, detail=_("no article %(id)s in the corpus") % {"id": article_id})
    try:
        return analysis, resolve_article(runtime.corpus, article_id)
    except UnknownArticle as exc:  # removed meanwhile
        raise HTTPException(404, detail=_("no article %(id)s in the corpus") % {"id": article_id}) from exc


def _page_url(request: Request, article_id: int) -> str:
    return f"{root_of(request)}/corpus/articles/{article_id}/review"


@router.get("/corpus/articles/{article_id}/review")
def review_page(
    article_id: ArticleId,
    request: Request,
    runtime: RuntimeDep,
    caller: UiCaller,
    layer: Annotated[Layer, Query()] = "both",
) -> HTMLResponse:
    """A stored article to review: both layers over its text, the actions in a bar, the labels in forms."""
    return _review_page(request, runtime, caller.reviewer, article_id, layer)


def _review_page(
    request: Request,
    runtime: Runtime,
    reviewer: str,
    article_id: int,
    layer: Layer,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    analysis, ref = _article(runtime, article_id)
    mine = review(runtime.corpus, ref.content_hash, reviewer)
    others = [r for r in reviews_of(runtime.corpus, ref.content_hash) if r.reviewer != reviewer]
    items = review_items(analysis, mine)
    entries = layer_entries(items, layer)
    text = analysis.article.text
    options = _technique_options()
    paragraphs = []
    for p in analysis.paragraphs:
        chosen = mine.paragraphs.get(p.number) if mine else None
        model_labels = [t.technique for t in p.techniques]
        paragraphs.append(
            {
                "number": p.number,
                "start": p.start,
                "end": p.end,
                "pieces": paragraph_pieces(text, p.start, p.end, entries),
                "model": [{"name": _name(t.technique), "percent": format_fraction(t.confidence)} for t in p.techniques],
                "mine": None if chosen is None else [_name(x) for x in chosen],
                "checked": set(model_labels if chosen is None else chosen),
            }
        )
    frames_model = [f.label for f in analysis.frames]
    page = _page_url(request, article_id)
    view = {
        "section": "review",
        "article_id": article_id,
        "title": analysis.article.title or _("Article %(id)s") % {"id": article_id},
        "article": analysis.article,
        "language": analysis.article.language,
        "model": ref.model,
        "reviewer": reviewer,
        "review": mine,
        "status_word": _(STATUS_WORDS[mine.status if mine else "unreviewed"]),
        "others": [{"name": r.reviewer, "status": _(STATUS_WORDS[r.status])} for r in others],
        "layer": layer,
        "layers": [(key, _(LAYER_WORDS[key])) for key in LAYERS],
        "paragraphs": paragraphs,
        "items": [_span_row(text, item) for item in items if item["model"] is not None],
        "counts": _counts(items),
        "techniques": options,
        "frames": [(label, localized(frame).name) for label, frame in FRAMES.items()],
        "frames_checked": set(mine.frames if mine and mine.frames is not None else frames_model),
        "frames_model": [localized(FRAMES[x]).name for x in frames_model if x in FRAMES],
        "frames_mine": None if not mine or mine.frames is None else [localized(FRAMES[x]).name for x in mine.frames],
        "genres": [(label, localized(genre).name) for label, genre in GENRES.items()],
        "genre_checked": (mine.genre if mine and mine.genre else analysis.genre),
        "genre_model": localized(GENRES[analysis.genre]).name if analysis.genre in GENRES else analysis.genre,
        "genre_mine": localized(GENRES[mine.genre]).name if mine and mine.genre in GENRES else None,
        "form_url": page,
        "error": error,
        "data": {
            "post": f"{page}/decisions",
            "text": text,
            "paragraphs": [{"number": p.number, "start": p.start, "end": p.end} for p in analysis.paragraphs],
            "items": items,
            "review": _review_json(mine),
            "layer": layer,
            "techniques": {o["label"]: {"name": o["name"], "category": o["category"]} for o in options},
            "frames": {label: localized(frame).name for label, frame in FRAMES.items()},
            "genres": {label: localized(genre).name for label, genre in GENRES.items()},
            "statuses": {key: _(word) for key, word in STATUS_WORDS.items()},
            "layers": {key: _(word) for key, word in LAYER_WORDS.items()},
            "messages": _messages(),
        },
    }
    return render(request, "review.html.j2", view, status=status)


def _span_row(text: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """A model span as the list without script shows it: what the model said, and the decision on it."""
    model = item["model"]
    now = "" if item["technique"] == model["technique"] else _name(item["technique"])
    return {
        "id": item["id"],
        "state": item["state"],
        "state_word": _(STATE_WORDS[item["state"]]),
        "now": now,
        "model": model,
        "name": _name(model["technique"]),
        "quote": text[model["start"] : model["end"]],
        "percent": format_fraction(model["confidence"]),
    }


def _counts(items: Sequence[Mapping[str, Any]]) -> str:
    states = [("added" if i["origin"] == "reviewer" else i["state"]) for i in items]
    return _("%(pending)s to decide, %(accepted)s accepted, %(rejected)s rejected, %(added)s added") % {
        name: format_count(states.count(name)) for name in ("pending", "accepted", "rejected", "added")
    }


def _review_json(current: Review | None) -> dict[str, Any] | None:
    return None if current is None else current.model_dump(mode="json")


def _messages() -> dict[str, str]:
    """What ``review.js`` says and writes, in the interface language; it fills in each ``%(name)s``."""
    return {
        "current": _("Span %(n)s of %(total)s: %(technique)s, %(state)s: “%(quote)s”"),
        "was": _("the model said %(technique)s"),
        "pending": _(STATE_WORDS["pending"]),
        "accepted": _(STATE_WORDS["accepted"]),
        "rejected": _(STATE_WORDS["rejected"]),
        "added": _("added by you"),
        "none": _("No spans in this view. Select words and press n to add one."),
        "did_accept": _("Accepted: %(technique)s, “%(quote)s”"),
        "did_reject": _("Rejected: %(technique)s, “%(quote)s”"),
        "did_remove": _("Removed: %(technique)s, “%(quote)s”"),
        "did_relabel": _("Relabelled as %(technique)s: “%(quote)s”"),
        "did_adjust": _("Edges moved: “%(quote)s”"),
        "did_add": _("Added %(technique)s: “%(quote)s”"),
        "did_paragraph": _("Techniques of paragraph %(number)s saved."),
        "did_frames": _("Frames saved."),
        "did_genre": _("Genre saved."),
        "did_done": _("Review marked done."),
        "did_reopen": _("Review reopened."),
        "already": _("Nothing to change: it is %(state)s already."),
        "no_current": _("No span chosen: press j for the next one."),
        "edge": _("The span cannot move further that way."),
        "no_selection": _("Select some words of the article first (v starts a selection with the keyboard)."),
        "selecting": _("Selected “%(quote)s”. Shift and the arrows extend it, n adds it, Escape cancels."),
        "cancelled": _("Cancelled."),
        "failed": _("Not saved: %(error)s"),
        "signed_out": _("Not saved: sign in again, then repeat the action."),
        "layer": _("Showing: %(layer)s"),
        "relabel_title": _("Relabel as"),
        "add_title": _("Technique of the new span"),
        "matches": _("Techniques that match: %(count)s"),
        "saving": _("Saving…"),
        "mine_none": _("none"),
        "not_set": _("not set"),
        "counts": _("%(pending)s to decide, %(accepted)s accepted, %(rejected)s rejected, %(added)s added"),
    }


# ---------------------------------------------------------------------------- recording decisions


class _Decisions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: list[Decision] = Field(min_length=1, max_length=MAX_DECISIONS_AT_ONCE)


def _record(runtime: Runtime, article_id: int, reviewer: str, decisions: Sequence[Decision]) -> dict[str, Any]:
    analysis, ref = _article(runtime, article_id)
    saved = record(runtime.corpus, ref.content_hash, reviewer, decisions, model=ref.model)
    return {"review": saved.model_dump(mode="json"), "items": review_items(analysis, saved)}


@router.post("/corpus/articles/{article_id}/review/decisions")
async def post_decisions(article_id: ArticleId, request: Request, runtime: RuntimeDep, caller: UiCaller) -> Response:
    """What ``review.js`` sends: ``{"decisions": [...]}`` as JSON (a cross-site form cannot send JSON); the new
    review and the page's items come back."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return JSONResponse({"detail": _("send the decisions as JSON")}, status_code=415)
    try:
        body = _Decisions.model_validate_json(await request.body())
    except ValidationError as exc:
        return JSONResponse({"detail": message_of(exc)}, status_code=422)
    try:
        view = await run_in_threadpool(_record, runtime, article_id, caller.reviewer, body.decisions)
    except HTTPException as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    except UnknownArticle as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404)
    except UnspinError as exc:  # a decision that does not fit (DecisionError), the database out of reach
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))
    return JSONResponse(view, headers={"Cache-Control": "no-store"})


@router.post("/corpus/articles/{article_id}/review")
async def post_review_form(article_id: ArticleId, request: Request, runtime: RuntimeDep, caller: UiCaller) -> Response:
    """The page's forms without script: one decision a post, then back to the page."""
    async with request.form(max_files=0, max_fields=64) as form:
        fields = {name: str(value) for name, value in form.multi_items() if isinstance(value, str)}
        lists = {name: [str(v) for v in form.getlist(name) if isinstance(v, str)] for name in ("techniques", "frames")}
    layer: Layer = next((x for x in LAYERS if x == fields.get("layer")), "both")
    try:
        decision = _form_decision(fields, lists)
        await run_in_threadpool(_record, runtime, article_id, caller.reviewer, [decision])
    except (InputError, ValidationError) as exc:
        return await run_in_threadpool(
            _review_page,
            request,
            runtime,
            caller.reviewer,
            article_id,
            layer,
            error=message_of(exc),
            status=422,
        )
    anchor = {"accept": "#review-spans", "reject": "#review-spans", "paragraph": f"#p-{fields.get('paragraph')}"}
    target = f"{_page_url(request, article_id)}?layer={layer}{anchor.get(decision.kind, '#review-side')}"
    return RedirectResponse(target, status_code=303)


def _form_decision(fields: Mapping[str, str], lists: Mapping[str, list[str]]) -> Decision:
    """The decision one of the page's forms says (its fields as posted)."""
    kind = fields.get("kind", "")
    number = _whole_number
    if kind in ("accept", "reject"):
        span = {"start": number(fields, "start"), "end": number(fields, "end"), "technique": fields.get("technique")}
        confidence = fields.get("confidence")
        extra = {"model_confidence": float(confidence)} if kind == "accept" and confidence else {}
        return Decision.model_validate({"kind": kind, "span": span, **extra})
    if kind == "paragraph":
        return Decision(kind="paragraph", paragraph=number(fields, "paragraph"), techniques=lists["techniques"])
    if kind == "frames":
        return Decision(kind="frames", frames=lists["frames"])
    if kind == "genre":
        return Decision.model_validate({"kind": "genre", "genre": fields.get("genre")})
    if kind == "status":
        return Decision.model_validate({"kind": "status", "status": fields.get("status")})
    raise InputError(_("the form sent no decision this page knows"))


def _whole_number(fields: Mapping[str, str], name: str) -> int:
    value = fields.get(name, "")
    if not value.isdigit() or len(value) > 12:
        raise InputError(_("%(field)s must be a whole number") % {"field": name})
    return int(value)


# ---------------------------------------------------------------------------- review from a result page


@router.post("/a/{analysis_id}/review")
async def review_analysis(analysis_id: str, request: Request, runtime: RuntimeDep) -> RedirectResponse:
    """Store an analysis in the corpus (once) and open its review page."""
    analysis = await _analysis(runtime, analysis_id)
    _added, article_id = await run_in_threadpool(store_in_corpus, runtime, analysis)
    return RedirectResponse(_page_url(request, article_id), status_code=303)


@router.post("/jobs/{job_id}/results/{number}/review")
def review_job_result(
    job_id: str, number: int, request: Request, runtime: RuntimeDep, caller: UiCaller
) -> RedirectResponse:
    """Store one result of a job in the corpus (once) and open its review page."""
    _state, line = _result(runtime, caller, job_id, number)
    _added, article_id = store_in_corpus(runtime, Analysis.from_dict(json.loads(line)))
    return RedirectResponse(_page_url(request, article_id), status_code=303)


# ---------------------------------------------------------------------------- the queue

Status = Literal["", "unreviewed", "in_progress", "done"]
Text = Annotated[str, Query(max_length=200)]


@router.get("/review")
def queue_page(
    request: Request,
    runtime: RuntimeDep,
    caller: UiCaller,
    source: Text = "",
    language: Text = "",
    technique: Text = "",
    status: Status = "",
    mine: Literal["all", "mine"] = "all",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    """The review queue of the signed-in reviewer, least certain first; a GET form filters it."""
    store = runtime.corpus
    page = review_queue(
        store,
        caller.reviewer,
        _queue_filter(source, language, technique),
        statuses=[status] if status else None,
        assigned_to=caller.reviewer if mine == "mine" else None,
        limit=QUEUE_PAGE,
        offset=offset,
    )
    whole = overview(store)
    root = root_of(request)
    rows = [
        {
            "href": f"{root}/corpus/articles/{item.id}/review",
            "title": item.title or _("Article %(id)s") % {"id": item.id},
            "source": item.source,
            "language": item.language,
            "date": item.date.isoformat() if item.date else "",
            "confidence": "" if item.confidence is None else format_fraction(item.confidence),
            "labels": format_count(item.labels),
            "status": item.status,
            "status_word": _(STATUS_WORDS[item.status]),
            "assigned": item.assigned_to,
            "reviews": [(name, _(STATUS_WORDS[state])) for name, state in item.reviews.items()],
        }
        for item in page.items
    ]
    query = {"source": source, "language": language, "technique": technique, "status": status, "mine": mine}

    def link(at: int) -> str:
        return f"{root}/review?{urlencode({**{k: v for k, v in query.items() if v}, 'offset': at})}"

    slice_query = urlencode({k: v for k, v in query.items() if v and k in ("source", "language", "technique")})

    view = {
        "section": "review",
        "reviewer": caller.reviewer,
        "model": page.model,
        "rows": rows,
        "total": page.total,
        "total_text": ngettext("%(count)s article", "%(count)s articles", page.total)
        % {"count": format_count(page.total)},
        "shown_from": offset + 1,
        "shown_to": offset + len(rows),
        "previous": link(max(0, offset - QUEUE_PAGE)) if offset > 0 else None,
        "next": link(offset + QUEUE_PAGE) if offset + QUEUE_PAGE < page.total else None,
        "form": query,
        "sources": sorted(whole.sources),
        "languages": sorted(whole.languages),
        "techniques": _technique_options(),
        "statuses": [(key, _(word)) for key, word in STATUS_WORDS.items()],
        "tasks_href": f"{root}/review/label-studio-tasks.json" + (f"?{slice_query}" if slice_query else ""),
        "tasks_count": format_count(DEFAULT_TASKS),
    }
    return render(request, "review_queue.html.j2", view)


@router.get("/review/label-studio-tasks.json")
def label_studio_tasks(
    runtime: RuntimeDep, caller: UiCaller, source: Text = "", language: Text = "", technique: Text = ""
) -> JSONResponse:
    """The queue's least certain articles (of its source, language and technique) that the signed-in reviewer
    has not reviewed, as Label Studio tasks with the model's predictions."""
    filters = _queue_filter(source, language, technique)
    tasks, _total = unreviewed_in_store(runtime.corpus, reviewer=caller.reviewer, filters=filters)
    return JSONResponse(labelstudio_tasks(list(tasks)), headers=attachment("unspin-tasks.labelstudio.json"))


@router.get("/review/label-studio-config.xml")
def label_studio_config(caller: UiCaller) -> Response:
    """The Label Studio labelling config that the tasks fit (to signed-in reviewers, like every review page)."""
    return Response(labelstudio_config(), media_type="application/xml", headers=attachment("unspin-labelstudio.xml"))


def _queue_filter(source: str, language: str, technique: str) -> CorpusFilter:
    return CorpusFilter.build(
        sources=[source] if source else [],
        languages=[language] if language else [],
        techniques=[technique] if technique in TECHNIQUE_LABELS else [],
    )


# ---------------------------------------------------------------------------- agreement


def _reviewers(store: Store) -> list[str]:
    with store.connect() as connection:
        return list(connection.scalars(sa.select(t.reviews.c.reviewer).distinct().order_by(t.reviews.c.reviewer)))


@router.get("/review/agreement")
def agreement_page(
    request: Request,
    runtime: RuntimeDep,
    caller: UiCaller,
    a: Annotated[str, Query(max_length=200)] = "",
    b: Annotated[str, Query(max_length=200)] = "",
    status: Literal["done", "any"] = "done",
) -> HTMLResponse:
    """Span P/R/F1 and per-technique kappa between two reviewers, A as the reference."""
    store = runtime.corpus
    error = None
    result: Agreement | None = None
    a, b = a.strip(), b.strip()
    if a and b:
        try:
            statuses: tuple[ReviewStatus, ...] = (
                ("done",) if status == "done" else ("unreviewed", "in_progress", "done")
            )
            result = agreement_between(store, a, b, statuses=statuses)
        except InputError as exc:
            error = str(exc)
    elif a or b:
        error = _("give two reviewers")
    view = {
        "section": "review",
        "reviewer": caller.reviewer,
        "form": {"a": a, "b": b or "", "status": status},
        "reviewers": _reviewers(store),
        "error": error,
        "result": result,
        "spans": _span_rows(result) if result else [],
        "kappas": _kappa_rows(result) if result else [],
        "mean_kappa": _decimal(result.mean_kappa) if result else "",
        "overall": _overall(result) if result else None,
        "articles_text": ngettext("%(count)s article", "%(count)s articles", result.articles)
        % {"count": format_count(result.articles)}
        if result
        else "",
    }
    return render(request, "review_agreement.html.j2", view)


def _decimal(value: float | None, digits: int = 2) -> str:
    """A figure as the interface language writes it, or an em dash where it is not defined."""
    if value is None:
        return "—"
    language = current_ui_language()
    if language == "en":
        return f"{value:.{digits}f}"
    from babel.numbers import format_decimal

    return str(format_decimal(round(value, digits), format=f"0.{'0' * digits}", locale=language))


def _overall(result: Agreement) -> dict[str, str]:
    s = result.spans
    return {
        "precision": _decimal(s.precision),
        "recall": _decimal(s.recall),
        "f1": _decimal(s.f1),
        "spans_a": format_count(s.spans_a),
        "spans_b": format_count(s.spans_b),
    }


def _technique_name(label: str) -> str:
    """A technique's human name; an agreement row's other labels (e.g. a total) as they are."""
    return _name(label) if label in TECHNIQUE_LABELS else label


def _span_rows(result: Agreement) -> list[dict[str, str]]:
    return [
        {
            "name": _technique_name(row.technique),
            "precision": _decimal(row.precision),
            "recall": _decimal(row.recall),
            "f1": _decimal(row.f1),
            "spans_a": format_count(row.spans_a),
            "spans_b": format_count(row.spans_b),
        }
        for row in result.spans.per_technique
    ]


def _kappa_rows(result: Agreement) -> list[dict[str, str]]:
    return [
        {
            "name": _technique_name(row.technique),
            "kappa": _decimal(row.kappa),
            "observed": format_fraction(row.observed),
            "paragraphs_a": format_count(row.paragraphs_a),
            "paragraphs_b": format_count(row.paragraphs_b),
            "both": format_count(row.both),
        }
        for row in result.kappa
    ]


__all__ = ["layer_entries", "paragraph_pieces", "review_items", "router"]
