"""A phone that gives nothing away: phones are searched at detentions.

After Confirm (or Cancel) the bot deletes the reporter's own answers and the panel and leaves one
neutral line; /settings keeps a summary instead, never quoting the description. Driven through the
real aiogram stack against the loopback Bot API, which records each deletion and refuses, as
Telegram does, an edit or delete of a message already gone.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.bot_part import pseudonymizer, wire
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import Fault, FakeUser

NEUTRAL_RU = "✅ Спасибо, отчёт сохранён."
DESCRIPTION = "Автозак у метро Пушкинская, номер А123ВС"


async def typed(h: Harness, text: str) -> int:
    """Send a text; returns the id of the reporter's message."""
    update = h.user.text(text)
    await h.send(update)
    return update["message"]["message_id"]


async def detention_up_to_summary(h: Harness, description: str = DESCRIPTION) -> list[int]:
    """A detention with a typed city, a typed count and a typed description; the ids of what the
    reporter sent, /report included."""
    own = [await typed(h, "/report")]
    await h.tap("Задержание")
    own.append(await typed(h, "Екатеринбург"))
    await h.tap("Сейчас")
    own.append(await typed(h, "17"))  # no button says 17: typed
    own.append(await typed(h, description))
    return own


def panel_id(h: Harness) -> int:
    return h.user.button("Подтвердить")[0]


def said_since(h: Harness, mark: int) -> list[str]:
    """Every text the bot showed or answered this reporter after the mark: messages, edits, alerts."""
    texts = []
    for call in h.tg.calls[mark:]:
        if call.method in ("sendMessage", "editMessageText") and int(call.params["chat_id"]) == h.user.id:
            texts.append(call.params.get("text", ""))
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            texts.append(call.params["text"])
    return texts


async def test_confirm_deletes_the_answers_and_the_panel_and_leaves_one_neutral_line(harness):
    h = harness
    own = await detention_up_to_summary(h)
    panel = panel_id(h)
    mark = len(h.tg.calls)

    await h.tap("Подтвердить")

    [report] = h.reports()
    assert report.city == "Yekaterinburg" and report.detained == 17
    assert h.app.personal_fields(report.id) == {"description": DESCRIPTION}
    assert sorted(h.tg.deleted(h.user.id)) == sorted([*own, panel])
    shown = [t for t in said_since(h, mark) if t != "Отправлено"]  # the tap's own answer
    assert shown == [NEUTRAL_RU]
    for text in said_since(h, mark):
        for secret in ("Екатеринбург", "17", "Автозак", "Пушкинская", "Задержан", "номер"):
            assert secret not in text
    # Nothing of it is left to read: the panel is gone, not edited into anything.
    assert (h.user.id, panel) in h.tg.gone and not any(k[0] == h.user.id and k[1] == panel for k in h.tg.shown)


async def test_a_shared_location_and_a_typed_time_are_deleted_too(harness):
    h = harness
    h.user.language_code = "en"
    own = [await typed(h, "/report")]
    await h.tap("Checkpoint")
    location = h.user.location(51.7304, 36.1926)
    await h.send(location)
    own.append(location["message"]["message_id"])
    await h.tap("Earlier today")
    own.append(await typed(h, "09:30"))
    await h.tap("Skip")
    panel = h.user.button("Confirm")[0]
    mark = len(h.tg.calls)
    assert await h.tap("Confirm") == "✅ Thank you, your report is saved."
    assert sorted(h.tg.deleted(h.user.id)) == sorted([*own, panel])
    assert not [t for t in said_since(h, mark) if "Kursk" in t or "09:30" in t]


async def test_a_mistyped_answer_and_a_sticker_go_with_the_rest(harness):
    h = harness
    own = [await typed(h, "/report")]
    await h.tap("Задержание")
    own.append(await typed(h, "Гдетотам"))  # unknown city: asked again, but it was typed on this phone
    sticker = h.user.sticker()
    await h.send(sticker)
    own.append(sticker["message"]["message_id"])
    own.append(await typed(h, "Москва"))
    await h.tap("Сейчас")
    await h.tap("3")
    await h.tap("Пропустить")
    panel = panel_id(h)
    await h.tap("Подтвердить")
    assert sorted(h.tg.deleted(h.user.id)) == sorted([*own, panel])


async def test_cancel_and_a_replaced_report_leave_nothing_either(harness):
    h = harness
    own = await detention_up_to_summary(h)
    panel = panel_id(h)
    assert "Ничего не отправлено" in await h.tap("Отмена")
    assert sorted(h.tg.deleted(h.user.id)) == sorted([*own, panel])

    first = [await typed(h, "/report")]
    await h.tap("Задержание")
    first.append(await typed(h, "Москва"))
    old_panel = h.user.button("Сейчас")[0]
    gone = len(h.tg.deleted(h.user.id))
    again = await typed(h, "/report")  # starts over: the first draft's messages go
    assert sorted(h.tg.deleted(h.user.id)[gone:]) == sorted([*first, old_panel])

    await h.tap("Задержание")
    city = await typed(h, "Москва")
    gone = len(h.tg.deleted(h.user.id))
    cancel = await typed(h, "/cancel")
    assert sorted(h.tg.deleted(h.user.id)[gone:]) == sorted([again, city, h.user.button("Сейчас")[0], cancel])
    assert h.tg.last_text(h.user.id) == "Отменено. Ничего не отправлено."
    assert h.reports() == []


@pytest.mark.parametrize("command", ["/alerts", "/checkpoints"])
async def test_a_report_closed_by_another_command_leaves_nothing_either(harness, command):
    """/alerts or /checkpoints in the middle of a report end it as Cancel does: the answers and the
    panel go, and one line says it was closed; with /settings keeping summaries, the panel says so."""
    h = harness
    own = await detention_up_to_summary(h)
    panel = panel_id(h)
    mark = len(h.tg.calls)
    await typed(h, command)
    assert sorted(h.tg.deleted(h.user.id)) == sorted([*own, panel])
    closed = [t for t in said_since(h, mark) if "Ничего не отправлено" in t]
    assert len(closed) == 1 and command in closed[0]
    for text in said_since(h, mark):
        assert "Екатеринбург" not in text and "Автозак" not in text
    assert (h.user.id, panel) in h.tg.gone

    await h.say("/settings")
    await h.tap("Оставлять сводку")
    await detention_up_to_summary(h)
    panel = panel_id(h)
    gone = len(h.tg.deleted(h.user.id))
    await typed(h, command)
    assert h.tg.deleted(h.user.id)[gone:] == []
    assert command in h.tg.shown[(h.user.id, panel)][0]  # the panel itself says it was closed


@pytest.mark.parametrize(
    "fault",
    [
        Fault(400, "Bad Request: message can't be deleted for everyone"),
        Fault(400, "Bad Request: message to delete not found"),
        Fault(500, "Internal Server Error"),
    ],
)
async def test_telegram_refusing_the_deletion_does_not_break_the_report(harness, fault):
    h = harness
    await detention_up_to_summary(h)
    panel = panel_id(h)
    h.tg.fail("deleteMessages", fault)
    h.tg.fail("deleteMessage", fault, times=10)

    assert await h.tap("Подтвердить") == NEUTRAL_RU

    assert len(h.reports()) == 1
    # The panel could not go, so it was overwritten: no summary is left on it.
    assert h.tg.shown[(h.user.id, panel)] == (NEUTRAL_RU, None)
    assert not [t for t in said_since(h, 0) if "пошло не так" in t]
    assert "Что произошло?" in await h.say("/report")  # the conversation carries on


async def test_settings_keeps_the_summary_without_the_description_and_toggles_back(harness):
    h = harness
    text = await h.say("/settings")
    assert "удаляет" in text
    assert "Не ваш" not in text
    await h.tap("Оставлять сводку")
    assert h.last_answer()["text"] == "Сохранено"
    assert "остаются в этом чате" in h.tg.last_text(h.user.id)

    await detention_up_to_summary(h)
    mark = len(h.tg.calls)
    kept = await h.tap("Подтвердить")

    assert h.tg.deleted(h.user.id) == []
    assert "номер" in kept and "Екатеринбург" in kept and "Задержано: 17" in kept
    assert "Описание: отправлено, здесь не показано" in kept
    for text in said_since(h, mark):
        assert "Автозак" not in text and "Пушкинская" not in text  # never quoted back after Confirm

    await h.say("/settings")
    await h.tap("Удалять их")
    assert "удаляет" in h.tg.last_text(h.user.id)
    own = await detention_up_to_summary(h)
    panel = panel_id(h)
    assert await h.tap("Подтвердить") == NEUTRAL_RU
    assert sorted(h.tg.deleted(h.user.id)) == sorted([*own, panel])


async def test_settings_in_english(harness):
    h = harness
    h.user.language_code = "en"
    assert "phones are searched" in await h.say("/settings")
    await h.tap("Keep the summary")
    assert "Anyone who looks at your phone" in h.tg.last_text(h.user.id)
    assert "/settings" in await h.say("/help")


@pytest.fixture
def redis_harness(tg, bot, memory_app, keys, read_model, redis) -> tuple[Harness, Any, str]:
    client, prefix = redis
    dp = wire(memory_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
    return Harness(tg, dp, bot, memory_app, FakeUser(tg, 5_550_077)), client, prefix


async def test_with_redis_a_draft_lives_an_hour_at_most_and_forget_drops_the_setting(redis_harness, keys):
    h, client, prefix = redis_harness
    await typed(h, "/report")
    await h.tap("Задержание")
    await typed(h, "Москва")
    await h.tap("Сейчас")
    await typed(h, "17")
    await typed(h, DESCRIPTION)  # the free text is in the draft now
    drafts = [k async for k in client.scan_iter(f"{prefix}:fsm:*")]
    ttls = [await client.ttl(k) for k in drafts]
    assert drafts and all(0 < t <= 3600 for t in ttls), ttls

    await h.say("/settings")
    await h.tap("Оставлять сводку")
    [prefs_key] = [k async for k in client.scan_iter(f"{prefix}:prefs:*")]
    assert (await client.hgetall(prefs_key))[b"summary"] == b"keep"
    pseudonym = pseudonymizer(keys)(h.user.id)
    assert pseudonym.encode() not in prefs_key and str(h.user.id).encode() not in prefs_key

    await h.say("/forget")
    await h.tap("Да, стереть")
    assert not await client.exists(prefs_key)


async def test_without_redis_an_abandoned_draft_is_dropped_after_an_hour(harness):
    h = harness
    storage = h.dp.storage
    now = [1_000.0]
    storage.clock = lambda: now[0]
    await typed(h, "/report")
    await h.tap("Задержание")
    await typed(h, "Москва")
    await h.tap("Сейчас")
    await typed(h, "17")
    await typed(h, DESCRIPTION)
    assert any(record.data.get("description") == DESCRIPTION for record in storage.storage.values())

    now[0] += 3599
    assert "Подтвердить" in str(h.tg.to_chat(h.user.id)[-1].params.get("reply_markup"))
    await h.say("/help")  # any update: the draft, touched 3599 s ago, is still there
    assert any(record.data.get("description") == DESCRIPTION for record in storage.storage.values())
    now[0] += 2
    await h.say("/help")
    assert not any(record.data for record in storage.storage.values())
    await h.tap("Подтвердить")
    assert h.reports() == [] and "старого сообщения" in h.last_answer()["text"]
