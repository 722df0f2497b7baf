"""An independent, deliberately plain fold of the event log: each report's final state first,
then the counts, so it shares no code and no delta bookkeeping with the projector."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from infra.audit.fold import Fold as AuditFold
from projections import queries
from projections.chain import public_facts

FLOOD_LIMIT = 10
ENDED = {
    "Rejected": "rejected", "MarkedDuplicate": "duplicate", "Repointed": "duplicate", "Retracted": "retracted",
    "Reopened": "unreviewed",
}


def stored_events(app) -> list:
    return [event for _, event in numbered_events(app)]


def numbered_events(app) -> list[tuple[int, object]]:
    notifications = app.recorder.select_notifications(start=None, limit=10**7)
    return [(n.id, app.mapper.to_domain_event(n)) for n in notifications]


def known_at(numbered: list[tuple[int, object]], at: datetime) -> int:
    """The position of the last event known at `at`: every event up to it was recorded by then."""
    position, clock = 0, None
    for number, event in numbered:
        clock = event.timestamp if clock is None else max(clock, event.timestamp)
        if clock > at:
            break
        position = number
    return position


def expected(events: list, kind: str, at: datetime | None = None) -> dict[tuple, tuple[int, int, int]]:
    """{(day, region, city): (verified, unverified, reports)} as known at `at` (a log prefix)."""
    reports: dict = {}
    names: dict = {}
    blocked: set = set()
    per_hour: Counter = Counter()
    clock = None
    for e in events:
        clock = e.timestamp if clock is None else max(clock, e.timestamp)
        if at is not None and clock > at:
            break
        name = type(e).__name__
        if name == "Submitted":
            hour = e.timestamp.replace(minute=0, second=0, microsecond=0)
            per_hour[(e.reporter, hour)] += 1
            held = e.reporter is not None and per_hour[(e.reporter, hour)] > FLOOD_LIMIT
            reports[e.originator_id] = dict(
                kind=e.kind, key=(e.local_day, e.region, e.city or ""), detained=e.detained,
                status="unreviewed", reporter=e.reporter, held=held,
            )  # fmt: skip
        elif name == "Corrected":
            reports[e.originator_id].update(key=(e.local_day, e.region, e.city or ""), detained=e.detained)
        elif name == "Verified":
            reports[e.originator_id]["status"] = "verified"
        elif name in ENDED:
            reports[e.originator_id]["status"] = ENDED[name]
        elif name == "Registered":
            names[e.originator_id] = e.pseudonym
        elif name == "Blocked":
            blocked.add(names[e.originator_id])
        elif name == "Unblocked":
            blocked.discard(names[e.originator_id])
    sums: dict[tuple, list[int]] = {}
    for r in reports.values():
        if r["kind"] != kind or r["status"] not in ("unreviewed", "verified") or r["reporter"] in blocked:
            continue
        if r["held"] and r["status"] != "verified":
            continue
        row = sums.setdefault(r["key"], [0, 0, 0])
        weight = r["detained"] if kind == "detention" else 1
        row[0 if r["status"] == "verified" else 1] += weight
        row[2] += 1
    return {key: tuple(v) for key, v in sums.items()}


async def published(conn, kind: str, at: datetime | None = None) -> dict[tuple, tuple[int, int, int]]:
    stats = await queries.stats(conn, kind=kind, group_by=("day", "region", "city"), at=at)
    groups = {
        (g.key["day"], g.key["region"], g.key["city"]): (g.totals.verified, g.totals.unverified, g.totals.reports)
        for g in stats.groups
    }
    assert stats.total == queries.Totals(*(sum(v[i] for v in groups.values()) for i in range(3)))
    return groups


def audit_fold(numbered: list[tuple[int, object]]) -> AuditFold:
    """The auditor's independent fold, fed the public facts an export would carry."""
    fold = AuditFold()
    for position, event in numbered:
        fold.apply(position, str(event.originator_id), public_facts(event, lambda p: p))
    return fold
