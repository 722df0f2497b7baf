"""The outbox follower: decides from the event log what to send outward, and writes it down.

Like the projector, it reads the notification log in batches; each batch's outbox rows, the
bulletins and webhooks it keeps, and its tracking position commit in one transaction, so every
event is decided on exactly once, whatever dies when. What it decides:
- a bulletin: a post to the Telegram channel, and a delivery to each partner subscribed to bulletins;
- a checkpoint becoming credible (verified, or confirmed by two distinct reporters), and a credible
  one ending: a delivery to each partner subscribed to checkpoints in its region;
- the same two moments for the reporters who subscribed to the checkpoint's city or region
  (`projections.alert_store`): one alert each per checkpoint, and "gone" to those alerted;
- detention figures changing in a region: marked, then sent once the region has been quiet for the
  debounce period (`flush_figures`), with the read model's figures for it.
One follower is active per database (an advisory lock, as the projector's).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
from eventsourcing.persistence import Mapper

from domain.bulletin import Bulletin
from domain.bulletin_text import LANGUAGES, render
from domain.places import Gazetteer
from domain.report import Report
from domain.reporter import Reporter
from domain.webhook import Webhook
from projections import alert_store, bulletins, outbox_store, queries
from projections.decode import decoder
from projections.projector import CHANNEL, EVENTS
from projections.standby import hold_and_run

log = logging.getLogger("svodka.outbox")
DELIVERIES = uuid5(NAMESPACE_URL, "https://svodka.org/ns/deliveries/v1")
CREDIBLE_CONFIRMATIONS = 2  # distinct reporters saying "still there"
ENDINGS = (Report.Rejected, Report.MarkedDuplicate, Report.Retracted, Report.Cleared)


@dataclass(frozen=True, slots=True)
class Outward:
    """Where bulletins go and how figure changes are paced; from Settings, through infra."""

    channel: str | None = None  # a Telegram chat id or @channel for bulletins
    language: str = "ru"
    debounce: timedelta = timedelta(seconds=60)


def delivery_id(target: str, what: str) -> UUID:
    """Derived, so deciding the same thing twice can only ever write one row."""
    return uuid5(DELIVERIES, f"{target}\x00{what}")


def body(delivery: UUID, kind: str, as_of: tuple[int, datetime | None], data: dict[str, Any]) -> str:
    """A partner delivery's exact bytes; the sender signs and posts them as they are."""
    position, recorded_at = as_of
    return json.dumps(
        {
            "delivery": str(delivery),
            "type": kind,
            "as_of": {"position": position, "recorded_at": recorded_at.isoformat() if recorded_at else None},
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


@dataclass
class _Batch:
    """What one batch decided, written together at its end."""

    reports: dict[UUID, dict[str, Any]] = field(default_factory=dict)  # rows touched, by id
    fresh: set[UUID] = field(default_factory=set)
    regions: dict[str, datetime] = field(default_factory=dict)  # region -> first change seen
    rows: list[tuple] = field(default_factory=list)  # outbox rows
    bulletins: list[tuple] = field(default_factory=list)
    webhooks: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    alerts: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)  # (what, position, data), in order
    forgotten: list[UUID] = field(default_factory=list)  # reporters whose subscriptions go


class Follower:
    def __init__(self, mapper: Mapper, gazetteer: Gazetteer, outward: Outward, batch_size: int = 500) -> None:
        self.outward = outward
        self.gazetteer = gazetteer
        self.batch_size = batch_size
        self._decode = decoder(mapper)

    # -- following the log -----------------------------------------------------------------

    async def catch_up(self, conn: asyncpg.Connection) -> int:
        total = 0
        while count := await self.step(conn):
            total += count
        return total

    async def step(self, conn: asyncpg.Connection) -> int:
        async with conn.transaction():
            position = await conn.fetchval("SELECT position FROM outbox_tracking FOR UPDATE")
            try:
                async with conn.transaction():
                    rows = await conn.fetch(
                        "SELECT notification_id, originator_id, originator_version, topic, state "
                        f"FROM {EVENTS} WHERE notification_id > $1 ORDER BY notification_id LIMIT $2",
                        position,
                        self.batch_size,
                    )
            except asyncpg.UndefinedTableError:
                return 0  # the application has not created its table yet
            if not rows:
                return 0
            batch = _Batch()
            hooks = {r["id"]: dict(r) for r in await conn.fetch("SELECT * FROM webhooks WHERE removed_at IS NULL")}
            for row, event in zip(rows, self._decode(rows), strict=True):
                await self._apply(conn, batch, hooks, row[0], event)
            written = await self._write(conn, batch)
            await conn.execute("UPDATE outbox_tracking SET position = $1", rows[-1][0])
            if written:
                await conn.execute(f"NOTIFY {outbox_store.NOTIFY}")
            return len(rows)

    async def _apply(self, conn, batch: _Batch, hooks: dict, position: int, event: Any) -> None:
        kind = type(event)
        if kind is Bulletin.Published:
            self._bulletin(batch, hooks, position, event)
        elif kind is Webhook.Registered:
            hook = {
                "id": event.originator_id, "url": event.url, "topics": event.topics, "regions": event.regions,
                "registered_by": event.by, "registered_at": event.timestamp, "removed_at": None,
                "failing_since": None,
            }  # fmt: skip
            hooks[event.originator_id] = batch.webhooks[event.originator_id] = hook
        elif kind is Webhook.Removed:
            hook = hooks.pop(event.originator_id, None)
            if hook is not None:
                batch.webhooks[event.originator_id] = {**hook, "removed_at": event.timestamp}
        elif kind is Reporter.Forgotten:
            batch.forgotten.append(event.originator_id)
        elif kind is Report.Submitted:
            batch.reports[event.originator_id] = {
                "id": event.originator_id, "kind": event.kind, "region": event.region, "city": event.city,
                "lat": event.coarse_lat, "lon": event.coarse_lon, "submitted_at": event.timestamp,
                "confirmers": [], "alerted": False, "ended": False,
            }  # fmt: skip
            batch.fresh.add(event.originator_id)
            if event.kind == "detention":
                batch.regions.setdefault(event.region, event.timestamp)
        elif isinstance(event, Report.Event):
            report = await self._report(conn, batch, event.originator_id)
            if report is None:
                return
            if report["kind"] == "detention":
                batch.regions.setdefault(report["region"], event.timestamp)
                if kind is Report.Corrected:
                    report["region"], report["city"] = event.region, event.city
                    batch.regions.setdefault(event.region, event.timestamp)
            else:
                self._checkpoint(batch, hooks, position, event, report)

    def _checkpoint(self, batch: _Batch, hooks: dict, position: int, event: Any, report: dict) -> None:
        kind = type(event)
        if report["ended"]:
            return
        if kind is Report.Confirmed and event.by and event.by not in report["confirmers"]:
            report["confirmers"] = [*report["confirmers"], event.by]
        if kind in ENDINGS and (kind is not Report.Cleared or event.ends):  # one "gone" may not end it
            report["ended"] = True
            if report["alerted"]:
                self._checkpoint_delivery(batch, hooks, position, event, report, "checkpoint.gone")
            return
        credible = kind is Report.Verified or len(report["confirmers"]) >= CREDIBLE_CONFIRMATIONS
        if credible and not report["alerted"]:
            report["alerted"] = True
            self._checkpoint_delivery(batch, hooks, position, event, report, "checkpoint.credible")

    def _checkpoint_delivery(self, batch, hooks, position, event, report, what: str) -> None:
        data = {
            "id": str(report["id"]), "region": report["region"], "city": report["city"],
            "lat": report["lat"], "lon": report["lon"],  # about 1 km, as published
            "since": _minute(report["submitted_at"]),
            "why": "verified" if type(event) is Report.Verified else "confirmed" if what.endswith("credible") else "ended",
        }  # fmt: skip
        batch.alerts.append((what, position, data))
        for hook in _subscribed(hooks, "checkpoints", report["region"]):
            target = f"webhook:{hook['id']}"
            delivery = delivery_id(target, f"{what}:{report['id']}")
            batch.rows.append(("webhook", target, delivery, position, body(delivery, what, (position, event.timestamp), data)))

    def _bulletin(self, batch: _Batch, hooks: dict, position: int, event: Any) -> None:
        figures = event.figures
        batch.bulletins.append(bulletins.bulletin_row(position, event))
        texts = {
            lang: render(
                figures, slot=event.slot, late=event.late, as_of_position=event.as_of_position,
                as_of_recorded_at=event.as_of_recorded_at, lang=lang, gazetteer=self.gazetteer,
            )
            for lang in LANGUAGES
        }  # fmt: skip
        as_of = (event.as_of_position, event.as_of_recorded_at)
        if self.outward.channel:
            target = f"telegram:{self.outward.channel}"
            delivery = delivery_id(target, f"bulletin:{event.originator_id}")
            post = json.dumps({"chat_id": self.outward.channel, "text": texts[self.outward.language]})
            batch.rows.append(("telegram", target, delivery, position, post))
        data = {
            "id": str(event.originator_id), "position": position, "slot": event.slot.isoformat(),
            "late": event.late, "figures": figures, "text": texts,
        }  # fmt: skip
        for hook in _subscribed(hooks, "bulletins", None):
            target = f"webhook:{hook['id']}"
            delivery = delivery_id(target, f"bulletin:{event.originator_id}")
            batch.rows.append(("webhook", target, delivery, position, body(delivery, "bulletin", as_of, data)))

    async def _report(self, conn, batch: _Batch, rid: UUID) -> dict[str, Any] | None:
        report = batch.reports.get(rid)
        if report is None:
            row = await conn.fetchrow("SELECT * FROM outbox_reports WHERE id = $1", rid)
            if row is None:
                return None
            report = batch.reports[rid] = {**dict(row), "confirmers": list(row["confirmers"])}
        return report

    async def _write(self, conn: asyncpg.Connection, batch: _Batch) -> int:
        """Everything the batch decided; how many outbox rows."""
        columns = ("id", "kind", "region", "city", "lat", "lon", "submitted_at", "confirmers", "alerted", "ended")
        if batch.reports:
            records = [tuple(r[c] for c in columns) for r in batch.reports.values()]
            await conn.executemany(
                f"INSERT INTO outbox_reports ({', '.join(columns)}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
                "ON CONFLICT (id) DO UPDATE SET region = EXCLUDED.region, city = EXCLUDED.city, "
                "confirmers = EXCLUDED.confirmers, alerted = EXCLUDED.alerted, ended = EXCLUDED.ended",
                records,
            )
        if batch.regions:
            await conn.executemany(
                "INSERT INTO outbox_regions (region, since) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                list(batch.regions.items()),
            )
        await bulletins.insert(conn, batch.bulletins)
        for hook in batch.webhooks.values():
            await conn.execute(
                "INSERT INTO webhooks (id, url, topics, regions, registered_by, registered_at, removed_at) "
                "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (id) DO UPDATE SET removed_at = EXCLUDED.removed_at",
                hook["id"], hook["url"], hook["topics"], hook["regions"], hook["registered_by"],
                hook["registered_at"], hook["removed_at"],
            )  # fmt: skip
        written = await insert_rows(conn, batch.rows)
        for reporter in batch.forgotten:
            await alert_store.drop_reporter(conn, reporter)
        for what, position, data in batch.alerts:
            written += await insert_rows(conn, await _alert_rows(conn, what, position, data))
        return written

    # -- debounced figure changes ------------------------------------------------------------

    async def flush_figures(self, conn: asyncpg.Connection, now: datetime | None = None) -> int:
        """Regions quiet for the debounce period: one delivery each, to partners subscribed to figures."""
        now = now or datetime.now(timezone.utc)
        sent = 0
        async with conn.transaction():
            due = await conn.fetch(
                "SELECT region FROM outbox_regions WHERE since <= $1 ORDER BY region FOR UPDATE SKIP LOCKED",
                now - self.outward.debounce,
            )
            if not due:
                return 0
            hooks = {r["id"]: dict(r) for r in await conn.fetch("SELECT * FROM webhooks WHERE removed_at IS NULL")}
            rows = []
            for (region,) in due:
                wanted = _subscribed(hooks, "figures", region)
                if not wanted:
                    continue
                day = self.gazetteer.local_date(now, region)
                today = await queries.stats(conn, region=region, date_from=day, date_to=day)
                total = await queries.stats(conn, region=region)
                data = {"region": region, "day": day.isoformat(), "today": _totals(today.total),
                        "total": _totals(total.total)}  # fmt: skip
                as_of = (total.as_of.position, total.as_of.recorded_at)
                for hook in wanted:
                    target = f"webhook:{hook['id']}"
                    delivery = delivery_id(target, f"figures:{region}:{as_of[0]}")
                    rows.append(("webhook", target, delivery, as_of[0], body(delivery, "figures", as_of, data)))
            await conn.execute("DELETE FROM outbox_regions WHERE region = ANY($1::text[])", [r[0] for r in due])
            sent = await insert_rows(conn, rows)
            if sent:
                await conn.execute(f"NOTIFY {outbox_store.NOTIFY}")
        return sent

    # -- running -----------------------------------------------------------------------------------

    async def follow(self, url: str, db_schema: str, *, poll: float = 1.0, standby: float = 1.0) -> None:
        """Run until cancelled: hold the lock (or wait as a hot standby), decide as events arrive."""

        async def work(conn: asyncpg.Connection) -> None:
            await outbox_store.create(conn)
            woken = asyncio.Event()
            await conn.add_listener(CHANNEL, lambda *_: woken.set())
            while True:
                woken.clear()
                await self.catch_up(conn)
                if await conn.fetchval("SELECT to_regclass('rm_tracking') IS NOT NULL"):
                    await self.flush_figures(conn)
                try:
                    await asyncio.wait_for(woken.wait(), poll)
                except TimeoutError:
                    pass

        await hold_and_run(url, db_schema, "svodka outbox follower", work, standby=standby, log=log)


async def insert_rows(conn: asyncpg.Connection, rows: list[tuple]) -> int:
    if not rows:
        return 0
    await conn.executemany(
        "INSERT INTO outbox (kind, target, delivery, position, body) VALUES ($1,$2,$3,$4,$5) "
        "ON CONFLICT (delivery) DO NOTHING",
        rows,
    )
    return len(rows)


async def _alert_rows(conn: asyncpg.Connection, what: str, position: int, data: dict[str, Any]) -> list[tuple]:
    """A reporter's alert: the checkpoint's public facts and the language to say them in (the
    bot's sender words them, and resolves the sealed chat, when it sends)."""
    report_id = UUID(data["id"])
    if what == "checkpoint.credible":
        subscribers = await alert_store.alert(conn, report_id, data["region"], data["city"])
    else:
        subscribers = await alert_store.alerted(conn, report_id)
    rows = []
    for reference, lang in subscribers:
        target = alert_store.TARGET + reference
        facts = json.dumps({**data, "what": what, "lang": lang}, sort_keys=True, ensure_ascii=False)
        rows.append(("alert", target, delivery_id(target, f"{what}:{report_id}"), position, facts))
    return rows


def _subscribed(hooks: dict, topic: str, region: str | None) -> list[dict]:
    return [
        h for h in sorted(hooks.values(), key=lambda h: str(h["id"]))
        if topic in h["topics"] and (region is None or not h["regions"] or region in h["regions"])
    ]  # fmt: skip


def _totals(totals: queries.Totals) -> dict[str, int]:
    return {"verified": totals.verified, "unverified": totals.unverified, "reports": totals.reports}


def _minute(at: datetime) -> str:
    """No public time finer than a minute."""
    return at.astimezone(timezone.utc).replace(second=0, microsecond=0).isoformat()
