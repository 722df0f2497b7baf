"""Assembles the FastAPI application; routes live in their own modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from api import health
from api.context import ApiConfig


def create_app(config: ApiConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            config.database_url,
            min_size=1,
            max_size=8,
            server_settings={"search_path": f"{config.schema},public", "application_name": "svodka-api"},
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(
        title="svodka",
        summary="Counts of detentions and police checkpoints, reported by citizens and auditable.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.config = config
    app.include_router(health.router)
    return app
