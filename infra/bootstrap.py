"""The composition root: the one place that wires settings, storage, crypto and the application."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from domain.application import Svodka
from infra.crypto import EnvelopeVault, KeyStore, MemoryKeyStore
from infra.database import Database, open_database
from infra.keys import Keys, load_keys
from infra.keystore import PostgresKeyStore
from infra.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    keys: Keys
    app: Svodka


def storage_env(keys: Keys) -> dict[str, str]:
    """Every event is compressed, then sealed with AES-GCM, before it reaches the database."""
    return {
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": base64.b64encode(keys.subkey("events")).decode(),
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
    }


def build_application(keys: Keys, db: Database | None, store: KeyStore | None = None) -> Svodka:
    """The domain application on PostgreSQL, or in memory when `db` is None (tests, tools)."""
    env = storage_env(keys)
    env.update(db.eventsourcing_env() if db else {"PERSISTENCE_MODULE": "eventsourcing.popo"})
    vault = EnvelopeVault(keys.subkey("data keys"), store or MemoryKeyStore())
    return Svodka(env, vault=vault)


@contextmanager
def services(settings: Settings) -> Iterator[Services]:
    with open_database(settings) as db:
        keys = load_keys(settings)
        store = PostgresKeyStore(db)
        app = build_application(keys, db, store)
        try:
            yield Services(settings=settings, db=db, keys=keys, app=app)
        finally:
            app.close()
            store.close()
