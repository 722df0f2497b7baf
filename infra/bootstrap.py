"""The composition root: the one place that wires settings, storage, crypto and the application."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from domain.application import Svodka
from infra.crypto import EnvelopeVault, KeyStore, MemoryKeyStore
from infra.database import Database, open_database, preparing
from infra.keys import Keys, load_keys
from infra.keystore import PostgresKeyStore
from infra.exits import DatabaseUnavailable
from infra.settings import Settings

log = logging.getLogger("svodka")
STARTUP_PATIENCE_SECONDS = 30.0


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


def build_application(
    keys: Keys, db: Database | None, store: KeyStore | None = None, *, prepare: bool = True
) -> Svodka:
    """The domain application on PostgreSQL, or in memory when `db` is None (tests, tools).

    With `prepare`, the library creates its tables and functions (DDL); without, it only uses them.
    """
    env = storage_env(keys)
    env.update(db.eventsourcing_env() if db else {"PERSISTENCE_MODULE": "eventsourcing.popo"})
    env["CREATE_TABLE"] = "y" if prepare else "n"
    vault = EnvelopeVault(keys.subkey("data keys"), store or MemoryKeyStore())
    return Svodka(env, vault=vault)


@contextmanager
def services(settings: Settings, *, prepare: bool = True) -> Iterator[Services]:
    """Everything a part needs. `prepare=False` runs no DDL: for `--workers` processes, whose
    parent prepared the database once (N processes replacing the library's function at once
    fail with "tuple concurrently updated")."""
    with open_database(settings, prepare=prepare) as db:
        keys = load_keys(settings)
        store, app = _open_stores(db, keys, prepare)
        try:
            yield Services(settings=settings, db=db, keys=keys, app=app)
        finally:
            app.close()
            store.close()


def _prepare_console(db: Database) -> None:
    """The console's session table (used when there is no Redis), made here so a worker need not."""
    from api.console.sessions import CREATE

    with db.connect(autocommit=True) as conn:
        conn.execute(CREATE)


def _open_stores(db: Database, keys: Keys, prepare: bool, patience: float = STARTUP_PATIENCE_SECONDS
                 ) -> tuple[PostgresKeyStore, Svodka]:
    """The key store and the application; a database restarting meanwhile is waited for.

    The server answered a moment ago (settings_or_exit checks), so a failure here is most likely
    a restart: a part that died of it would need restarting by hand.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            with preparing(db) if prepare else nullcontext():
                store = PostgresKeyStore(db, create=prepare)
                if prepare:
                    _prepare_console(db)
                try:
                    return store, build_application(keys, db, store, prepare=prepare)
                except BaseException:
                    store.close()
                    raise
        except (psycopg.OperationalError, OperationalError, InterfaceError) as error:
            if time.monotonic() > deadline:
                raise DatabaseUnavailable(f"the database stayed unavailable for {patience:g} s while starting "
                                          f"({type(error).__name__})") from None
            log.warning("database unavailable while starting; retrying", extra={"error": type(error).__name__})
            time.sleep(1)
