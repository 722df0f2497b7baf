"""A batch of reports creates its new data keys together: one insert and one commit, not one each.

Reports without a reporter (the operators' intake, the console desk, a CSV import) are each their
own data subject, so every described one needs a new key; the group commit saves them together,
and their keys must be made together too, and be durable before the events that need them.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from domain.application import ERASED, NewReport, Submission
from infra.crypto import EnvelopeVault, MemoryKeyStore
from infra.keystore import PostgresKeyStore

WHEN = datetime.now(timezone.utc) - timedelta(hours=1)


def described(ref: str, description: str | None = None, **extra) -> NewReport:
    return NewReport(kind="detention", channel="operator:hotline", client_ref=ref, occurred_at=WHEN,
                     city="Москва", detained=2, description=description or f"у отдела полиции, {ref}", **extra)


class Counting:
    """A key-store connection that records each statement it is sent (one round trip each)."""

    def __init__(self, conn: psycopg.Connection, statements: list[str]) -> None:
        self._conn, self._statements = conn, statements

    def execute(self, query, *args, **kwargs):
        self._statements.append(str(query))
        return self._conn.execute(query, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.fixture
def statements(pg_app, monkeypatch) -> list[str]:
    pool = pg_app.vault._store._pool  # noqa: SLF001 - the round trips are what is counted
    real = pool.connection
    sent: list[str] = []

    @contextmanager
    def connection(*args, **kwargs):
        with real(*args, **kwargs) as conn:
            yield Counting(conn, sent)

    monkeypatch.setattr(pool, "connection", connection)
    return sent


def test_a_batch_of_described_reports_makes_its_keys_in_one_insert(pg_app, statements):
    batch = [described(f"r{i}") for i in range(20)]
    outcomes = pg_app.submit_many(batch)
    assert all(isinstance(o, Submission) and o.created for o in outcomes), outcomes
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1, f"{len(inserts)} key-store inserts (commits) for a batch of 20"
    assert len(statements) == 2, f"{len(statements)} key-store round trips for a batch of 20"
    for new, outcome in zip(batch, outcomes, strict=True):
        assert pg_app.personal_fields(outcome.id) == {"description": new.description}


def test_every_sealed_field_opens_and_shredding_one_report_erases_only_it(pg_app):
    batch = [described("a"), described("b", lat=55.7512, lon=37.6184), described("c")]
    batch.append(NewReport(kind="checkpoint", channel="operator:hotline", client_ref="plain",
                           occurred_at=WHEN, city="Курск"))
    a, b, c, plain = pg_app.submit_many(batch)
    assert pg_app.personal_fields(b.id) == {"description": batch[1].description, "lat": 55.7512, "lon": 37.6184}
    assert pg_app.personal_fields(plain.id) == {}
    pg_app.vault.shred(f"report:{b.id}")
    assert pg_app.personal_fields(b.id) == ERASED
    assert pg_app.personal_fields(a.id) == {"description": batch[0].description}
    assert pg_app.personal_fields(c.id) == {"description": batch[2].description}


def test_the_keys_are_committed_before_the_events_are_saved(pg_app, db, monkeypatch):
    """An acknowledged report must open after a crash: no event may be durable before its key."""
    save = pg_app.save
    seen: list[int] = []

    def checking_save(*reports):
        subjects = [f"report:{r.id}" for r in reports]
        with psycopg.connect(db.url) as other:  # another session sees only what is committed
            seen.append(other.execute(f'SELECT count(*) FROM "{db.schema}".subject_keys WHERE subject = ANY(%s)',
                                      (subjects,)).fetchone()[0])
        return save(*reports)

    monkeypatch.setattr(pg_app, "save", checking_save)
    outcomes = pg_app.submit_many([described(f"r{i}") for i in range(5)])
    assert all(isinstance(o, Submission) for o in outcomes)
    assert seen == [5]


def test_a_retry_in_a_batch_keeps_the_key_its_report_was_sealed_with(pg_app):
    first = pg_app.submit_many([described("again")])[0]
    outcomes = pg_app.submit_many([described("again"), described("new")])
    assert outcomes[0] == Submission(first.id, created=False) and outcomes[1].created
    assert pg_app.personal_fields(first.id) == {"description": described("again").description}


def test_when_the_keys_cannot_be_made_only_the_described_reports_fail(pg_app, monkeypatch):
    def down(rows):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(pg_app.vault._store, "add_many", down)  # noqa: SLF001
    plain = NewReport(kind="detention", channel="operator:hotline", client_ref="plain", occurred_at=WHEN,
                      city="Москва", detained=1)
    outcomes = pg_app.submit_many([described("a"), plain, described("b")])
    assert [type(o).__name__ for o in outcomes] == ["OperationalError", "Submission", "OperationalError"]
    assert pg_app.report(outcomes[1].id).detained == 1


@pytest.fixture(params=["memory", "postgres"])
def stores(request, db):
    """Two key stores on the same keys, as two API processes have."""
    if request.param == "memory":
        shared = MemoryKeyStore()
        yield shared, shared
        return
    opened = [PostgresKeyStore(db), PostgresKeyStore(db, create=False)]
    yield tuple(opened)
    for store in opened:
        store.close()


def test_add_many_returns_the_row_that_stands_when_a_subject_has_one(stores):
    first, second = stores
    assert first.add_many([("s1", "k1", b"w1")]) == {"s1": ("k1", b"w1")}
    assert second.add_many([("s2", "k2", b"w2"), ("s1", "other", b"other")]) == {
        "s1": ("k1", b"w1"), "s2": ("k2", b"w2")}
    assert second.get_many(["s1", "s2", "s3"]) == {"s1": ("k1", b"w1"), "s2": ("k2", b"w2")}


def test_two_batches_racing_for_the_same_subjects_end_with_one_key_each(stores):
    master = os.urandom(32)
    vaults = [EnvelopeVault(master, store) for store in stores]
    for round_ in range(5):
        # Overlapping, in opposite orders: each subject must end with one key, and no deadlock.
        subjects = [f"report:{round_}-{i}" for i in range(30)]
        start = threading.Barrier(2)
        tokens: list[dict[str, str]] = [{}, {}]
        errors: list[BaseException] = []

        def seal(n: int, order: list[str]) -> None:
            try:
                start.wait()
                sealer = vaults[n].sealer(order)
                tokens[n] = {s: sealer(s, {"description": f"{n}:{s}"}) for s in order}
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=seal, args=(0, subjects)),
                   threading.Thread(target=seal, args=(1, subjects[::-1]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        for s in subjects:
            assert vaults[0].open(s, tokens[0][s]) == {"description": f"0:{s}"}
            assert vaults[1].open(s, tokens[1][s]) == {"description": f"1:{s}"}
            assert tokens[0][s].split(".")[1] == tokens[1][s].split(".")[1]  # the same key id
