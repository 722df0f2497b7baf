"""The parts `svodka serve` runs, wired from Settings alone: a due bulletin reaches the channel."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.application import NewReport
from infra.bootstrap import services
from infra.outward_part import outward_parts
from infra.projector_part import projector
from infra.settings import Settings
from tests.bot.fake_telegram import TOKEN
from tests.outbox.conftest import CHANNEL


@pytest.mark.slow
async def test_serve_parts_post_the_due_bulletin_to_the_channel(db, telegram, tmp_path):
    now = datetime.now(ZoneInfo("Europe/Moscow"))
    settings = Settings(
        DATABASE_URL=db.url, SVODKA_DB_SCHEMA=db.schema, SVODKA_SECRET="s" * 40,
        SVODKA_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(), SVODKA_DATA_DIR=str(tmp_path),
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url, SVODKA_BULLETIN_TIMES=f"{now:%H:%M}",
        SVODKA_BULLETIN_CHAT=CHANNEL, SVODKA_BULLETIN_LANGUAGE="en",
    )  # fmt: skip
    with services(settings) as svc:
        svc.app.submit(NewReport(kind="detention", channel="t", client_ref="1", occurred_at=now, city="Москва",
                                 detained=4))  # fmt: skip
        tasks = [asyncio.create_task(part(svc)) for part in [projector, *outward_parts(settings)]]
        try:
            await telegram.wait_for(lambda calls: telegram.to_chat(int(CHANNEL)), timeout=90)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    posts = telegram.to_chat(int(CHANNEL))
    assert len(posts) == 1 and posts[0].params["text"].startswith(f"Bulletin for {now:%H:%M} MSK")
