"""Annotated dependency aliases, so route functions read as what they need, in a few lines."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class IntakeCall:
    operator: Principal
    state: ApiState


async def intake_operator(request: Request, credentials: Credentials) -> IntakeCall:
    """Address limit first, so guessing tokens is throttled too; then the token and its own limit.

    It hands the route the state too: each dependency FastAPI resolves costs more than the
    group-committed save of the report (bench/api_intake.py), and this is the surge path.
    """
    state: ApiState = request.app.state.api
    config = state.config
    address = request.client.host if request.client else "unknown"
    await state.limiter.check("address", address, config.intake_per_address, "address")
    principal = state.tokens.require(credentials.credentials if credentials else None, "operator")
    await state.limiter.check("token", principal.token, config.intake_per_token, "token")
    return IntakeCall(principal, state)


async def moderator(state: State, credentials: Credentials) -> Principal:
    return state.tokens.require(credentials.credentials if credentials else None, "moderator")


Operator = Annotated[IntakeCall, Depends(intake_operator)]
Moderator = Annotated[Principal, Depends(moderator)]
FiguresFilter = Annotated[Filter, Depends(figures_filter)]
