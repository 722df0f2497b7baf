"""Public answers rendered once per (projection position, normalised query) and reused.

The figures only change when the projection moves, so the bytes for a given position and
query are final: every worker renders the same bytes for the same key, and the ETag (the
position plus a digest of the query) lets clients and CDNs skip the body entirely.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from api.readmodel import ReadModel
from projections.queries import AsOf


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    headers: dict[str, str]


Render = Callable[[], Awaitable[tuple[AsOf, bytes]]]


class RenderCache:
    def __init__(self, read_model: ReadModel, *, max_age: int, max_entries: int = 4096) -> None:
        self.read_model = read_model
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, str], Rendered] = OrderedDict()
        # A surge of identical misses runs one query; the rest wait for its bytes.
        self._pending: dict[str, asyncio.Future[Rendered]] = {}

    def _store(self, position: int, key: str, body: bytes, media_type: str) -> Rendered:
        digest = hashlib.blake2b(key.encode(), digest_size=6).hexdigest()
        rendered = Rendered(body, {
            "etag": f'"{position}-{digest}"',
            "cache-control": f"public, max-age={self.max_age}",
            "x-as-of-position": str(position),
            "content-type": media_type,
        })
        self._entries[(position, key)] = rendered
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return rendered

    async def serve(self, request: Request, key: str, media_type: str, render: Render) -> Response:
        position = self.read_model.position
        rendered = self._entries.get((position, key)) if position is not None else None
        if rendered is None:
            rendered = await self._render(key, media_type, render)
        if request.headers.get("if-none-match") == rendered.headers["etag"]:
            return Response(status_code=304, headers={k: v for k, v in rendered.headers.items()
                                                      if k != "content-type"})
        return Response(rendered.body, headers=rendered.headers)

    async def _render(self, key: str, media_type: str, render: Render) -> Rendered:
        waiting = self._pending.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            as_of, body = await render()
            # Keyed by the position the query itself saw, so a key never holds other figures.
            rendered = self._store(as_of.position, key, body, media_type)
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
