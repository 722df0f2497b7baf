"""Everything a request may need, built once per app in its lifespan, and released after it."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from api.auth import Tokens
from api.cache import RenderCache
from api.console.sessions import PostgresSessions, RedisSessions, Sessions
from api.context import ApiConfig
from api.group_commit import GroupCommit
from api.limits import RateLimiter
from api.metrics import Metrics
from api.readmodel import ReadModel
from api.replicas import ReadSources, close_pool
from api.stored_tokens import StoredTokens


@dataclass
class ApiState:
    config: ApiConfig
    tokens: Tokens
    metrics: Metrics
    limiter: RateLimiter
    read_model: ReadModel
    cache: RenderCache
    intake: GroupCommit
    sessions: Sessions  # the console's (api/console/sessions.py)

    @classmethod
    async def open(cls, config: ApiConfig, metrics: Metrics) -> ApiState:
        server_settings = {"search_path": f"{config.schema},public", "application_name": "svodka-api"}
        pool = await asyncpg.create_pool(config.database_url, min_size=1, max_size=8, server_settings=server_settings)
        # Replicas connect on first use (min_size=0): one that is down at start must not stop the API.
        replicas = [
            (f"replica{i}", await asyncpg.create_pool(url, min_size=0, max_size=8, server_settings=server_settings))
            for i, url in enumerate(config.read_database_urls, start=1)
        ]
        reads = ReadSources(pool, replicas, metrics, retry_seconds=config.replica_retry_seconds)
        read_model = ReadModel(pool, config.application, metrics, config.position_refresh_seconds, reads)
        read_model.start()
        stored = StoredTokens(pool, config.token_refresh_seconds)
        await stored.refresh()  # issued tokens work from the first request
        stored.start()
        return cls(
            config=config,
            tokens=Tokens(config.operator_tokens, config.moderator_tokens, stored),
            metrics=metrics,
            limiter=RateLimiter(config.limit_key, config.redis_prefix, config.redis_url,
                                max_connections=config.redis_max_connections),
            read_model=read_model,
            cache=RenderCache(read_model, max_age=config.cache_max_age_seconds),
            sessions=(RedisSessions(config.redis_url, config.redis_prefix, config.console_idle) if config.redis_url
                      else PostgresSessions(pool, config.console_idle)),
            intake=GroupCommit(
                config.application, batch_max=config.commit_batch_max, concurrency=config.commit_concurrency
            ),
        )

    async def close(self) -> None:
        # Intake first: its last batches may still be committing through the application.
        await self.intake.close()
        await self.read_model.close()
        if self.tokens.stored is not None:
            await self.tokens.stored.close()
        await self.limiter.close()
        await self.sessions.close()
        await self.read_model.reads.close()
        await close_pool(self.read_model.pool)
        if self.config.on_close is not None:
            self.config.on_close()
