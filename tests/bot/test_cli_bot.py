"""`svodka bot` as a user runs it: settings from the environment, the Bot API at TELEGRAM_API_URL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from typer.testing import CliRunner

from infra.cli import cli
from tests.bot.fake_telegram import TOKEN, FakeUser
from tests.hang import HANG

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_bot_without_a_token_says_what_to_set(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["bot"])
    assert result.exit_code == 2 and "TELEGRAM_BOT_TOKEN" in result.output


def test_a_webhook_without_a_secret_is_refused(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://svodka.example/telegram")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    result = CliRunner().invoke(cli, ["bot"])
    assert result.exit_code == 2 and "WEBHOOK_SECRET" in result.output


async def test_an_unreachable_bot_api_is_retried_without_printing_the_token(db, tmp_path):
    env = _env(db, tmp_path, "http://127.0.0.1:9")  # the discard port: nothing listens
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infra", "bot", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    lines: list[str] = []
    try:
        async with asyncio.timeout(HANG):
            while not any("unreachable" in line for line in lines):
                lines.append((await proc.stdout.readline()).decode())  # type: ignore[union-attr]
                assert proc.returncode is None, "".join(lines)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(proc.communicate(), HANG)
    text = "".join(lines) + rest.decode()
    assert TOKEN.split(":")[1] not in text and "Traceback" not in text


def _env(db, tmp_path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SVODKA_", "TELEGRAM_", "WEBHOOK_", "REDIS_"))}
    env.update(
        DATABASE_URL=db.url,
        SVODKA_DB_SCHEMA=db.schema,
        SVODKA_DATA_DIR=str(tmp_path),
        SVODKA_LOG_FORMAT="json",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
    )
    return env


async def test_svodka_bot_answers_through_the_configured_api_and_never_logs_the_token(tg, db, tmp_path):
    env = _env(db, tmp_path, tg.url)
    env["SVODKA_HELP_TEXT_RU"] = r"Горячая линия: 8-800\nАдвокат рядом"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infra", "bot", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        user = FakeUser(tg, 5_550_020)
        await tg.push(user.text("/start"))
        await tg.wait_for(lambda calls: any(c.method == "sendMessage" for c in calls), timeout=HANG)
        assert "Здравствуйте" in tg.last_text(user.id)
        await tg.push(user.text("/help"))
        await tg.wait_for(lambda calls: len([c for c in calls if c.method == "sendMessage"]) == 2, timeout=HANG)
        assert tg.last_text(user.id).endswith("Горячая линия: 8-800\nАдвокат рядом")  # from the environment
        assert any(c.method == "deleteWebhook" for c in tg.calls)  # polling, since no WEBHOOK_URL
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(proc.communicate(), HANG)
    text = output.decode()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert str(user.id) not in text
    assert "Traceback" not in text
