"""`svodka audit export`: the log as JSON lines, without secrets, checked against the chain as it goes.

The export first chains every stored event and signs a fresh head, then streams the events
table joined with the stored chain. It recomputes the chain from the table while it writes,
so a log rewritten in the database fails here loudly, naming the first position that differs.
The file is written all the same: `svodka audit verify` on it shows the same divergence.
Line order (docs/AUDIT.md): header, heads, figures, events, end.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import asyncpg
from eventsourcing.persistence import StoredEvent

from domain.application import Svodka
from infra.audit.part import bring_up_to_date, chain_for, public_key
from infra.database import Database
from infra.keys import Keys
from projections.chain import FACTS_GENESIS, GENESIS, Chain, Head, canonical, facts_link, heads_after, link_digest

FORMAT = "svodka-audit-export"
VERSION = 1
KINDS = ("detention", "checkpoint")
GROUP_BY = ("day", "region", "city")
# As-of figures are exported for the most recent heads only; the verifier recomputes any instant.
AS_OF_HEADS = 20

Progress = Callable[[int, int], None]  # (done, total)

JOINED = """
SELECT coalesce(e.notification_id, c.notification_id) AS position,
       e.originator_id, e.originator_version, e.topic, e.state,
       c.hash, c.facts_hash, r.state_sha256 AS rotated_sha256, r.chained_sha256, c.facts_sha256
FROM {s}.svodka_events e FULL OUTER JOIN {s}.audit_chain c ON c.notification_id = e.notification_id
LEFT JOIN {s}.audit_reencryptions r ON r.notification_id = e.notification_id
WHERE coalesce(e.notification_id, c.notification_id) <= $1
ORDER BY 1
"""
# `svodka keys rotate` re-encrypts events; this records, per event, the digest of the state it
# wrote and of the state the chain covers, so the chain and every published head stay valid.
REENCRYPTIONS = """CREATE TABLE IF NOT EXISTS {s}.audit_reencryptions (
    notification_id bigint PRIMARY KEY,
    state_sha256 bytea NOT NULL,
    chained_sha256 bytea NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Divergence:
    position: int
    what: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.what}"


@dataclass(frozen=True, slots=True)
class ExportResult:
    events: int
    head: Head | None
    figures: int
    divergence: Divergence | None


async def export(
    db: Database, app: Svodka, keys: Keys, path: Path, progress: Progress | None = None, *, figures: bool = True
) -> ExportResult:
    """`figures=False` leaves out the read model's figures (the chain and facts are still complete)."""
    conn = await asyncpg.connect(db.url, server_settings={"search_path": f"{db.schema},public"})
    try:
        s = f'"{db.schema}"'
        chain = chain_for(db, app, keys)
        await chain.create_tables(conn)
        await conn.execute(REENCRYPTIONS.format(s=s))
        # Figures before signing: the head signed next is at or beyond their position, so the file covers them.
        published = await read_figures(conn, (await heads_after(conn, s))[-AS_OF_HEADS:]) if figures else []
        head = await bring_up_to_date(db, app, keys)
        last = head.position if head else 0
        heads = await heads_after(conn, s)
        total = await conn.fetchval(f"SELECT count(*) FROM {s}.svodka_events WHERE notification_id <= $1", last)
        with path.open("w", encoding="utf-8") as out:
            _write(out, header(keys, last))
            for signed in heads:
                _write(out, {"type": "head", **signed.as_json()})
            for line in published:
                _write(out, line)
            check = LiveCheck(heads)
            count = 0
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                async for row in conn.cursor(JOINED.format(s=s), last, prefetch=1_000):
                    _write(out, check.line(chain, row))
                    count += 1
                    if progress and count % 500 == 0:
                        progress(count, total)
            check.finish(last)
            _write(out, {"type": "end", "events": count, "position": last})
        if progress:
            progress(count, total)
        return ExportResult(count, head, len(published), check.divergence)
    finally:
        await conn.close()


def header(keys: Keys, position: int) -> dict[str, Any]:
    return {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "position": position,
        "public_key": base64.b64encode(public_key(keys)).decode(),
        "genesis": GENESIS.hex(),
        "facts_genesis": FACTS_GENESIS.hex(),
    }


class LiveCheck:
    """Recomputes both chains from the table and notes the first place they leave the stored ones."""

    def __init__(self, heads: list[Head]) -> None:
        self.hash, self.facts_hash = GENESIS, FACTS_GENESIS
        self.divergence: Divergence | None = None
        self._heads = {h.position: h for h in heads}
        self._unseen = set(self._heads)

    def line(self, chain: Chain, row: asyncpg.Record) -> dict[str, Any]:
        position, oid, version, topic, state, stored_hash, stored_facts, rotated, chained, facts_sha256 = row
        entry = {"hash": bytes(stored_hash).hex(), "facts_hash": bytes(stored_facts).hex()} if stored_hash else None
        if oid is None:
            self._diverge(position, "the chain has an entry but the log has no event (deleted?)")
            return {"type": "event", "position": position, "missing": True, "chain": entry}
        state = bytes(state)
        try:
            facts = chain.facts(StoredEvent(oid, version, topic, state), bytes(facts_sha256) if facts_sha256 else None)
        except ValueError:
            facts = None
            self._diverge(position, "the stored event no longer decrypts (altered?)")
        digest = hashlib.sha256(state).digest()
        if rotated is not None and bytes(rotated) == digest:
            digest = bytes(chained)  # re-encrypted by a key rotation: the chain covers the state before
        self.hash = link_digest(self.hash, position, oid, version, topic, digest)
        if facts is not None:
            self.facts_hash = facts_link(self.facts_hash, position, facts)
        if entry is None:
            self._diverge(position, "the log has an event the chain never saw (inserted or renumbered?)")
        elif bytes(stored_hash) != self.hash:
            self._diverge(position, "the stored event differs from the chained one")
        elif bytes(stored_facts) != self.facts_hash:
            self._diverge(position, "the event's public facts differ from the chained ones")
        head = self._heads.get(position)
        self._unseen.discard(position)
        if head is not None and head.hash != self.hash:
            self._diverge(position, "the log contradicts the head signed at this position")
        return {
            "type": "event",
            "position": position,
            "originator_id": str(oid),
            "originator_version": version,
            "topic": topic,
            "state_sha256": digest.hex(),
            "facts": facts,
            "chain": entry,
        }

    def finish(self, last: int) -> None:
        if self._unseen:
            self._diverge(min(self._unseen), f"a head was signed here but the log has no event there (it ends at {last})")

    def _diverge(self, position: int, what: str) -> None:
        if self.divergence is None:
            self.divergence = Divergence(position, what)


async def read_figures(conn: asyncpg.Connection, heads: list[Head]) -> list[dict[str, Any]]:
    """The read model's published figures, now and as of recent heads, for the verifier to check."""
    from projections import queries

    lines = []
    instants: list[datetime | None] = [None, *(h.signed_at for h in heads)]
    for kind in KINDS:
        for at in instants:
            try:
                stats = await queries.stats(conn, kind=kind, group_by=GROUP_BY, at=at)
            except (NotImplementedError, asyncpg.PostgresError):
                return lines  # the read model is not there (yet): nothing to compare with
            lines.append(figures_line(kind, at, stats))
    return lines


def figures_line(kind: str, at: datetime | None, stats: Any) -> dict[str, Any]:
    def totals(t: Any) -> dict[str, int]:
        return {"verified": t.verified, "unverified": t.unverified, "reports": t.reports}

    return {
        "type": "figures",
        "kind": kind,
        "at": at.isoformat() if at else None,
        "as_of": {
            "position": stats.as_of.position,
            "recorded_at": stats.as_of.recorded_at.isoformat() if stats.as_of.recorded_at else None,
        },
        "total": totals(stats.total),
        "groups": [{"key": g.key, **totals(g.totals)} for g in stats.groups],
    }


def _write(out: IO[str], record: dict[str, Any]) -> None:
    out.write(canonical(record).decode() + "\n")
