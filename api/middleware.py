"""ASGI middleware: request telemetry with a last-resort 500, and the request body limit.

Both are plain ASGI (not BaseHTTPMiddleware) because they sit on every request, including
the cached reads whose speed bench/api_read.py measures.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RETRY_AFTER, UNAVAILABLE_MESSAGE, unavailable
from api.metrics import Metrics

log = logging.getLogger("svodka.api")
CLIENT_GONE = 499  # as nginx records a request whose client closed the connection first


async def send_error(send: Send, status: int, message: str, headers: list | None = None,
                     field: str | None = None) -> None:
    body = json.dumps({"error": {"message": message, "field": field}}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


class Telemetry:
    """Counts and times requests by route template, and turns any escaped exception into a 500."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent_start = False

        async def send_status(message: Message) -> None:
            nonlocal status, sent_start
            if message["type"] == "http.response.start":
                status, sent_start = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except ClientDisconnect:
            # The client left while its body was being read (a double-clicked form: the browser drops
            # the first post for the second). Nothing ran, and there is no one to answer.
            status = CLIENT_GONE
        except Exception as error:  # noqa: BLE001 - the client gets JSON, the log gets one line
            # Only the type: messages can quote request data or connection strings.
            if unavailable(error):  # raised outside the routes' handlers, e.g. by the read cache
                log.warning("database unavailable", extra={"route": _template(scope), "error": type(error).__name__})
                status = 503
                if not sent_start:
                    await send_error(send, 503, UNAVAILABLE_MESSAGE, [(b"retry-after", RETRY_AFTER["Retry-After"].encode())])
                return
            log.error("unhandled error", extra={"route": _template(scope), "error": type(error).__name__})
            status = 500
            if not sent_start:
                await send_error(send, 500, "Something went wrong on our side; it has been logged.")
        finally:
            self.metrics.observe(scope["method"], _template(scope), status, time.perf_counter() - started)


def _template(scope: Scope) -> str:
    """The route's path template (`/v1/reports/{id}/verify`), so ids never become label values."""
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing re-raises it instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit // 1024} KiB.")


class BodyLimit:
    """413 for bodies over `limit` bytes: by Content-Length up front, or counted as they stream.
    `larger`: paths that take more (the console's CSV upload), each with its own limit."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None) -> None:
        self.app, self.default, self.larger = app, limit, dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.default)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    too_large = value.isdigit()
                    await send_error(send, 413 if too_large else 400, BodyTooLarge(limit).detail
                                     if too_large else "Content-Length is not a number.")
                    return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message_in = await receive()
            if message_in["type"] == "http.request":
                received += len(message_in.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message_in

        async def tracked(message_out: Message) -> None:
            nonlocal started
            started = started or message_out["type"] == "http.response.start"
            await send(message_out)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as error:
            if not started:
                await send_error(send, 413, error.detail, [(b"connection", b"close")])


class PublicCors(CORSMiddleware):
    """CORS for public GETs only; a refused preflight says why in the API's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        method = request_headers.get("access-control-request-method", "")
        headers = {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}
        return JSONResponse(
            {"error": {"message": f"Cross-origin {method} is not allowed here: only public GETs are "
                                  f"({bytes(response.body).decode()}).", "field": None}},
            status_code=400, headers=headers,
        )
