"""The audit hash chain: a projection that links every stored event to all before it.

Two chains run side by side over the notification log (docs/AUDIT.md has the byte layouts):
- `hash` covers the stored row as the database holds it (ids, topic, SHA-256 of the state),
  so any rewrite of the log contradicts it;
- `facts_hash` covers the public facts decoded from each event, so an export's facts are
  bound to what the server saw when it chained them, not to what an exporter later claims.
Heads (position, both hashes, time) are signed with Ed25519 and every one is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import Mapper, StoredEvent

from projections.decode import decoder

GENESIS = hashlib.sha256(b"svodka audit chain genesis v1").digest()
FACTS_GENESIS = hashlib.sha256(b"svodka audit facts genesis v1").digest()
HEAD_DOMAIN = b"svodka audit head v1"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Events chained per transaction: large enough that the round trips and the commit are a small
# share of the work (bench/audit_speed.py), small enough that a chainer holds its lock briefly.
BATCH = 5_000

TABLES = (
    """CREATE TABLE IF NOT EXISTS {s}.audit_chain (
    notification_id bigint PRIMARY KEY,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    state_sha256 bytea NOT NULL,
    facts_sha256 bytea NOT NULL,
    hash bytea NOT NULL,
    facts_hash bytea NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS {s}.audit_chain_tracking (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    position bigint NOT NULL,
    hash bytea NOT NULL,
    facts_hash bytea NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS {s}.audit_heads (
    id bigserial PRIMARY KEY,
    position bigint NOT NULL,
    hash bytea NOT NULL,
    facts_hash bytea NOT NULL,
    signed_at timestamptz NOT NULL,
    signature bytea NOT NULL
)""",
)
SEED = "INSERT INTO {s}.audit_chain_tracking (position, hash, facts_hash) VALUES (0, $1, $2) ON CONFLICT DO NOTHING"


def link(prev: bytes, position: int, originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """h_n = SHA-256(h_{n-1} ‖ u64 id ‖ uuid ‖ u64 version ‖ u32 len ‖ topic ‖ SHA-256(state))."""
    return link_digest(prev, position, originator_id, version, topic, hashlib.sha256(state).digest())


def link_digest(prev: bytes, position: int, originator_id: UUID, version: int, topic: str, digest: bytes) -> bytes:
    """`link` given SHA-256(state): after a key rotation, the digest of the state as it was chained."""
    encoded = topic.encode()
    return hashlib.sha256(
        prev
        + position.to_bytes(8, "big")
        + originator_id.bytes
        + version.to_bytes(8, "big")
        + len(encoded).to_bytes(4, "big")
        + encoded
        + digest
    ).digest()


# What `json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)` does, with its
# encoder built once rather than once a call (a fifth of the time spent encoding facts).
canonical_text = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical(facts: dict[str, Any]) -> bytes:
    return canonical_text(facts).encode()


def facts_link(prev: bytes, position: int, facts: dict[str, Any]) -> bytes:
    return facts_link_digest(prev, position, hashlib.sha256(canonical(facts)).digest())


def facts_link_digest(prev: bytes, position: int, digest: bytes) -> bytes:
    """`facts_link` given SHA-256 of the canonical facts."""
    return hashlib.sha256(prev + position.to_bytes(8, "big") + digest).digest()


def head_message(position: int, chain_hash: bytes, facts_hash: bytes, signed_at: datetime) -> bytes:
    micros = (signed_at - EPOCH) // timedelta(microseconds=1)  # exact, unlike float seconds
    return HEAD_DOMAIN + position.to_bytes(8, "big") + chain_hash + facts_hash + micros.to_bytes(8, "big", signed=True)


def audit_pseudonym(key: bytes, pseudonym: str | None) -> str | None:
    """A second keyed hash, so an export cannot be joined with data that shows the HMAC pseudonym."""
    if pseudonym is None:
        return None
    return hmac.new(key, pseudonym.encode(), hashlib.sha256).hexdigest()[:32]


def public_facts(
    event: Any, pseudonymize: Callable[[str | None], str | None], *, exact_time: bool = False
) -> dict[str, Any]:
    """What an auditor may see of one event: countable facts and times, never personal fields.

    `recorded_at` is to the minute: a reporter's tap sets it, and to the microsecond it matched
    reports to accounts whose message times are known (docs/THREAT_MODEL.md, adversary 4).
    `exact_time` gives the facts as chained before that rule (`Chain.facts`)."""
    name = type(event).__qualname__
    recorded_at = event.timestamp if exact_time else event.timestamp.replace(second=0, microsecond=0)
    facts: dict[str, Any] = {"type": name, "recorded_at": recorded_at.isoformat()}
    if name in ("Report.Submitted", "Report.Corrected"):
        facts.update(
            region=event.region,
            city=event.city,
            local_day=event.local_day,
            occurred_at=event.occurred_at.isoformat(),
            detained=event.detained,
        )
    if name == "Report.Submitted":
        facts.update(kind=event.kind, reporter=pseudonymize(event.reporter))
    elif name in ("Report.MarkedDuplicate", "Report.Repointed"):
        facts["of"] = str(event.of)
    elif name in ("Report.Confirmed", "Report.Cleared") and event.seen_at is not None:
        # Votes before seen_at existed keep their facts as they were chained.
        facts["seen_at"] = event.seen_at.isoformat()
        if name == "Report.Cleared":
            facts["ends"] = event.ends
    elif name == "Reporter.Registered":
        facts["reporter"] = pseudonymize(event.pseudonym)
    elif name == "Bulletin.Published":  # what svodka said, for auditors to recompute (docs/AUDIT.md)
        facts.update(slot=event.slot.isoformat(), as_of_position=event.as_of_position, figures=event.figures)
    return facts


class ChainRewound(RuntimeError):
    """The chain's position is behind a head already signed: someone rewound the log or the chain."""


@dataclass(frozen=True, slots=True)
class Head:
    position: int
    hash: bytes
    facts_hash: bytes
    signed_at: datetime
    signature: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "hash": self.hash.hex(),
            "facts_hash": self.facts_hash.hex(),
            "signed_at": self.signed_at.isoformat(),
            "signature": self.signature.hex(),
        }


class Chain:
    """The chain tables in one schema; `mapper` decodes events, `pseudonym_key` re-keys reporters."""

    def __init__(self, schema: str, mapper: Mapper, pseudonym_key: bytes) -> None:
        self.schema = f'"{schema}"'
        self._mapper = mapper
        self._key = pseudonym_key
        self.decode = decoder(mapper)  # rows (id, originator, version, topic, state) -> domain events, batched
        self._pseudonymize = lambda p: audit_pseudonym(self._key, p)

    async def create_tables(self, conn: asyncpg.Connection) -> None:
        for statement in TABLES:
            await conn.execute(statement.format(s=self.schema))
        await conn.execute(SEED.format(s=self.schema), GENESIS, FACTS_GENESIS)

    def facts(self, stored: StoredEvent, chained_sha256: bytes | None = None) -> dict[str, Any]:
        """The event's public facts; given the digest the chain stored for them, the facts as
        they were chained, so events chained with exact times (before minute precision) still
        match their chain entries and every head signed over them."""
        return self.event_facts(self._mapper.to_domain_event(stored), chained_sha256)[0]

    def event_facts(self, event: Any, chained_sha256: bytes | None = None) -> tuple[dict[str, Any], str, bytes]:
        """`facts` of a decoded event, with their canonical JSON and its SHA-256 (each computed once)."""
        facts = public_facts(event, self._pseudonymize)
        text = canonical_text(facts)
        digest = hashlib.sha256(text.encode()).digest()
        if chained_sha256 is not None and digest != chained_sha256:
            exact = public_facts(event, self._pseudonymize, exact_time=True)
            exact_text = canonical_text(exact)
            exact_digest = hashlib.sha256(exact_text.encode()).digest()
            if exact_digest == chained_sha256:
                return exact, exact_text, exact_digest
        return facts, text, digest

    async def step(self, conn: asyncpg.Connection, batch: int = BATCH) -> int:
        """Chain one batch; entries and the tracking row commit together (exactly once). Returns count."""
        s = self.schema
        async with conn.transaction():
            # FOR UPDATE: a second chainer waits here instead of writing a fork. Reading `> position`
            # skips nothing because the library inserts under a table lock (see projections/projector.py).
            position, prev, prev_facts = await conn.fetchrow(
                f"SELECT position, hash, facts_hash FROM {s}.audit_chain_tracking FOR UPDATE"
            )
            rows = await conn.fetch(
                f"SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {s}.svodka_events WHERE notification_id > $1 ORDER BY notification_id LIMIT $2",
                position,
                batch,
            )
            if not rows:
                return 0
            entries = []
            for (n, oid, version, topic, state), event in zip(rows, self.decode(rows), strict=True):
                facts_digest = self.event_facts(event)[2]
                digest = hashlib.sha256(state).digest()
                prev = link_digest(prev, n, oid, version, topic, digest)
                prev_facts = facts_link_digest(prev_facts, n, facts_digest)
                entries.append((n, oid, version, topic, digest, facts_digest, prev, prev_facts))
            await conn.copy_records_to_table("audit_chain", records=entries, schema_name=s.strip('"'))
            await conn.execute(
                f"UPDATE {s}.audit_chain_tracking SET position = $1, hash = $2, facts_hash = $3",
                rows[-1][0],
                prev,
                prev_facts,
            )
            return len(rows)

    async def catch_up(self, conn: asyncpg.Connection, batch: int = BATCH) -> int:
        total = 0
        while count := await self.step(conn, batch):
            total += count
        return total

    async def position(self, conn: asyncpg.Connection) -> tuple[int, bytes, bytes]:
        row = await conn.fetchrow(f"SELECT position, hash, facts_hash FROM {self.schema}.audit_chain_tracking")
        return row[0], bytes(row[1]), bytes(row[2])

    async def publish_head(self, conn: asyncpg.Connection, signer: Ed25519PrivateKey) -> Head | None:
        """Sign the current position unless the latest head already covers it (or the log is empty)."""
        async with conn.transaction():
            # FOR UPDATE: the serving part and an export signing at once must not sign one position twice.
            await conn.execute(f"SELECT 1 FROM {self.schema}.audit_chain_tracking FOR UPDATE")
            position, chain_hash, facts_hash = await self.position(conn)
            latest = await self.latest_head(conn)
            if position == 0 or (latest is not None and latest.position == position):
                return latest
            if latest is not None and position < latest.position:
                # The chain went backwards: signing now would bless a rewritten history.
                raise ChainRewound(f"the chain is at {position}, behind the head signed at {latest.position}")
            signed_at = datetime.now(timezone.utc)
            signature = signer.sign(head_message(position, chain_hash, facts_hash, signed_at))
            await conn.execute(
                f"INSERT INTO {self.schema}.audit_heads (position, hash, facts_hash, signed_at, signature) "
                "VALUES ($1, $2, $3, $4, $5)",
                position,
                chain_hash,
                facts_hash,
                signed_at,
                signature,
            )
            return Head(position, chain_hash, facts_hash, signed_at, signature)

    async def latest_head(self, conn: asyncpg.Connection) -> Head | None:
        heads = await heads_after(conn, self.schema, latest=True)
        return heads[0] if heads else None


async def heads_after(
    conn: asyncpg.Connection, schema: str, *, after: int = 0, limit: int | None = None, latest: bool = False
) -> list[Head]:
    """Published heads by position (strictly rising: a rewound chain is never signed), or the latest."""
    order = "DESC LIMIT 1" if latest else "ASC" + (f" LIMIT {int(limit)}" if limit else "")
    rows = await conn.fetch(
        f"SELECT position, hash, facts_hash, signed_at, signature FROM {schema}.audit_heads "
        f"WHERE position > $1 ORDER BY id {order}",
        after,
    )
    return [Head(r[0], bytes(r[1]), bytes(r[2]), r[3], bytes(r[4])) for r in rows]
