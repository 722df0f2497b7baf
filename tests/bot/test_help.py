"""Where to get help: the operator's text (SVODKA_HELP_TEXT_RU/_EN) under /help and right after a
detention report; svodka itself names no organisation, so by default nothing is added."""

from __future__ import annotations

import pytest

from infra.bot_part import wire
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import FakeUser

HELP = {"ru": "Горячая линия: +7 000 000-00-00\nНе подписывайте ничего без адвоката.", "en": "Hotline: +7 000 000-00-00"}


@pytest.fixture
def talk(tg, bot, memory_app, keys, read_model):
    def reporter(help_texts: dict[str, str] | None, language: str = "ru", user: int = 5_550_300) -> Harness:
        dp = wire(memory_app, keys, read_model, None, clock=lambda: CLOCK, help_texts=help_texts).dispatcher
        return Harness(tg, dp, bot, memory_app, FakeUser(tg, user, language_code=language))

    return reporter


async def test_help_shows_the_operators_text_in_the_reporters_language(talk):
    ru = await talk(HELP).say("/help")
    assert ru.startswith("/report") and ru.endswith(HELP["ru"])
    en = await talk(HELP, "en", 5_550_301).say("/help")
    assert en.endswith(HELP["en"]) and HELP["ru"] not in en
    # Written in one language only: the other language's reporters get that rather than nothing.
    assert (await talk({"ru": "", "en": "Hotline"}, "ru", 5_550_302).say("/help")).endswith("Hotline")


async def test_by_default_svodka_names_no_one(talk):
    h = talk(None)
    text = await h.say("/help")
    assert text.endswith("/cancel — прервать текущее действие")
    await h.detention_summary()
    assert await h.tap("Подтвердить") == "✅ Спасибо, отчёт сохранён."


async def test_a_confirmed_detention_is_followed_by_where_to_get_help(talk):
    h = talk(HELP)
    await h.detention_summary()
    assert await h.tap("Подтвердить") == f"✅ Спасибо, отчёт сохранён.\n\n{HELP['ru']}"
    # With the summary kept, it follows that too.
    await h.say("/settings")
    await h.tap("Оставлять сводку")
    await h.detention_summary()
    kept = await h.tap("Подтвердить")
    assert "номер" in kept and kept.endswith(HELP["ru"])


async def test_a_checkpoint_report_gets_no_help_text(talk):
    h = talk(HELP, "en", 5_550_303)
    await h.say("/report")
    await h.tap("Checkpoint")
    await h.say("Kursk")
    await h.tap("Now")
    await h.tap("Skip")
    assert await h.tap("Confirm") == "✅ Thank you, your report is saved."
