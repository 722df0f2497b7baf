"""Public answers rendered once per (projection position, normalised query) and reused.

The figures only change when the projection moves, so the bytes for a given position and
query are final: every worker renders the same bytes for the same key, and the ETag (the
position plus a digest of the query) lets clients and CDNs skip the body entirely.

Once a URL has been answered through its route (validated, normalised), `CachedReads`
serves that exact URL again at the same position without routing or validation: the
difference between a cached read and a bare endpoint (bench/api_read.py).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.readmodel import ReadModel
from projections.queries import AsOf

MAX_URLS = 8192


@dataclass(frozen=True, slots=True)
class Rendered:
    position: int
    body: bytes
    headers: dict[str, str]
    raw: list[tuple[bytes, bytes]] = field(default_factory=list)  # the 200's headers, ready for ASGI

    @property
    def etag(self) -> str:
        return self.headers["etag"]


# A render gives the position it saw and the body, and optionally headers of its own (a download's name).
Render = Callable[[], Awaitable[tuple[AsOf, bytes] | tuple[AsOf, bytes, dict[str, str]]]]


class RenderCache:
    def __init__(self, read_model: ReadModel, *, max_age: int, max_entries: int = 4096) -> None:
        self.read_model = read_model
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, str], Rendered] = OrderedDict()
        # A surge of identical misses runs one query; the rest wait for its bytes.
        self._pending: dict[str, asyncio.Future[Rendered]] = {}
        # (path, raw query) -> the answer and route it was validated as, at its position.
        self._urls: dict[tuple[str, bytes], tuple[Rendered, Any]] = {}

    def _store(
        self, position: int, key: str, body: bytes, media_type: str, extra: dict[str, str] | None = None
    ) -> Rendered:
        digest = hashlib.blake2b(key.encode(), digest_size=6).hexdigest()
        headers = {
            "etag": f'"{position}-{digest}"',
            "cache-control": f"public, max-age={self.max_age}",
            "x-as-of-position": str(position),
            "content-type": media_type,
            **(extra or {}),
        }
        raw = [(k.encode(), v.encode()) for k, v in headers.items()] + [(b"content-length", str(len(body)).encode())]
        rendered = Rendered(position, body, headers, raw)
        self._entries[(position, key)] = rendered
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return rendered

    async def serve(
        self, request: Request, key: str, media_type: str, render: Render, *, by_url: bool = True
    ) -> Response:
        """The answer for `key` at the current position; `by_url=False` for answers that depend on
        the clock (they may be reused only by key, which then names the instant)."""
        position = self.read_model.position
        rendered = self._entries.get((position, key)) if position is not None else None
        if rendered is None:
            rendered = await self._render(key, media_type, render)
        if by_url:
            if len(self._urls) >= MAX_URLS:
                self._urls.clear()  # crude, but a flood of distinct URLs must not grow memory
            self._urls[(request.url.path, request.scope["query_string"])] = (rendered, request.scope.get("route"))
        if request.headers.get("if-none-match") == rendered.etag:
            return Response(status_code=304, headers=not_modified(rendered))
        return Response(rendered.body, headers=rendered.headers)

    def by_url(self, scope: Scope) -> tuple[Rendered, Any] | None:
        found = self._urls.get((scope["path"], scope["query_string"]))
        if found is None or found[0].position != self.read_model.position:
            return None
        return found

    async def _render(self, key: str, media_type: str, render: Render) -> Rendered:
        waiting = self._pending.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            as_of, body, *extra = await render()
            # Keyed by the position the query itself saw, so a key never holds other figures.
            rendered = self._store(as_of.position, key, body, media_type, *extra)
            self.read_model.advance(as_of)
            future.set_result(rendered)
            return rendered
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)
                future.exception()  # retrieved here, so a miss with no waiters logs no warning
            raise
        finally:
            del self._pending[key]


def not_modified(rendered: Rendered) -> dict[str, str]:
    return {k: v for k, v in rendered.headers.items() if k != "content-type"}


class CachedReads:
    """ASGI: a GET for a URL already answered at the current position is sent from memory."""

    def __init__(self, app: ASGIApp, cache: Callable[[], RenderCache | None]) -> None:
        self.app, self.cache = app, cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache() if scope["type"] == "http" and scope["method"] == "GET" else None
        found = cache.by_url(scope) if cache is not None else None
        if found is None:
            await self.app(scope, receive, send)
            return
        rendered, route = found
        scope["route"] = route  # so telemetry counts it under its route template
        etag = rendered.etag.encode()
        if any(name == b"if-none-match" and value == etag for name, value in scope["headers"]):
            headers = [(k.encode(), v.encode()) for k, v in not_modified(rendered).items()]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": rendered.raw})
        await send({"type": "http.response.body", "body": rendered.body})
