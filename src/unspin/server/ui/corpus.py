"""The corpus dashboard and a stored article's report."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Request
from fastapi import Path as FastApiPath
from fastapi.responses import (
    HTMLResponse,
)

from ...corpus.views import build_dashboard
from ...i18n import gettext as _
from ...render.dashboard import dashboard_context
from ...store.articles import get_analysis, list_articles
from ..deps import RuntimeDep
from ..routers.corpus import FilterDep
from .common import pages_router, render, report_page, root_of

CORPUS_ARTICLES_LISTED = 25

router = pages_router()


@router.get("/corpus")
def corpus_page(request: Request, runtime: RuntimeDep, filters: FilterDep) -> HTMLResponse:
    """The corpus dashboard of a slice; its filter form is a GET form, so it works without script too."""
    store = runtime.corpus
    articles = list_articles(store, filters, limit=CORPUS_ARTICLES_LISTED)
    context = dashboard_context(
        build_dashboard(store, filters), mode="web", link=f"{root_of(request)}/corpus", articles=articles
    )
    return render(request, "corpus.html.j2", {**context, "section": "corpus"})


@router.get("/corpus/articles/{article_id}")
def corpus_article_page(
    article_id: Annotated[int, FastApiPath(ge=1, le=2**62)], request: Request, runtime: RuntimeDep
) -> HTMLResponse:
    """A stored article's analysis, as the HTML report."""
    analysis = get_analysis(runtime.corpus, article_id)
    if analysis is None:
        raise HTTPException(404, detail=_("no article %(id)s in the corpus") % {"id": article_id})
    corpus = f"{root_of(request)}/corpus"
    links = [(_("Compare with another article"), f"{corpus}/compare?a={article_id}"), (_("Back to the corpus"), corpus)]
    review = {"url": f"{corpus}/articles/{article_id}/review", "method": "get"}
    return report_page(request, analysis, links=links, review_action=review)
