"""What real phones do: double taps, taps on old messages, the same mistake twice, a command
where an answer is expected. The loopback Bot API refuses an edit that changes nothing, as
Telegram does, and sends a tap on an old message with an inaccessible message (date 0)."""

from __future__ import annotations

from typing import Any


def answers_to(h, update: dict[str, Any]) -> list[dict[str, Any]]:
    query_id = update["callback_query"]["id"]
    return [c.params for c in h.tg.answers() if c.params["callback_query_id"] == query_id]


def apologies(h) -> list[str]:
    return [c.params["text"] for c in h.tg.to_chat(h.user.id, "sendMessage") if "пошло не так" in c.params["text"]]


async def test_double_taps_on_lang_and_forget_are_answered_once_and_never_apologise(harness):
    h = harness
    await h.say("/lang")
    first, second = h.user.press("English"), h.user.press("English")
    await h.send(first)
    await h.send(second)  # Telegram refuses the second, unchanged edit
    assert "Language set" in h.tg.last_text(h.user.id)
    await h.say("/forget")
    no, again = h.user.press("No, keep it"), h.user.press("No, keep it")
    await h.send(no)
    await h.send(again)
    assert "Nothing was erased" in h.tg.last_text(h.user.id)
    for tap in (first, second, no, again):
        assert len(answers_to(h, tap)) == 1
    assert not [c for c in h.tg.to_chat(h.user.id, "sendMessage") if "Something went wrong" in c.params["text"]]


async def test_taps_on_inaccessible_messages_are_answered_in_a_new_message(harness):
    h = harness
    await h.say("/lang")
    old = h.user.press("English", inaccessible=True)
    await h.send(old)
    assert h.tg.last_text(h.user.id).startswith("Language set")
    await h.say("/forget")
    old_no = h.user.press("No, keep it", inaccessible=True)
    await h.send(old_no)
    assert h.tg.last_text(h.user.id) == "Nothing was erased."
    for tap in (old, old_no):
        assert len(answers_to(h, tap)) == 1
    assert not [c for c in h.tg.to_chat(h.user.id, "sendMessage") if "Something went wrong" in c.params["text"]]


async def test_the_same_mistake_twice_shows_a_changed_warning(harness):
    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    shown = [await h.send_and_text(h.user.sticker()) for _ in range(2)]
    assert shown[0] != shown[1] and all("напишите город" in t for t in shown)
    await h.say("Москва")
    await h.tap("Сегодня, раньше")
    shown = [await h.say("25:99") for _ in range(3)]
    assert len(set(shown)) == 3 and all("ЧЧ:ММ" in t for t in shown)
    await h.say("10:00")
    shown = [await h.say("abc") for _ in range(2)]
    assert shown[0] != shown[1] and all("цифрами" in t for t in shown)
    summary = await h.say("4")
    assert "⚠️" not in await h.tap("Пропустить") and "Задержано: 4" in h.tg.last_text(h.user.id)
    assert summary and not apologies(h)


async def test_an_unknown_command_is_never_an_answer(harness):
    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    panel = h.tg.last_text(h.user.id)
    assert "/help" in await h.say("/foobar")
    assert "Когда" in await h.say("Москва")  # the place question was still open
    await h.tap("Сейчас")
    await h.tap("3")
    await h.say("/foobar@svodka_test_bot")
    summary = await h.say("у метро")
    assert "Описание: у метро" in summary and "foobar" not in summary
    assert "Где" in panel or "Где" in summary


async def test_checkpoints_in_the_middle_of_a_report_ends_the_report_visibly(harness):
    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    panel, _ = h.user.button("Отмена")
    mark = len(h.tg.calls)
    await h.say("/checkpoints")
    assert panel in h.tg.deleted(h.user.id)  # its panel goes, as Cancel's does (tests/bot/test_phone.py)
    [closed] = [c for c in h.tg.calls[mark:] if c.method == "sendMessage" and "не отправлено" in c.params["text"]]
    assert not closed.params.get("reply_markup")
    assert "геопозицию" in h.tg.last_text(h.user.id)


async def test_a_double_tapped_confirm_answers_with_the_same_receipt(harness):
    h = harness
    for keep in (False, True):
        if keep:
            await h.say("/settings")
            await h.tap("Оставлять сводку")
        await h.detention_summary(description=None)
        confirm, again = h.user.press("Подтвердить"), h.user.press("Подтвердить")
        await h.send(confirm)
        receipt = h.tg.last_text(h.user.id)
        await h.send(again)
        [answer] = answers_to(h, again)
        assert "старого" not in answer["text"]
        if keep:  # the reference, as the kept summary shows it
            assert receipt.split("номер ")[1][:8] in answer["text"]
        else:  # the neutral line, and nothing more
            assert answer["text"] == receipt == "✅ Спасибо, отчёт сохранён."
    assert len(h.reports()) == 2
