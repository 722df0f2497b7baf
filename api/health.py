"""Liveness (/healthz: up, database reachable) and readiness (/readyz: the figures are fresh)."""

from __future__ import annotations

import asyncpg
import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import State

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    database: str


class Readiness(Health):
    projection: str
    position: int | None
    head: int | None
    lag: int | None
    # With SVODKA_READ_DATABASE_URLS: "ok", "behind", or "primary" once every replica failed over.
    replica: str | None = None
    replica_lag_events: int | None = None
    replica_lag_seconds: float | None = None


async def _database(request: Request) -> str:
    try:
        async with request.app.state.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return "unreachable"
    return "ok"


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(request: Request) -> JSONResponse:
    database = await _database(request)
    if database != "ok":
        return JSONResponse({"status": "degraded", "database": database}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request, state: State) -> JSONResponse:
    """Ready when the database answers and the read model is within `ready_max_lag` events of the log."""
    database = await _database(request)
    model = state.read_model
    if database == "ok":
        try:
            await model.refresh()
        except NotImplementedError:
            pass
        except (OSError, asyncpg.PostgresError, psycopg.Error, TimeoutError):
            database = "unreachable"
    lag = model.lag
    if model.position is None:
        projection = "unavailable"
    elif lag is not None and lag > state.config.ready_max_lag:
        projection = "behind"
    else:
        projection = "ok"
    replica, (replica_events, replica_seconds) = _replica(state), model.replica_lag
    ready = database == "ok" and projection == "ok" and replica != "behind"
    body = Readiness(status="ok" if ready else "degraded", database=database, projection=projection,
                     position=model.position, head=model.head, lag=lag, replica=replica,
                     replica_lag_events=replica_events, replica_lag_seconds=replica_seconds)  # fmt: skip
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _replica(state) -> str | None:
    """Whether the replica serving public reads is close enough to the primary to publish from."""
    reads, config = state.read_model.reads, state.config
    if not reads.has_replicas:
        return None
    if reads.serving == "primary":
        return "primary"  # reads still answer, from the primary: ready, and the fallback is logged
    events, seconds = state.read_model.replica_lag
    if (events or 0) > config.replica_max_lag_events or (seconds or 0) > config.replica_max_lag_seconds:
        return "behind"
    return "ok"
