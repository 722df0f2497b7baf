"""Reports go to PostgreSQL compressed and encrypted, and come back whole."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg

from domain.application import NewReport
from infra.bootstrap import build_application
from infra.keystore import PostgresKeyStore


def test_report_is_written_reloaded_and_decrypted_with_its_state_unreadable_raw(db, keys):
    store = PostgresKeyStore(db)
    app = build_application(keys, db, store)
    sub = app.submit(
        NewReport(
            kind="detention",
            channel="telegram",
            client_ref="42",
            occurred_at=datetime.now(timezone.utc) - timedelta(minutes=30),
            reporter="a" * 64,
            city="Yekaterinburg",
            detained=12,
            description="Задержаны у Плотинки",
        )
    )
    app.close()

    with psycopg.connect(db.url) as conn:
        rows = conn.execute(f'SELECT topic, state FROM "{db.schema}".svodka_events').fetchall()
        keys_table = conn.execute(f'SELECT wrapped FROM "{db.schema}".subject_keys').fetchall()
    assert len(rows) == 1
    raw = bytes(rows[0][1])
    # Field names and values, not short numbers: two random bytes of ciphertext can read "12".
    for visible in (b"Yekaterinburg", b"RU-SVE", b"detention", b"detained", "Плотинки".encode()):
        assert visible not in raw
    assert len(keys_table) == 1

    # A new process with the same keys reads it back.
    again = build_application(keys, db, store)
    report = again.report(sub.id)
    assert (report.city, report.region, report.detained) == ("Yekaterinburg", "RU-SVE", 12)
    assert again.personal_fields(sub.id) == {"description": "Задержаны у Плотинки"}
    again.close()
    store.close()


def test_the_library_insert_function_is_not_used(db, keys):
    """POSTGRES_ENABLE_DB_FUNCTIONS skips the table lock; tailing readers would then miss events."""
    app = build_application(keys, db)
    assert "POSTGRES_ENABLE_DB_FUNCTIONS" not in app.env
    assert app.recorder.datastore.enable_db_functions is False
    app.close()


def test_a_key_store_tolerates_another_process_creating_its_table_at_the_same_moment(db):
    """Workers starting together race to create the key table; the loser must not fail."""
    import threading

    from infra.keystore import DDL

    rival = psycopg.connect(db.url)
    rival.execute(DDL.format(schema=f'"{db.schema}"'))  # created, not yet committed
    opened: list = []
    racer = threading.Thread(target=lambda: opened.append(PostgresKeyStore(db)))
    racer.start()
    racer.join(timeout=1)  # blocks on the rival's uncommitted catalog row
    rival.commit()  # now the racer's CREATE ... IF NOT EXISTS hits a unique violation
    rival.close()
    racer.join(timeout=20)
    assert opened, "the key store failed to open"
    opened[0].add("s", "k", b"wrapped")
    assert opened[0].get("s") == ("k", b"wrapped")
    opened[0].close()
