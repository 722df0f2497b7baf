"""In a group chat the bot points to a private chat, answers nothing else, and keeps nothing."""

from __future__ import annotations

from infra.bot_part import wire
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import FakeUser

GROUP = -100_555_0001


async def test_a_group_gets_one_line_per_command_and_nothing_is_stored(tg, bot, memory_app, keys, read_model, redis):
    client, prefix = redis
    dp = wire(memory_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
    user = FakeUser(tg, 5_550_030, group=GROUP)
    h = Harness(tg, dp, bot, memory_app, user)
    await h.say("/report")
    [line] = tg.to_chat(GROUP)
    assert "личном чате" in line.params["text"] and "https://t.me/svodka_test_bot?start" in line.params["text"]
    assert not line.params.get("reply_markup")  # no panel for everyone to see
    for chatter in ("Москва", "3", "привет всем"):
        await h.say(chatter)
    await h.send(user.sticker())
    await h.send(user.press(data="r:deadbeef:kind:detention", message_id=1))
    assert len(tg.to_chat(GROUP)) == 1  # chatter gets no hints
    assert len(tg.answers()) == 1  # a tap's spinner still stops
    await h.say("/help")
    assert len(tg.to_chat(GROUP)) == 2
    assert [k async for k in client.scan_iter(f"{prefix}:*")] == []
    assert h.reports() == []
