"""Wrapped data keys in PostgreSQL, in their own table outside the event log."""

from __future__ import annotations

from collections.abc import Collection

from psycopg import Connection, errors
from psycopg_pool import ConnectionPool

from infra.database import Database

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.subject_keys (
    subject text PRIMARY KEY,
    key_id text NOT NULL,
    wrapped bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- A reporter's row: owner_digest(pseudonym) -> their random subject. Rows from before it have none.
ALTER TABLE {schema}.subject_keys ADD COLUMN IF NOT EXISTS owner text UNIQUE
"""


class PostgresKeyStore:
    """Deleting a row is the crypto-shred; nothing else holds the unwrapped key."""

    def __init__(self, db: Database, *, create: bool = True) -> None:
        self._table = f'"{db.schema}".subject_keys'
        # Checked on every checkout: after a PostgreSQL restart, a dead connection is replaced
        # instead of failing the report (and its group-commit batch) that drew it.
        self._pool = ConnectionPool(db.url, min_size=1, max_size=4, open=True, kwargs={"autocommit": True},
                                    check=ConnectionPool.check_connection, timeout=10)
        if not create:
            return  # a worker: its parent created the table
        try:
            with self._pool.connection() as conn:
                conn.execute(DDL.format(schema=f'"{db.schema}"'))
        except (errors.UniqueViolation, errors.DuplicateTable):
            pass  # another process created it at the same moment: IF NOT EXISTS is not atomic


    def get(self, subject: str, key_id: str | None = None) -> tuple[str, bytes] | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT key_id, wrapped FROM {self._table} WHERE subject = %s", (subject,)
            ).fetchone()
        if row is None or (key_id is not None and row[0] != key_id):
            return None
        return row[0], bytes(row[1])

    def add(self, subject: str, key_id: str, wrapped: bytes, owner: str | None = None) -> tuple[str, str, bytes]:
        """Insert unless the subject (or the owner) has a row already; the row that stands either way."""
        with self._pool.connection() as conn:
            conn.execute(
                f"INSERT INTO {self._table} (subject, key_id, wrapped, owner) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (subject, key_id, wrapped, owner),
            )
            row = conn.execute(
                f"SELECT subject, key_id, wrapped FROM {self._table} WHERE "
                + ("owner = %s" if owner is not None else "subject = %s"),
                (owner if owner is not None else subject,),
            ).fetchone()
        assert row is not None
        return row[0], row[1], bytes(row[2])

    def get_many(self, subjects: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """The rows of those subjects that have one, in one round trip."""
        with self._pool.connection() as conn:
            return self._rows(conn, subjects)

    def add_many(self, rows: Collection[tuple[str, str, bytes]]) -> dict[str, tuple[str, bytes]]:
        """Insert the rows in one statement (one commit), skipping any subject that has a row
        already; the row that stands for each subject either way.

        Inserted in subject order, so two batches sharing subjects wait on each other instead of
        deadlocking; a subject a concurrent batch won is read back (one more round trip)."""
        ordered = sorted(rows)
        if not ordered:
            return {}
        subjects, key_ids, wrapped = (list(column) for column in zip(*ordered, strict=True))
        with self._pool.connection() as conn:
            inserted = conn.execute(
                f"INSERT INTO {self._table} (subject, key_id, wrapped) "
                "SELECT subject, key_id, wrapped FROM unnest(%s::text[], %s::text[], %s::bytea[]) "
                "WITH ORDINALITY AS batch (subject, key_id, wrapped, n) ORDER BY n "
                "ON CONFLICT DO NOTHING RETURNING subject, key_id, wrapped",
                (subjects, key_ids, wrapped),
            ).fetchall()
            standing = {row[0]: (row[1], bytes(row[2])) for row in inserted}
            lost = [s for s in subjects if s not in standing]
            if lost:
                standing |= self._rows(conn, lost)
        return standing

    def _rows(self, conn: Connection, subjects: Collection[str]) -> dict[str, tuple[str, bytes]]:
        found = conn.execute(
            f"SELECT subject, key_id, wrapped FROM {self._table} WHERE subject = ANY(%s)", (list(subjects),)
        ).fetchall()
        return {row[0]: (row[1], bytes(row[2])) for row in found}

    def subject_of(self, owner: str) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT subject FROM {self._table} WHERE owner = %s", (owner,)).fetchone()
        return None if row is None else row[0]

    def delete(self, subject: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(f"DELETE FROM {self._table} WHERE subject = %s", (subject,))

    def close(self) -> None:
        self._pool.close()
