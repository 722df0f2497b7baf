"""Long-running processes: start the parts, and stop them (and the embedded database) cleanly.

Each part (projector, bot) is an `async def part(svc)` coroutine that runs until cancelled;
`serve` runs them beside the API in one event loop, the separate commands run one each.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING
from functools import partial

import uvicorn

from infra.audit.part import public_key
from infra.bootstrap import Services, services
from infra.exits import AddressInUse, settings_or_exit
from infra.outbox.signing import partner_secret
from infra.settings import Settings

if TYPE_CHECKING:  # the API is imported where it runs: `svodka project` need not load FastAPI
    from api.context import ApiConfig
    from fastapi import FastAPI

log = logging.getLogger("svodka")
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own setting
Part = Callable[[Services], Awaitable[None]]


def api_config(svc: Services) -> ApiConfig:
    from api.context import ApiConfig, Limit

    tokens = svc.settings.tokens_by_role
    return ApiConfig(
        database_url=svc.db.url,
        schema=svc.db.schema,
        application=svc.app,
        operator_tokens=tokens["operator"],
        moderator_tokens=tokens["moderator"],
        redis_url=svc.settings.redis_url,
        audit_public_key=public_key(svc.keys),
        # Derived, not random: every worker must hash a token to the same rate-limit key.
        limit_key=svc.keys.subkey("rate limits"),
        checkpoint_ttl=svc.settings.checkpoint_ttl,
        trusted_proxies=svc.settings.trusted_networks,
        desk_per_operator=Limit(svc.settings.desk_posts_per_minute, 60),
        redis_max_connections=svc.settings.redis_max_connections,
        read_database_urls=svc.settings.read_urls, replica_max_lag_events=svc.settings.replica_max_lag_events,
        replica_max_lag_seconds=svc.settings.replica_max_lag_seconds,
        public_url=svc.settings.public_url,
        webhook_secret=partial(partner_secret, svc.keys.subkey("webhook secrets")),
    )


def check_address(host: str, port: int) -> None:
    """Fail in one line before starting anything when the port is taken (uvicorn would exit 3)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise AddressInUse(f"cannot listen on {host}:{port}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            raise AddressInUse(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def run(settings: Settings, parts: list[Part], *, host: str | None = None, port: int | None = None) -> None:
    """Run `parts` (and the API when a port is given) until Ctrl-C or SIGTERM, then clean up."""
    if port is not None:
        check_address(host or "127.0.0.1", port)
    # uvicorn re-raises a captured SIGTERM once it has shut down; as KeyboardInterrupt it unwinds
    # through `services`, which stops the embedded PostgreSQL instead of dying with it running.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with services(settings) as svc:
            try:
                asyncio.run(_run(svc, parts, host, port))
            except KeyboardInterrupt:
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    log.info("svodka stopped")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_workers(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """`svodka api --workers N`: N uvicorn processes, each building its app with `worker_app`."""
    check_address(host, port)
    # Built once here first: keys generated and tables created before N workers could race to.
    with services(settings) as svc, tempfile.TemporaryDirectory(prefix="svodka-metrics-") as shared_metrics:
        # The workers use this server, the embedded one too: its URL is the one thing they inherit.
        os.environ["DATABASE_URL"] = svc.db.url
        # Each worker writes its metrics here and /metrics sums them all (api/metrics.py), so a
        # scrape that lands on any one worker sees the whole API. prometheus_client reads this
        # when the workers import it; the directory is new and empty for every start, as it must be.
        os.environ[MULTIPROCESS_DIR] = shared_metrics
        log.info("svodka API workers starting", extra={"host": host, "port": port, "workers": workers})
        uvicorn.run("infra.runner:worker_app", factory=True, host=host, port=port, workers=workers,
                    log_config=None, access_log=False, proxy_headers=False)
    log.info("svodka stopped")


def worker_app() -> FastAPI:
    """One worker's app: its own services from settings, released when the app shuts down."""
    from api.app import create_app
    from api.metrics import forget_worker

    stack = ExitStack()
    # No DDL here: the parent (run_workers) prepared the database before starting the workers.
    svc = stack.enter_context(services(settings_or_exit(), prepare=False))
    config = api_config(svc)
    config.metrics_dir = os.environ.get(MULTIPROCESS_DIR)
    if config.metrics_dir:
        stack.callback(forget_worker, os.getpid(), config.metrics_dir)  # last: its live gauges leave the sums
    config.on_close = stack.close
    return create_app(config)


async def _run(svc: Services, parts: list[Part], host: str | None, port: int | None) -> None:
    tasks = [asyncio.create_task(part(svc), name=getattr(part, "__name__", "part")) for part in parts]
    try:
        if port is not None:
            from api.app import create_app

            app = create_app(api_config(svc))
            log.info("svodka API listening", extra={"host": host, "port": port, "embedded_db": svc.db.embedded})
            # No proxy_headers: which X-Forwarded-For to believe is SVODKA_TRUSTED_PROXIES' (api/gate.py).
            config = uvicorn.Config(app, host=host or "127.0.0.1", port=port, log_config=None, access_log=False,
                                    proxy_headers=False)
            # uvicorn handles SIGINT/SIGTERM and returns; the other parts are then cancelled.
            await uvicorn.Server(config).serve()
        elif tasks:
            # Without uvicorn to catch them, a signal cancels the parts so they finish cleanly.
            main = asyncio.current_task()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, main.cancel)
            try:
                await asyncio.gather(*tasks)
            except asyncio.CancelledError:
                pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
