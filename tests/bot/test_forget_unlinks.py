"""After "forget me", nothing stored links the reports to the Telegram account, even with every key.

The reporter talks to the real bot (Redis-shared state), votes on a checkpoint, is blocked by a
moderator, then uses /forget. Then the whole test schema is dumped with pg_dump, every event is
decrypted with the server's keys, Redis and the log records are read, the chain and an audit
export are made, and none of them holds the pseudonym or any form derived from it.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.storage import PseudonymousKeyBuilder
from domain.application import NewReport
from domain.reporter import reporter_id
from infra.audit.export import export
from infra.audit.part import bring_up_to_date
from infra.backup import pg_tool
from infra.bot_part import pseudonymizer, wire
from infra.crypto import owner_digest
from projections import schema
from projections.chain import audit_pseudonym
from projections.projector import Projector, connect
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import BOT_ID, FakeUser


def derived_forms(keys, telegram_id: int, bot_id: int, prefix: str) -> dict[str, str]:
    """Every way svodka ever computed a handle from the account: each must be gone."""
    pseudonym = pseudonymizer(keys)(telegram_id)
    fsm = PseudonymousKeyBuilder(pseudonymizer(keys), f"{prefix}:fsm").build(
        StorageKey(bot_id=bot_id, chat_id=telegram_id, user_id=telegram_id)
    )
    return {
        "pseudonym": pseudonym,
        "reporter aggregate id": str(reporter_id(pseudonym)),
        "reporter aggregate id (hex)": reporter_id(pseudonym).hex,
        "Redis prefs and rate-limit hash": hashlib.sha256(pseudonym.encode()).hexdigest()[:32],
        "Redis conversation key": fsm.rsplit(":", 1)[0].rsplit(":", 1)[-1],
        "key row owner": owner_digest(pseudonym),
        "audit pseudonym": audit_pseudonym(keys.subkey("audit pseudonym"), pseudonym),
    }


def decrypted_events(db, app) -> str:
    """The plaintext of every stored event, as whoever holds the events key reads it."""
    with psycopg.connect(db.url) as conn:
        rows = conn.execute(f'SELECT state FROM "{db.schema}".svodka_events').fetchall()
    return "\n".join(app.mapper.compressor.decompress(app.mapper.cipher.decrypt(bytes(r[0]))).decode() for r in rows)


async def everything_stored(db, app, keys, client, prefix: str, tmp_path: Path, caplog) -> dict[str, str]:
    """The read model, the chain and an export brought up to date, then every place svodka keeps
    anything: a pg_dump of the schema, the decrypted events, Redis, the logs, the audit export."""
    conn = await connect(db.url, db.schema, "svodka-unlinkable-test")
    try:
        await schema.create(conn)
        await Projector(app.mapper).catch_up(conn)
    finally:
        await conn.close()
    await bring_up_to_date(db, app, keys)
    assert (await export(db, app, keys, tmp_path / "audit.jsonl", figures=False)).divergence is None
    with psycopg.connect(db.url) as pg:  # pg_dump refuses a server newer than itself (the embedded one)
        server_major = pg.info.server_version // 10000
    dump = subprocess.run(
        [pg_tool("pg_dump", server_major), "--schema", db.schema, db.url], check=True, capture_output=True, text=True
    ).stdout
    assert "svodka_events" in dump and "rm_reports" in dump and "subject_keys" in dump
    return {
        "pg_dump": dump,
        "decrypted events": decrypted_events(db, app),
        "Redis": await redis_dump(client, prefix),
        "logs": caplog.text + "\n".join(str(r.__dict__) for r in caplog.records),
        "audit export": (tmp_path / "audit.jsonl").read_text(),
    }


async def redis_dump(client, prefix: str) -> str:
    lines = []
    async for key in client.scan_iter(f"{prefix}:*"):
        lines.append(f"{key!r} {await client.dump(key)!r}")
    return "\n".join(lines)


@pytest.mark.slow
async def test_after_forget_no_stored_form_of_the_reporter_remains(
    tg, bot, db, keys, pg_app, read_model, redis, tmp_path: Path, caplog
):
    caplog.set_level(logging.DEBUG)
    client, prefix = redis
    dp = wire(pg_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
    user = FakeUser(tg, 7_770_001)
    h = Harness(tg, dp, bot, pg_app, user)
    await h.detention_summary(count="2", description="в автозаке у метро")
    assert "сохранён" in await h.tap("Подтвердить")
    [report] = h.reports()
    reference = report.reporter
    # A checkpoint someone else reported, which this reporter confirms and then reports gone.
    checkpoint = pg_app.submit(
        NewReport("checkpoint", "hotline", "k1", CLOCK - timedelta(minutes=5), city="Kursk")
    ).id
    pseudonym = pseudonymizer(keys)(user.id)
    pg_app.confirm_checkpoint(checkpoint, by=pseudonym)
    pg_app.clear_checkpoint(checkpoint, by=pseudonym)
    pg_app.block_reporter(reference, moderator="anna", reason="флуд")

    await h.say("/forget")
    assert "стёрты" in await h.tap("Да, стереть")
    assert pg_app.personal_fields(report.id) == "erased"

    # The read model, the audit chain and an export, all brought up to date after the forget.
    places = await everything_stored(db, pg_app, keys, client, prefix, tmp_path, caplog)
    conn = await connect(db.url, db.schema, "svodka-unlinkable-test")
    try:
        assert await conn.fetchval("SELECT count(*) FROM rm_reports WHERE reporter = $1", reference) == 1
        assert await conn.fetchval("SELECT forgotten AND blocked FROM rm_reporters WHERE pseudonym = $1", reference)
    finally:
        await conn.close()
    forms = derived_forms(keys, user.id, BOT_ID, prefix)
    for form, value in forms.items():
        for place, text in places.items():
            assert value not in text, f"the {form} is still in the {place}"
    # The reference itself remains (the counts need it) but nothing resolves it any more.
    assert reference in places["decrypted events"] and pg_app.reporter_reference(pseudonym) is None
