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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import asyncpg

from domain.application import Svodka
from infra.audit.rows import joined
from infra.audit.part import bring_up_to_date, chain_for, public_key
from infra.database import Database
from infra.keys import Keys
from projections.chain import FACTS_GENESIS, GENESIS, Chain, Head, canonical_text, facts_link_digest, link_digest

FORMAT = "svodka-audit-export"
VERSION = 1
KINDS = ("detention", "checkpoint")
GROUP_BY = ("day", "region", "city")
# As-of figures are exported for the most recent heads only; the verifier recomputes any instant.
AS_OF_HEADS = 20

Progress = Callable[[int, int], None]  # (done, total)

# Heads up to the export's end (a head signed meanwhile beyond it belongs to the next export).
HEADS = """SELECT position, hash, facts_hash, signed_at, signature FROM {s}.audit_heads
WHERE position <= $1 ORDER BY position, id"""
RECENT_HEADS = """SELECT position, hash, facts_hash, signed_at, signature FROM (
SELECT * FROM {s}.audit_heads ORDER BY id DESC LIMIT $1) recent ORDER BY id"""
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
        recent = [_head(r) for r in await conn.fetch(RECENT_HEADS.format(s=s), AS_OF_HEADS)]
        published = await read_figures(conn, recent) if figures else []
        head = await bring_up_to_date(db, app, keys)
        last = head.position if head else 0
        total = await conn.fetchval(f"SELECT count(*) FROM {s}.svodka_events WHERE notification_id <= $1", last)
        heads_conn = await asyncpg.connect(db.url)  # walks the heads again, beside the events
        try:
            with path.open("w", encoding="utf-8") as out:
                _write(out, header(keys, last))
                check, count = await _write_log(out, conn, heads_conn, chain, last, published,
                                                lambda done: progress and progress(done, total))  # fmt: skip
                _write(out, {"type": "end", "events": count, "position": last})
        finally:
            await heads_conn.close()
        if progress:
            progress(count, total)
        return ExportResult(count, head, len(published), check.divergence)
    finally:
        await conn.close()


async def _write_log(
    out: IO[str], conn: asyncpg.Connection, heads_conn: asyncpg.Connection, chain: Chain, last: int,
    published: list[dict[str, Any]], done: Callable[[int], Any],
) -> tuple[LiveCheck, int]:
    """Heads, figures and events from one snapshot. Nothing is held per head or per event: both
    stream (a head a minute is half a million a year), the events a window at a time (infra/audit/rows.py)."""
    heads = HEADS.format(s=chain.schema)
    count = 0
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in conn.cursor(heads, last, prefetch=1_000):
            _write(out, {"type": "head", **_head(row).as_json()})
        for line in published:
            _write(out, line)
        async with heads_conn.transaction(readonly=True):
            check = LiveCheck(heads_conn.cursor(heads, last, prefetch=1_000).__aiter__())
            async for rows in joined(conn, chain.schema, last):
                out.write(await check.lines(chain, rows))
                count += len(rows)
                done(count)
            await check.finish(last)
    return check, count


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
    """Recomputes both chains from the table and notes the first place they leave the stored ones.

    `heads` yields the signed heads by position; they are met as the rows pass them.
    """

    def __init__(self, heads: AsyncIterator[asyncpg.Record]) -> None:
        self.hash, self.facts_hash = GENESIS, FACTS_GENESIS
        self.divergence: Divergence | None = None
        self._heads = heads
        self._next: Head | None = None
        self._started = False
        self._unseen: int | None = None  # the first head whose position has no row

    async def _meet_heads(self, position: int) -> None:
        """The heads signed at `position` must agree with the log; heads before it had no row (unseen)."""
        if not self._started:
            self._started, self._next = True, await self._following()
        while self._next is not None and self._next.position <= position:
            if self._next.position < position and self._unseen is None:
                self._unseen = self._next.position
            elif self._next.position == position and self._next.hash != self.hash:
                self._diverge(position, "the log contradicts the head signed at this position")
            self._next = await self._following()

    async def _following(self) -> Head | None:
        return _head(await anext(self._heads, None))

    async def lines(self, chain: Chain, rows: list[asyncpg.Record]) -> str:
        """The event lines of a batch of joined rows, as one text; heads are met as rows pass them."""
        texts = []
        for row, event in zip(rows, _decoded(chain, rows), strict=True):
            texts.append(self._line(chain, row, event))
            if not self._started or (self._next is not None and self._next.position <= row[0]):  # a head to meet
                await self._meet_heads(row[0])
        return "".join(texts)

    def _line(self, chain: Chain, row: asyncpg.Record, event: Any) -> str:
        position, oid, version, topic, state, stored_hash, stored_facts, rotated, chained, facts_sha256 = row
        entry = {"hash": bytes(stored_hash).hex(), "facts_hash": bytes(stored_facts).hex()} if stored_hash else None
        if oid is None:
            self._diverge(position, "the chain has an entry but the log has no event (deleted?)")
            return _text({"type": "event", "position": position, "missing": True, "chain": entry})
        state = bytes(state)
        facts = facts_text = None
        if event is _UNDECODABLE:
            self._diverge(position, "the stored event no longer decrypts (altered?)")
        else:
            facts, facts_text, facts_digest = chain.event_facts(event, bytes(facts_sha256) if facts_sha256 else None)
        digest = hashlib.sha256(state).digest()
        if rotated is not None and bytes(rotated) == digest:
            digest = bytes(chained)  # re-encrypted by a key rotation: the chain covers the state before
        self.hash = link_digest(self.hash, position, oid, version, topic, digest)
        if facts is not None:
            self.facts_hash = facts_link_digest(self.facts_hash, position, facts_digest)
        if entry is None:
            self._diverge(position, "the log has an event the chain never saw (inserted or renumbered?)")
        elif bytes(stored_hash) != self.hash:
            self._diverge(position, "the stored event differs from the chained one")
        elif bytes(stored_facts) != self.facts_hash:
            self._diverge(position, "the event's public facts differ from the chained ones")
        return _event_text(position, oid, version, topic, digest, facts_text, entry)

    async def finish(self, last: int) -> None:
        await self._meet_heads(last + 1)
        if self._unseen is not None:
            self._diverge(self._unseen, f"a head was signed here but the log has no event there (it ends at {last})")

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


def _head(row: asyncpg.Record | None) -> Head | None:
    return None if row is None else Head(row[0], bytes(row[1]), bytes(row[2]), row[3], bytes(row[4]))


def _write(out: IO[str], record: dict[str, Any]) -> None:
    out.write(_text(record))


def _text(record: dict[str, Any]) -> str:
    return canonical_text(record) + "\n"


_UNDECODABLE = object()


def _decoded(chain: Chain, rows: list[asyncpg.Record]) -> list[Any]:
    """The rows' events, decoded as a batch; one that no longer decrypts is `_UNDECODABLE` (and a
    row with no event, None), which only a batch holding such a row pays for, row by row."""
    present = [row[:5] for row in rows if row[1] is not None]
    try:
        events = iter(chain.decode(present))
        return [next(events) if row[1] is not None else None for row in rows]
    except ValueError:
        return [_decode_one(chain, row) for row in rows]


def _decode_one(chain: Chain, row: asyncpg.Record) -> Any:
    if row[1] is None:
        return None
    try:
        return chain.decode([row[:5]])[0]
    except ValueError:
        return _UNDECODABLE


def _event_text(
    position: int, oid: Any, version: int, topic: str, digest: bytes, facts: str | None, entry: dict[str, str] | None
) -> str:
    """`_text` of an event line, assembled from its parts with the facts' canonical JSON already
    at hand rather than encoding them twice. Keys in sorted order, as `canonical` writes them;
    tests/audit/test_export_verify.py checks every line is exactly `canonical` of itself."""
    chain = f'{{"facts_hash":"{entry["facts_hash"]}","hash":"{entry["hash"]}"}}' if entry else "null"
    return (
        f'{{"chain":{chain},"facts":{facts or "null"},"originator_id":"{oid}",'
        f'"originator_version":{int(version)},"position":{int(position)},"state_sha256":"{digest.hex()}",'
        f'"topic":{canonical_text(topic)},"type":"event"}}\n'
    )
