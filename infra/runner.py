"""Long-running processes: start the parts, and stop them (and the embedded database) cleanly.

Each part (projector, bot) is an `async def part(svc)` coroutine that runs until cancelled;
`serve` runs them beside the API in one event loop, the separate commands run one each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import uvicorn

from api.app import create_app
from api.context import ApiConfig
from infra.audit_part import public_key
from infra.bootstrap import Services, services
from infra.settings import Settings

log = logging.getLogger("svodka")
Part = Callable[[Services], Awaitable[None]]


def api_config(svc: Services) -> ApiConfig:
    tokens = svc.settings.tokens_by_role
    return ApiConfig(
        database_url=svc.db.url,
        schema=svc.db.schema,
        application=svc.app,
        operator_tokens=tokens["operator"],
        moderator_tokens=tokens["moderator"],
        redis_url=svc.settings.redis_url,
        audit_public_key=public_key(svc.keys),
    )


def run(settings: Settings, parts: list[Part], *, host: str | None = None, port: int | None = None) -> None:
    """Run `parts` (and the API when a port is given) until Ctrl-C or SIGTERM, then clean up."""
    with services(settings) as svc:
        try:
            asyncio.run(_run(svc, parts, host, port))
        except KeyboardInterrupt:
            pass
    log.info("svodka stopped")


async def _run(svc: Services, parts: list[Part], host: str | None, port: int | None) -> None:
    tasks = [asyncio.create_task(part(svc), name=getattr(part, "__name__", "part")) for part in parts]
    try:
        if port is not None:
            app = create_app(api_config(svc))
            log.info("svodka API listening", extra={"host": host, "port": port, "embedded_db": svc.db.embedded})
            config = uvicorn.Config(app, host=host or "127.0.0.1", port=port, log_config=None, access_log=False)
            # uvicorn handles SIGINT/SIGTERM and returns; the other parts are then cancelled.
            await uvicorn.Server(config).serve()
        elif tasks:
            await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
