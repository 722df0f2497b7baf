"""Under Telegram's flood limits: calls queue instead of racing, 429s are waited out until a
deadline, a tap is answered at once, and one chat's wait never holds another's."""

from __future__ import annotations

import asyncio

import pytest

from bot.outgoing import FloodControl
from infra.bot_part import make_bot, poll, wire
from tests.bot.conftest import CLOCK, Harness
from tests.bot.crowd import Crowd
from tests.bot.fake_telegram import TOKEN, Fault, FakeTelegram, FakeUser, FloodLimits


def slow_down(seconds: int) -> Fault:
    return Fault(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def position(tg, method: str, **params) -> int:
    for n, call in enumerate(tg.calls):
        if call.method == method and all(str(call.params.get(k)) == str(v) for k, v in params.items()):
            return n
    raise AssertionError(f"no {method} {params}")


async def test_a_tap_is_answered_before_its_edit_waits_out_a_429(harness):
    h = harness
    await h.say("/report")
    tap = h.user.press("Задержание")
    h.tg.fail("editMessageText", slow_down(2))
    await h.send(tap)
    assert position(h.tg, "answerCallbackQuery", callback_query_id=tap["callback_query"]["id"]) < position(
        h.tg, "editMessageText", chat_id=h.user.id
    )
    assert "Где это произошло" in h.tg.last_text(h.user.id)  # delivered after the wait


async def test_one_chats_wait_never_holds_another(tg, bot, memory_app, keys, read_model):
    dp = wire(memory_app, keys, read_model, None, clock=lambda: CLOCK).dispatcher
    slow, quick = FakeUser(tg, 5_550_041), FakeUser(tg, 5_550_042)
    tg.fail("sendMessage", slow_down(3))  # the first send, the slow reporter's, is refused
    first = asyncio.create_task(dp.feed_raw_update(bot, tg.stamp(slow.text("/report"))))
    await tg.wait_for(lambda calls: True)  # let the first call be refused
    while tg.faults["sendMessage"]:
        await asyncio.sleep(0.05)
    await dp.feed_raw_update(bot, tg.stamp(quick.text("/report")))
    await first
    assert position(tg, "sendMessage", chat_id=quick.id) < position(tg, "sendMessage", chat_id=slow.id)


async def test_an_answer_retyped_while_telegram_makes_the_bot_wait_is_not_misfiled(harness):
    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    await h.say("Москва")
    await h.tap("Сейчас")
    h.tg.fail("editMessageText", slow_down(1), times=3)
    typed, retyped = h.user.text("5"), h.user.text("5")  # the reporter sees no change, types again
    await asyncio.gather(h.send(typed), h.send(retyped))
    text = h.tg.last_text(h.user.id)
    assert "не учтено" in text and "Хотите что-то добавить" in text  # asked again, not filed as a description
    summary = await h.tap("Пропустить")
    assert "Задержано: 5" in summary and "Описание: —" in summary


@pytest.mark.slow
async def test_under_telegrams_limits_every_report_completes(memory_app, keys, read_model):
    tg = FakeTelegram(limits=FloodLimits())
    await tg.start()
    telegram = make_bot(TOKEN, tg.url, FloodControl())  # the production defaults
    dp = wire(memory_app, keys, read_model, None, clock=lambda: CLOCK).dispatcher
    polling = asyncio.create_task(poll(dp, telegram, timeout=1))
    try:
        crowd = Crowd(tg)
        users = [FakeUser(tg, 9_200_000 + n) for n in range(40)]
        await asyncio.gather(*(crowd.walk(u) for u in users))
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await telegram.session.close()
        await tg.stop()
    assert len(Harness(tg, None, None, memory_app, users[0]).reports()) == len(users)
    assert all("сохранён" in tg.last_text(u.id) for u in users)
    assert not [c for c in tg.calls if "пошло не так" in str(c.params.get("text", ""))]
    assert set(crowd.answers_per_tap().values()) == {1}
    assert len(tg.refused) < len(users)  # the bot queues against the limits rather than racing them
