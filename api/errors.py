"""One error shape everywhere: `{"error": {"message", "field"}}`, never a traceback.

Scripts written by journalists parse this; FastAPI's own 404/405/422 answers are rewritten
into the same shape so a client needs one error path.
"""

from __future__ import annotations

import asyncpg
import psycopg
import redis.exceptions
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    InvalidTransition,
    ReportNotFound,
)

class ErrorDetail(BaseModel):
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An HTTP-level refusal raised by api code (auth, limits, headers)."""

    def __init__(
        self, status: int, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers


def error_response(status: int, message: str, field: str | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "field": field}}, status_code=status, headers=headers)


# Documented on every route that can produce them, so schemathesis checks the shape too.
ERROR_RESPONSES: dict[int | str, dict] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


# "The database is unavailable", whichever driver says so: the event store (eventsourcing's own
# errors), the key store (psycopg and its pool), the read model (asyncpg, e.g. CannotConnectNow
# and AdminShutdown while PostgreSQL stops or starts), or the socket itself.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.OperatorInterventionError,
    ConnectionError,
    TimeoutError,
    # Shared state (console sessions) when Redis is down: the builtin errors above are not its own.
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
RETRY_AFTER = {"Retry-After": "5"}
UNAVAILABLE_MESSAGE = ("The database is unavailable for a moment; nothing may have been stored. "
                       "Retry shortly (with the same Idempotency-Key for a report).")


def unavailable(error: BaseException) -> bool:
    """Whether `error`, or what caused it, is the database being unreachable or restarting."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, UNAVAILABLE):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def unavailable_response() -> JSONResponse:
    # Whether the last write landed is unknown; a retry with the same Idempotency-Key is safe.
    return error_response(503, UNAVAILABLE_MESSAGE, headers=RETRY_AFTER)


def domain_status(error: DomainError) -> int:
    if isinstance(error, Conflict | IdempotencyConflict | InvalidTransition):
        return 409
    # A missing report named in the body (`of`) is bad input; one in the path is not found.
    if isinstance(error, ReportNotFound) and error.field is None:
        return 404
    return 422


def _field_of(loc: tuple | list) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "header", "path", "cookie")]
    return ".".join(parts) or None


def _validation_message(error: dict) -> str:
    field = _field_of(error.get("loc", ()))
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def _json_message(error: dict) -> str:
    """FastAPI puts the character offset where a field name goes; say what is wrong, and where."""
    loc = error.get("loc", ())
    position = next((p for p in loc if isinstance(p, int)), None)
    reason = str((error.get("ctx") or {}).get("error") or "").strip()
    where = f" at character {position}" if position is not None else ""
    return f"The body is not valid JSON{where}" + (f": {reason}." if reason else ".")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.field, exc.headers)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return error_response(domain_status(exc), exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return error_response(422, _json_message(first))  # no field: the body as a whole is wrong
        return error_response(422, _validation_message(first), _field_of(first.get("loc", ())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request refused."
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"There is nothing at {request.url.path}."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        return unavailable_response()

    for kind in UNAVAILABLE:
        app.add_exception_handler(kind, _unavailable)

    @app.exception_handler(NotImplementedError)
    async def _not_ready(request: Request, exc: NotImplementedError) -> JSONResponse:
        # The read model is filled by a separate part; until it exists, say so instead of failing.
        return error_response(503, "The figures are not available yet; try again shortly.", headers=RETRY_AFTER)
