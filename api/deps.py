"""Annotated dependency aliases, so route functions read as what they need, in a few lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Principal
from api.figures import Filter, figures_filter
from api.state import ApiState
from domain.application import Svodka

# Every dependency is `async def`: FastAPI runs plain `def` ones in the thread pool, a round trip
# that cost the cached reads half their speed.
_bearer = HTTPBearer(auto_error=False, description="An operator or moderator token.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_state(request: Request) -> ApiState:
    return request.app.state.api


State = Annotated[ApiState, Depends(get_state)]


async def get_application(state: State) -> Svodka:
    return state.config.application


Application = Annotated[Svodka, Depends(get_application)]


async def intake_operator(request: Request, state: State, credentials: Credentials) -> Principal:
    """Address limit first, so guessing tokens is throttled too; then the token and its own limit."""
    config = state.config
    address = request.client.host if request.client else "unknown"
    await state.limiter.check("address", address, config.intake_per_address, "address")
    principal = state.tokens.require(credentials.credentials if credentials else None, "operator")
    await state.limiter.check("token", principal.token, config.intake_per_token, "token")
    return principal


async def moderator(state: State, credentials: Credentials) -> Principal:
    return state.tokens.require(credentials.credentials if credentials else None, "moderator")


Operator = Annotated[Principal, Depends(intake_operator)]
Moderator = Annotated[Principal, Depends(moderator)]
FiguresFilter = Annotated[Filter, Depends(figures_filter)]
