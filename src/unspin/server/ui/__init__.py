"""The web UI: paste, upload or link an article and see it highlighted; batch jobs with progress.

Plain HTML forms post to the routes here, which call what the REST API calls (its request
model and :func:`~unspin.server.routers.analyze.article_of`, the inference queue, the job and
analysis stores) and then redirect to the result's page. Everything works with the
keyboard and without JavaScript; ``ui.js`` only adds live job progress and small comforts.

The result page is the HTML report (:mod:`unspin.render.html`, the same context and
templates), extended with a navigation bar; its stylesheet and script are served from
``/ui/`` instead of inlined, so the server's Content-Security-Policy (``script-src 'self'``)
holds on every page and nothing in an article can run.

On a server with API keys a person signs in once with a key, which is then kept in an
HttpOnly, SameSite=Strict cookie and checked like the API's header on every request.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import articles, assets, compare, corpus, jobs, review, signin

router = APIRouter(include_in_schema=False)
for part in (assets, signin, articles, compare, corpus, jobs, review):
    router.include_router(part.router)

__all__ = ["router"]
