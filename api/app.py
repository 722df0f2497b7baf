"""Assembles the FastAPI application; routes live in their own modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import audit, checkpoints, errors, export, health, intake, metrics, moderation, regions, review, stats
from api import bulletins, console, webhooks
from api.cache import CachedReads
from api.console.importing import LARGER_BODIES
from api.context import ApiConfig
from api.dashboard import router as dashboard
from api.gate import TokenGate
from api.methodology import router as methodology
from api.metrics import Metrics
from api.middleware import BodyLimit, PublicCors, Telemetry
from api.state import ApiState

DESCRIPTION = """Counts of detentions and police checkpoints reported by citizens, each stamped with
the event-log position it is `as_of`. Public reads need no token; intake needs an operator
token and an `Idempotency-Key`; moderation needs a moderator token. Errors are
`{"error": {"message", "field"}}`. What every figure counts, and how to cite it:
[/methodology](/methodology)."""


def create_app(config: ApiConfig) -> FastAPI:
    metrics_ = Metrics(config.metrics_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await ApiState.open(config, metrics_)
        app.state.api = state
        app.state.pool = state.read_model.pool  # the primary: health and audit read through it
        app.state.public_reads = state.read_model.reads  # the dashboard's: replicas, then the primary
        try:
            yield
        finally:
            await state.close()

    # /docs from files shipped with the app, not a CDN: a third party's script on this origin
    # could read the tokens moderators paste into Swagger UI, and CDNs get blocked. One reference
    # page: ReDoc's would still fetch its logo from redoc.ly.
    app = FastAPIOffline(
        redoc_url=None,
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
    routers = [m.router for m in (intake, stats, checkpoints, regions, export, review, moderation, audit, health,
                                  metrics)]
    routers.append(bulletins.router)
    if config.webhook_secret is not None:  # without the key to derive partners' secrets, no webhooks
        routers.append(webhooks.router)  # moderators': listed here, so the token gate covers them
    for router in routers:
        app.include_router(router)
    app.include_router(dashboard)  # the public page at /, with its two static files
    app.include_router(methodology)  # /methodology: what the figures count, and how to cite them
    # /console: pages for moderators and operators, signed in by session, not by the token gate.
    console.install(app)
    # Added innermost first: CORS sees every answer, telemetry times everything below it.
    app.add_middleware(TokenGate, api=app, routers=routers)  # before routing reads a body: see api/gate.py
    app.add_middleware(BodyLimit, limit=config.max_body_bytes, larger=LARGER_BODIES)
    app.add_middleware(CachedReads, cache=lambda: getattr(getattr(app.state, "api", None), "cache", None))
    app.add_middleware(Telemetry, metrics=metrics_)
    # Public reads are for anyone's dashboard; writes need a token and stay same-origin.
    app.add_middleware(PublicCors, allow_origins=["*"], allow_methods=["GET"], allow_headers=["If-None-Match"],
                       expose_headers=["ETag", "X-As-Of-Position"], max_age=600)
    return app
