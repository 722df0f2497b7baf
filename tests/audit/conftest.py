"""Audit fixtures: the application on the test PostgreSQL, and a small history to audit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg

from domain.application import NewReport, Svodka

REPORTER = "a" * 64
FLOODER = "f" * 64


def detention(ref: str, city: str, detained: int, reporter: str | None = None, **extra) -> NewReport:
    return NewReport(
        kind="detention",
        channel="telegram" if reporter else "hotline",
        client_ref=ref,
        occurred_at=datetime.now(timezone.utc) - timedelta(hours=2),
        reporter=reporter,
        city=city,
        detained=detained,
        **extra,
    )


def seed(app: Svodka) -> dict[str, object]:
    """A history touching every counting rule: moderation, corrections, a blocked flood, a checkpoint."""
    moscow = app.submit(detention("1", "Moscow", 12, REPORTER, description="у метро", lat=55.7558, lon=37.6173)).id
    spb = app.submit(detention("2", "Saint Petersburg", 30)).id
    rejected = app.submit(detention("3", "Novosibirsk", 5)).id
    flood = [app.submit(detention(f"f{i}", "Moscow", 100, FLOODER)).id for i in range(3)]
    checkpoint = app.submit(
        NewReport(kind="checkpoint", channel="hotline", client_ref="c1",
                  occurred_at=datetime.now(timezone.utc) - timedelta(hours=1), city="Kursk")
    ).id
    app.verify(moscow, moderator="anna")
    app.reject(rejected, moderator="anna", reason="fake")
    app.correct(spb, by="boris", reason="lawyer's list", detained=31)
    app.block_reporter(app.reporter_reference(FLOODER), moderator="anna", reason="flood")
    return {"moscow": moscow, "spb": spb, "rejected": rejected, "flood": flood, "checkpoint": checkpoint}


def sql(db, statement: str, *params) -> None:
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute(statement.replace("{s}", f'"{db.schema}"'), params)


def fetch(db, statement: str, *params) -> list[tuple]:
    with psycopg.connect(db.url) as conn:
        return conn.execute(statement.replace("{s}", f'"{db.schema}"'), params).fetchall()
