"""The UI's stylesheets, scripts and icon, shipped in the package."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import HTTPException
from fastapi.responses import (
    Response,
)

from ...render.dashboard import dashboard_assets
from ...render.html import comparison_css, report_assets
from .common import open_router

CSS = "text/css; charset=utf-8"
JS = "text/javascript; charset=utf-8"

router = open_router()


@cache
def _assets() -> dict[str, tuple[bytes, str]]:
    css, js = report_assets()
    dashboard_css, dashboard_js, echarts = dashboard_assets()
    static = resources.files("unspin.server") / "ui_static"
    return {
        "report.css": (css.encode("utf-8"), CSS),
        "report.js": (js.encode("utf-8"), JS),
        "compare.css": (comparison_css().encode("utf-8"), CSS),
        "dashboard.css": (dashboard_css.encode("utf-8"), CSS),
        "dashboard.js": (dashboard_js.encode("utf-8"), JS),
        "echarts.min.js": (echarts.encode("utf-8"), JS),
        "ui.css": ((static / "ui.css").read_bytes(), CSS),
        "ui.js": ((static / "ui.js").read_bytes(), JS),
        "review.js": ((static / "review.js").read_bytes(), JS),
        "icon.svg": ((static / "icon.svg").read_bytes(), "image/svg+xml"),
    }


@router.get("/ui/{name}")
def asset(name: str) -> Response:
    """The UI's stylesheets, scripts and icon (the report's own among them), shipped in the package."""
    found = _assets().get(name)
    if found is None:
        raise HTTPException(404, detail=f"no asset {name[:64]!r}")
    body, media_type = found
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})
