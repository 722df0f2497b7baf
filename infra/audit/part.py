"""Runs the audit chain: as a part beside the API (`chain_part`), or once to completion.

The Ed25519 signing key is derived from the master key (`subkey("audit signing")` as the
private seed), so it needs no storage of its own and is rotated with the master key.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from domain.application import Svodka
from infra.bootstrap import Services
from infra.database import Database
from infra.keys import Keys
from projections.chain import Chain, ChainRewound, Head

log = logging.getLogger("svodka.audit")
POLL_SECONDS = 1.0
# A head a minute at most: enough to pin history, few enough for an auditor to check them all.
HEAD_EVERY_SECONDS = 60.0
RETRY_SECONDS = 10.0


def signing_key(keys: Keys) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(keys.subkey("audit signing"))


def public_key(keys: Keys) -> bytes:
    """The raw 32-byte Ed25519 public key that verifies every head."""
    return signing_key(keys).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def chain_for(db: Database, app: Svodka, keys: Keys) -> Chain:
    return Chain(db.schema, app.mapper, keys.subkey("audit pseudonym"))


async def bring_up_to_date(db: Database, app: Svodka, keys: Keys) -> Head | None:
    """Chain every stored event and sign the result: what export and tests start from."""
    chain = chain_for(db, app, keys)
    conn = await asyncpg.connect(db.url)
    try:
        await chain.create_tables(conn)
        await chain.catch_up(conn)
        return await chain.publish_head(conn, signing_key(keys))
    finally:
        await conn.close()


def run_to_completion(db: Database, app: Svodka, keys: Keys) -> Head | None:
    return asyncio.run(bring_up_to_date(db, app, keys))


async def chain_part(svc: Services) -> None:
    """Follow the log until cancelled; a failure is logged and retried, never silently skipped."""
    chain = chain_for(svc.db, svc.app, svc.keys)
    signer = signing_key(svc.keys)
    while True:
        try:
            conn = await asyncpg.connect(svc.db.url)
            try:
                await chain.create_tables(conn)
                signed_position, signed_at = None, float("-inf")
                while True:
                    await chain.catch_up(conn)
                    if time.monotonic() - signed_at >= HEAD_EVERY_SECONDS:
                        head = await chain.publish_head(conn, signer)
                        # Only a new head restarts the wait: the first event after a quiet spell is signed at once.
                        if head is not None and head.position != signed_position:
                            signed_position, signed_at = head.position, time.monotonic()
                    await asyncio.sleep(POLL_SECONDS)
            finally:
                await conn.close()
        except ChainRewound as error:
            # Someone rewound the chain under a signed head: refuse to sign, say so, keep checking.
            log.error("audit chain rewound; no head will be signed", extra={"error": str(error)})
            await asyncio.sleep(RETRY_SECONDS)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
            # ValueError covers an event that no longer decrypts: the log was altered or the key changed.
            log.error("audit chain stopped; retrying", extra={"error": type(error).__name__})
            await asyncio.sleep(RETRY_SECONDS)
