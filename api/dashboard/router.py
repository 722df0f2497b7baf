"""GET / : the public dashboard, and its two static files."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard import i18n
from api.dashboard.data import Pages
from api.dashboard.render import render_page
from api.dashboard.view import parse_view

router = APIRouter(include_in_schema=False)

ASSET_TYPES = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"}
# The browser itself refuses anything from another host: a reader in a censored network may reach
# only this one, and a third-party request would tell someone who is reading. Inline SVG is markup,
# not a resource, so it needs no exception; the favicon is an empty data: URL.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@cache
def _asset(name: str) -> tuple[bytes, str]:
    body = files("api.dashboard").joinpath("assets", name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:12]


def asset_urls(base: str) -> dict[str, str]:
    # The content hash in the URL lets browsers keep the files for a long time and still see a new release.
    return {name: f"{base}/dashboard/assets/{name}?v={_asset(name)[1]}" for name in ASSET_TYPES}


def _pages(app: FastAPI) -> Pages:
    # One cache per app, not per process: two apps on two databases may share a position number.
    pages = getattr(app.state, "dashboard_pages", None)
    if pages is None:
        pages = app.state.dashboard_pages = Pages(checkpoint_ttl=app.state.config.checkpoint_ttl)
    return pages


@router.get("/dashboard/assets/{name}")
async def asset(name: str) -> Response:
    if name not in ASSET_TYPES:
        raise HTTPException(status_code=404, detail="No such file.")
    body, digest = _asset(name)
    headers = {"Cache-Control": "public, max-age=86400", "ETag": f'"{digest}"', **SECURITY_HEADERS}
    return Response(body, media_type=ASSET_TYPES[name], headers=headers)


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request) -> HTMLResponse:
    params = dict(request.query_params)
    lang = i18n.negotiate(params.get("lang"), request.headers.get("accept-language"))
    gazetteer = request.app.state.config.application.gazetteer
    view = parse_view(params, lang, datetime.now(timezone.utc), gazetteer)
    base = request.scope.get("root_path", "").rstrip("/")
    headers = {
        **SECURITY_HEADERS,
        # A few seconds let a cache in front absorb a surge; the language follows the browser's header.
        "Cache-Control": "public, max-age=5",
        "Vary": "Accept-Language",
        "Content-Language": lang,
    }
    page = await _pages(request.app).get(
        request.app.state.public_reads,
        view,
        lambda figures: render_page(view, figures, base=base, assets=asset_urls(base), gazetteer=gazetteer),
        variant=base,
    )
    return HTMLResponse(page, status_code=400 if view.errors else 200, headers=headers)
