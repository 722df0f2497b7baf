"""Prometheus metrics, in a registry per app so several apps (tests, workers) never share one.

Under `svodka api --workers N` the runner sets PROMETHEUS_MULTIPROC_DIR before the workers
start: prometheus_client then keeps every value in files there, and /metrics sums the files
of all workers (`ApiConfig.metrics_dir`), so a scrape gets the whole API whichever worker answers.
"""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from api.outbox_metrics import OutboxCollector

router = APIRouter(tags=["operations"])


class Metrics:
    def __init__(self, shared_dir: str | None = None) -> None:
        self.shared_dir = shared_dir
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "svodka_http_requests_total", "HTTP requests by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "svodka_http_request_duration_seconds", "HTTP request latency by route template.",
            ["method", "route"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.intake = Counter(
            "svodka_intake_reports_total", "Operator reports by outcome.", ["outcome"], registry=self.registry,
        )
        # Every worker reads the same position; across workers, the latest reading of a live one.
        self.position = Gauge(
            "svodka_projection_position", "Notification id the read model is as of.", registry=self.registry,
            multiprocess_mode="livemostrecent",
        )
        self.lag = Gauge(
            "svodka_projection_lag_events", "Events recorded but not yet in the read model.",
            registry=self.registry, multiprocess_mode="livemostrecent",
        )
        # Public reads from streaming replicas (api/replicas.py).
        self.read_fallbacks = Counter(
            "svodka_read_fallbacks_total", "Public reads moved off a source that stopped answering.",
            ["source"], registry=self.registry,
        )
        self.read_source = Gauge(
            "svodka_read_source", "1 for the source (replicaN or primary) serving public reads.", ["source"],
            registry=self.registry, multiprocess_mode="livemax",
        )
        self.replica_lag_events = Gauge(
            "svodka_replica_lag_events", "Events the serving replica's read model is behind the primary's.",
            registry=self.registry, multiprocess_mode="livemax",
        )
        self.replica_lag_seconds = Gauge(
            "svodka_replica_lag_seconds", "Seconds the serving replica's replay is behind (0 when caught up).",
            registry=self.registry, multiprocess_mode="livemax",
        )
        # The latest signed audit head, read at each scrape: an alert fires when the log grows
        # and no head is signed for a while (deploy/prometheus/svodka-alerts.yml).
        self.audit_head_position = Gauge(
            "svodka_audit_head_position", "Position of the latest signed audit head.",
            registry=self.registry, multiprocess_mode="livemax",
        )
        self.audit_head_signed = Gauge(
            "svodka_audit_head_signed_timestamp_seconds", "When the latest audit head was signed (Unix time).",
            registry=self.registry, multiprocess_mode="livemax",
        )

        self.outbox = OutboxCollector()
        self.registry.register(self.outbox)

        # Labelled children looked up once: `labels()` takes a lock and builds a key every call.
        self._children: dict[tuple, tuple] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def intake_outcome(self, outcome: str) -> None:
        self.intake.labels(outcome).inc()

    def exposition(self) -> bytes:
        if self.shared_dir:
            every_worker = CollectorRegistry()
            multiprocess.MultiProcessCollector(every_worker, path=self.shared_dir)
            every_worker.register(self.outbox)
            return generate_latest(every_worker)
        return generate_latest(self.registry)


def forget_worker(pid: int, shared_dir: str) -> None:
    """A stopping worker's live gauges leave the sums; its counters stay counted."""
    multiprocess.mark_process_dead(pid, shared_dir)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request) -> Response:
    """Prometheus text format, for the whole API: with several workers, summed over them all."""
    await _audit_head(request)
    await request.app.state.metrics.outbox.read(getattr(request.app.state, "pool", None))
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def _audit_head(request: Request) -> None:
    pool, metrics_ = getattr(request.app.state, "pool", None), request.app.state.metrics
    if pool is None:
        return
    try:
        async with pool.acquire(timeout=2) as conn:
            if await conn.fetchval("SELECT to_regclass('audit_heads')") is None:
                return
            head = await conn.fetchrow("SELECT position, signed_at FROM audit_heads ORDER BY position DESC LIMIT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return  # the scrape still answers; svodka_projection_* and up{} tell the rest
    if head is not None:
        metrics_.audit_head_position.set(head["position"])
        metrics_.audit_head_signed.set(head["signed_at"].timestamp())
