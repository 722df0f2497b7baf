"""The gate before every route that takes a token: the per-address limit, then a known token.

It runs before routing reads the body, so guessing tokens is throttled on every such route and
a caller without a valid token learns nothing from the body's validation (401, never a 422).
Which routes take a token is read from the routes themselves: any that depends on the bearer
scheme, so a new moderation route is gated without being listed here.
"""

from __future__ import annotations

from ipaddress import ip_address

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from fastapi.security import HTTPBearer
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import CHALLENGE
from api.errors import ApiError
from api.middleware import send_error

PRINCIPAL = "principal"  # where the gate leaves the caller, in the request's state


def client_address(scope: Scope, trusted: tuple) -> str:
    """The socket's peer, or, behind a trusted proxy, the last address it was forwarded for."""
    peer = scope["client"][0] if scope.get("client") else "unknown"
    if not trusted or not _within(peer, trusted):
        return peer
    forwarded = Headers(scope=scope).getlist("x-forwarded-for")
    hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
    # Right to left: each trusted proxy appended the address it saw; the first one not trusted
    # is the client (anything left of it could be made up by the client).
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _within(address: str, trusted: tuple) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _takes_token(route: APIRoute) -> bool:
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, HTTPBearer):
            return True
        pending.extend(dependant.dependencies)
    return False


class TokenGate:
    """ASGI middleware in front of the router; see the module's docstring."""

    def __init__(self, app: ASGIApp, api: FastAPI, routers: list[APIRouter]) -> None:
        self.app, self.api = app, api
        # From the routers as written, not the app's: FastAPI keeps included routes in its own wrappers.
        self._routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute) and _takes_token(r)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(r.matches(scope)[0] is Match.FULL for r in self._routes):
            try:
                await self._admit(scope)
            except ApiError as refused:
                headers = [(k.lower().encode(), v.encode()) for k, v in (refused.headers or {}).items()]
                await send_error(send, refused.status, refused.message, headers, field=refused.field)
                return
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope) -> None:
        state = self.api.state.api
        config = state.config
        address = client_address(scope, config.trusted_proxies)
        await state.limiter.check("address", address, config.intake_per_address, "address")
        scheme, _, token = (Headers(scope=scope).get("authorization") or "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        principal = state.tokens.identify(token)
        if principal is None:
            message = "A bearer token is required." if not token else "This token is not valid."
            raise ApiError(401, message, field="Authorization", headers=CHALLENGE)
        scope.setdefault("state", {})[PRINCIPAL] = principal
