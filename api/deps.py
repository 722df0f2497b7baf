"""Annotated dependency aliases, so route functions read as what they need, in a few lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Principal, Role
from api.gate import PRINCIPAL
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


def _caller(request: Request, state: ApiState, credentials: HTTPAuthorizationCredentials | None,
            role: Role) -> Principal:
    """The caller the gate identified (api/gate.py), or, for an app built without it, the token's."""
    principal = getattr(request.state, PRINCIPAL, None)
    if principal is None:
        return state.tokens.require(credentials.credentials if credentials else None, role)
    return state.tokens.check_role(principal, role)


async def intake_operator(request: Request, credentials: Credentials) -> IntakeCall:
    """The gate has limited the address and found the token; here its role, then its own limit.

    It hands the route the state too: each dependency FastAPI resolves costs more than the
    group-committed save of the report (bench/api_intake.py), and this is the surge path.
    """
    state: ApiState = request.app.state.api
    principal = _caller(request, state, credentials, "operator")
    await state.limiter.check("token", principal.token, state.config.intake_per_token, "token")
    return IntakeCall(principal, state)


async def moderator(request: Request, state: State, credentials: Credentials) -> Principal:
    return _caller(request, state, credentials, "moderator")


Operator = Annotated[IntakeCall, Depends(intake_operator)]
Moderator = Annotated[Principal, Depends(moderator)]
FiguresFilter = Annotated[Filter, Depends(figures_filter)]
