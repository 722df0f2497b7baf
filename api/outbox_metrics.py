"""The outbox on /metrics: depth, age of the oldest entry, deliveries and failures by kind.

Read from the database at each scrape (the sender may run in another process), so every
worker and every scrape agree; the counters are the outbox's own, kept beside its rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from projections import outbox_store
from projections.outbox_store import Depth


class OutboxCollector(Collector):
    def __init__(self) -> None:
        self.depth: Depth | None = None  # the last scrape's reading

    async def read(self, pool: asyncpg.Pool | None) -> None:
        if pool is None:
            return
        try:
            async with pool.acquire(timeout=2) as conn:
                self.depth = await outbox_store.depth(conn)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the database is away: the rest of /metrics still answers, with the last reading

    def collect(self) -> Iterator:
        depth = self.depth or Depth(0, 0.0, {})
        yield GaugeMetricFamily("svodka_outbox_depth", "Outbox entries waiting to be sent.", value=depth.pending)
        yield GaugeMetricFamily(
            "svodka_outbox_oldest_age_seconds", "Age of the oldest entry waiting to be sent (0 when none).",
            value=depth.oldest_age_seconds,
        )
        deliveries = CounterMetricFamily(
            "svodka_outbox_deliveries", "Outbox delivery outcomes by kind (telegram, webhook, alert): sent, failed "
            "(one failed attempt), given_up (after a day of retries; an alert at once when its subscriber is "
            "gone).", labels=["kind", "outcome"],
        )
        for (kind, outcome), count in sorted(depth.counters.items()):
            deliveries.add_metric([kind, outcome], count)
        yield deliveries
