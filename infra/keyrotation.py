"""Key rotation: every reporter's data key re-wrapped, and every stored event re-encrypted, under
keys derived from a new master key, in batches that a second run resumes.

Run it with svodka stopped (a process still holding the old key cannot read re-encrypted events).
Before anything changes, the audit chain is brought up to date and a head signed under the old
key, so every event is chained as it was. The chain covers SHA-256 of each stored state, which
re-encryption changes: `audit_reencryptions` records, in the same transaction as each rewrite,
the digest of the new state and of the state the chain covers, and the export links with the
latter, so every head published before the rotation stays valid. The audit signing and audit
pseudonym keys are kept (SVODKA_AUDIT_KEY) so the public key and the audit facts do not change.
Dead copies of the old wrapped keys and ciphertexts (WAL, backups, dead tuples) open only with
the old master key: destroy it once the rotation is done (docs/THREAT_MODEL.md).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from infra.audit.export import REENCRYPTIONS
from infra.audit.part import bring_up_to_date
from infra.bootstrap import build_application
from infra.database import Database
from infra.keys import Keys
from infra.keystore import PostgresKeyStore

BATCH = 500
Progress = Callable[[str, int], None]  # (what, done so far)


@dataclass(frozen=True, slots=True)
class Rotation:
    rewrapped: int  # data keys moved under the new wrapping key by this run
    reencrypted: int  # events rewritten under the new events key by this run


def rotated_keys(old: Keys, new_master: bytes) -> Keys:
    """The keys after a rotation: the new master, the same HMAC secret, the audit keys as they were."""
    return Keys(secret=old.secret, master_key=new_master, audit_key=old.audit_keys())


def rotate(db: Database, old: Keys, new_master: bytes, *, batch: int = BATCH, progress: Progress | None = None) -> Rotation:
    new = rotated_keys(old, new_master)
    app = build_application(old, db)
    try:
        asyncio.run(bring_up_to_date(db, app, old))  # chain every event as it is stored now
    finally:
        app.close()
    PostgresKeyStore(db).close()  # the table and its columns exist, even with no reporter yet
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute(REENCRYPTIONS.format(s=f'"{db.schema}"'))
        rewrapped = _rewrap(conn, db.schema, old.subkey("data keys"), new.subkey("data keys"), batch, progress)
        reencrypted = _reencrypt(conn, db.schema, _cipher(old), _cipher(new), batch, progress)
        # Rewrites leave the old versions as dead tuples in the table files: drop them now.
        conn.execute(f'VACUUM (FULL) "{db.schema}".subject_keys')
    return Rotation(rewrapped, reencrypted)


def _rewrap(conn: psycopg.Connection, schema: str, old: bytes, new: bytes, batch: int, progress: Progress | None) -> int:
    """Each row is unwrapped with the new key first: a row done by an earlier run is left alone."""
    table, before, after, done, last = f'"{schema}".subject_keys', AESGCM(old), AESGCM(new), 0, ""
    while rows := conn.execute(
        f"SELECT subject, wrapped FROM {table} WHERE subject > %s ORDER BY subject LIMIT %s", (last, batch)
    ).fetchall():
        with conn.transaction():
            for subject, wrapped in rows:
                wrapped, aad = bytes(wrapped), subject.encode()
                if _opens(after, wrapped, aad):
                    continue
                data_key = before.decrypt(wrapped[:12], wrapped[12:], aad)
                nonce = os.urandom(12)
                conn.execute(
                    f"UPDATE {table} SET wrapped = %s WHERE subject = %s AND wrapped = %s",
                    (nonce + after.encrypt(nonce, data_key, aad), subject, wrapped),
                )
                done += 1
        last = rows[-1][0]
        if progress:
            progress("data keys", done)
    return done


def _reencrypt(
    conn: psycopg.Connection, schema: str, old: AESCipher, new: AESCipher, batch: int, progress: Progress | None
) -> int:
    s, done, last = f'"{schema}"', 0, 0
    while rows := conn.execute(
        f"SELECT notification_id, state FROM {s}.svodka_events WHERE notification_id > %s "
        "ORDER BY notification_id LIMIT %s",
        (last, batch),
    ).fetchall():
        with conn.transaction():
            for position, state in rows:
                state = bytes(state)
                try:
                    new.decrypt(state)
                    continue  # rewritten by an earlier run
                except ValueError:
                    pass
                fresh = new.encrypt(old.decrypt(state))
                conn.execute(f"UPDATE {s}.svodka_events SET state = %s WHERE notification_id = %s", (fresh, position))
                # The chained digest is the first one ever recorded: a second rotation keeps it.
                conn.execute(
                    f"INSERT INTO {s}.audit_reencryptions VALUES (%s, %s, %s) ON CONFLICT (notification_id) "
                    "DO UPDATE SET state_sha256 = EXCLUDED.state_sha256",
                    (position, hashlib.sha256(fresh).digest(), hashlib.sha256(state).digest()),
                )
                done += 1
        last = rows[-1][0]
        if progress:
            progress("events", done)
    return done


def _cipher(keys: Keys) -> AESCipher:
    return AESCipher(Environment("svodka", {"CIPHER_KEY": base64.b64encode(keys.subkey("events")).decode()}))


def _opens(aes: AESGCM, wrapped: bytes, aad: bytes) -> bool:
    try:
        aes.decrypt(wrapped[:12], wrapped[12:], aad)
    except InvalidTag:
        return False
    return True
