"""Assembles the FastAPI application; routes live in their own modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from api import audit, checkpoints, errors, export, health, intake, metrics, moderation, regions, review, stats
from api.auth import Tokens
from api.cache import CachedReads, RenderCache
from api.context import ApiConfig
from api.dashboard import router as dashboard
from api.group_commit import GroupCommit
from api.limits import RateLimiter
from api.metrics import Metrics
from api.middleware import BodyLimit, PublicCors, Telemetry
from api.readmodel import ReadModel
from api.state import ApiState

DESCRIPTION = """Counts of detentions and police checkpoints reported by citizens, each stamped with
the event-log position it is `as_of`. Public reads need no token; intake needs an operator
token and an `Idempotency-Key`; moderation needs a moderator token. Errors are
`{"error": {"message", "field"}}`."""


def create_app(config: ApiConfig) -> FastAPI:
    metrics_ = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            config.database_url,
            min_size=1,
            max_size=8,
            server_settings={"search_path": f"{config.schema},public", "application_name": "svodka-api"},
        )
        read_model = ReadModel(app.state.pool, config.application, metrics_, config.position_refresh_seconds)
        state = ApiState(
            config=config,
            tokens=Tokens(config.operator_tokens, config.moderator_tokens),
            metrics=metrics_,
            limiter=RateLimiter(config.limit_key, config.redis_prefix, config.redis_url),
            read_model=read_model,
            cache=RenderCache(read_model, max_age=config.cache_max_age_seconds),
            intake=GroupCommit(
                config.application, batch_max=config.commit_batch_max, concurrency=config.commit_concurrency
            ),
        )
        app.state.api = state
        read_model.start()
        try:
            yield
        finally:
            await state.intake.close()
            await read_model.close()
            await state.limiter.close()
            await app.state.pool.close()
            if config.on_close is not None:
                config.on_close()

    app = FastAPI(
        title="svodka",
        summary="Counts of detentions and police checkpoints, reported by citizens and auditable.",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        # /metrics is svodka's telemetry; FastAPI's own would look up OpenTelemetry on every
        # request and log exception messages, which can quote what a user sent.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.config = config
    app.state.metrics = metrics_
    errors.install(app)
    # Routes are matched in order: intake first, as a surge of reports is the busiest routed traffic
    # (repeated public reads are answered before routing, by CachedReads).
    for module in (intake, stats, checkpoints, regions, export, review, moderation, audit, health, metrics):
        app.include_router(module.router)
    app.include_router(dashboard)  # the public page at /, with its two static files
    # Added innermost first: CORS sees every answer, telemetry times everything below it.
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    app.add_middleware(CachedReads, cache=lambda: getattr(getattr(app.state, "api", None), "cache", None))
    app.add_middleware(Telemetry, metrics=metrics_)
    # Public reads are for anyone's dashboard; writes need a token and stay same-origin.
    app.add_middleware(PublicCors, allow_origins=["*"], allow_methods=["GET"], allow_headers=["If-None-Match"],
                       expose_headers=["ETag", "X-As-Of-Position"], max_age=600)
    return app
