"""The console's own stylesheet and script, served from here: nothing comes from another host."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from api.dashboard.router import SECURITY_HEADERS

router = APIRouter(include_in_schema=False)
ASSETS = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8",
          "desk.js": "text/javascript; charset=utf-8"}


@cache
def _body(name: str) -> bytes:
    return files("api.console").joinpath("assets", name).read_bytes()


def digest(name: str) -> str:
    return hashlib.sha256(_body(name)).hexdigest()[:12]


@router.get("/console/assets/{name}")
async def asset(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(status_code=404, detail="No such file.")
    headers = {"Cache-Control": "public, max-age=86400", "ETag": f'"{digest(name)}"', **SECURITY_HEADERS}
    return Response(_body(name), media_type=ASSETS[name], headers=headers)
