"""The guided report, branch by branch, through dp.feed_update and the loopback Bot API."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.model import Kind
from infra.bot_part import pseudonymizer
from tests.bot.conftest import CLOCK
from tests.bot.fake_telegram import FakeUser


async def test_detention_in_russian_is_stored_once_confirmed(harness, keys):
    h = harness
    summary = await h.detention_summary()
    assert "Что: Задержание" in summary and "Где: Москва" in summary and "Задержано: 3" in summary
    assert "сегодня, 15:00" in summary  # the place's local time
    assert h.reports() == []  # only the confirmation submits

    done = await h.tap("Подтвердить")

    assert "сохранён" in done
    [report] = h.reports()
    assert report.kind is Kind.DETENTION and report.city == "Moscow" and report.detained == 3
    assert report.occurred_at == CLOCK
    assert report.reporter == h.app.reporter_reference(pseudonymizer(keys)(h.user.id))  # not the pseudonym
    assert h.app.personal_fields(report.id) == {"description": "Автозак у метро"}
    # One message, edited in place through every step; deleted after Confirm, and a line in its place.
    assert len(h.tg.to_chat(h.user.id, "sendMessage")) == 2


async def test_checkpoint_in_english_from_a_shared_location_at_an_earlier_time(harness):
    h = harness
    h.user.language_code = "en"
    assert "What happened?" in await h.say("/report")
    await h.tap("Checkpoint")
    assert "When did it happen?" in await h.send_and_text(h.user.location(51.7304, 36.1926))
    assert "HH:MM" in await h.tap("Earlier today")
    assert "Anything to add?" in await h.say("09:30")  # a checkpoint has no count step
    summary = await h.tap("Skip")
    assert "near Kursk" in summary and "today, 09:30" in summary and "Detained" not in summary
    await h.tap("Confirm")
    [report] = h.reports()
    assert report.kind is Kind.CHECKPOINT and report.city == "Kursk" and report.detained is None
    assert report.occurred_at == datetime(2026, 11, 24, 6, 30, tzinfo=timezone.utc)
    assert h.app.personal_fields(report.id) == {"lat": 51.7304, "lon": 36.1926}


async def test_yesterday_and_the_back_button(harness):
    h = harness
    await h.say("/report")
    await h.tap("Блокпост")
    await h.say("Екатеринбург")
    await h.tap("Вчера")
    assert "Когда это произошло" in await h.tap("Назад")
    await h.tap("Вчера")
    summary = await h.say("23.15") or ""
    summary = await h.tap("Пропустить")
    assert "вчера, 23:15" in summary
    await h.tap("Подтвердить")
    [report] = h.reports()
    assert report.occurred_at == datetime(2026, 11, 23, 18, 15, tzinfo=timezone.utc)  # Yekaterinburg is UTC+5


async def test_misspelt_city_offers_suggestions(harness):
    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    text = await h.say("Масква")
    assert "Не знаю город «Масква»" in text
    assert "Когда" in await h.tap("Москва")


async def test_last_city_is_offered_next_time(harness):
    h = harness
    await h.detention_summary(city="Новосибирск", description=None)
    await h.tap("Подтвердить")
    await h.say("/report")
    await h.tap("Задержание")
    assert "Когда" in await h.tap("Снова Новосибирск")


async def test_bad_inputs_get_a_polite_reprompt(harness):
    h = harness
    await h.say("/report")
    assert "кнопками" in await h.say("привет")  # text where a button is expected
    await h.tap("Задержание")
    for update in (h.user.sticker(), h.user.photo(), h.user.voice()):
        assert "напишите город" in await h.send_and_text(update)
    assert "Проверьте написание" in await h.say("Qwzxv")
    assert "вне зоны" in await h.send_and_text(h.user.location(0.0, 0.0))
    await h.say("Москва")
    await h.tap("Сегодня, раньше")
    assert "ЧЧ:ММ" in await h.say("25:99")
    assert "ещё не наступило" in await h.say("23:00")  # 23:00 Moscow is still to come at 15:00
    assert "ЧЧ:ММ" in await h.send_and_text(h.user.sticker())
    await h.say("10:00")
    for bad in ("0", "-3", "много", "many", "2.5", "100000"):
        text = await h.say(bad)
        assert "Число должно быть" in text or "цифрами" in text, bad
    assert "цифрами" in await h.send_and_text(h.user.voice())
    await h.say("7")
    assert "символов" in await h.say("я" * 501)
    assert "текстом" in await h.send_and_text(h.user.photo())
    summary = await h.say("коротко")
    assert "Задержано: 7" in summary and "Описание: коротко" in summary
    assert h.reports() == []
    # Every reprompt edited the same panel: no new messages.
    assert len(h.tg.to_chat(h.user.id, "sendMessage")) == 1


async def test_edit_from_the_summary_asks_only_that_question(harness):
    h = harness
    await h.detention_summary()
    assert "Сколько человек" in await h.tap("Число")
    summary = await h.tap("5")
    assert "Задержано: 5" in summary and "Где: Москва" in summary
    await h.tap("Что")
    summary = await h.tap("Блокпост")
    assert "Что: Блокпост" in summary and "Задержано" not in summary
    await h.tap("Где")
    assert "Где: Казань" in await h.say("Kazan")
    await h.tap("Подтвердить")
    [report] = h.reports()
    assert report.kind is Kind.CHECKPOINT and report.city == "Kazan"


async def test_stale_buttons_and_double_taps_never_submit_twice(harness):
    h = harness
    await h.say("/report")
    old = h.user.press("Задержание")
    await h.say("/report")  # a new draft: the first panel's buttons are now stale
    await h.send(old)
    assert "старого сообщения" in h.last_answer()["text"]
    await h.tap("Задержание")
    await h.say("Москва")
    await h.tap("Сейчас")
    await h.tap("2")
    await h.tap("Пропустить")
    confirm = h.user.press("Подтвердить")
    again = h.user.press("Подтвердить")
    await h.send(confirm)
    await h.send(again)
    assert len(h.reports()) == 1
    assert "сохранён" in h.last_answer()["text"]  # the receipt again


async def test_a_redelivered_update_is_handled_once(harness):
    h = harness
    await h.detention_summary(description=None)
    confirm = h.user.press("Подтвердить")
    await h.send(confirm)
    calls = len(h.tg.calls)
    await h.send(confirm)  # the same update_id again, as after a webhook retry
    assert len(h.tg.calls) == calls
    assert len(h.reports()) == 1


async def test_cancel_by_button_and_by_command(harness):
    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    assert "Отчёт отменён" in await h.tap("Отмена")
    await h.say("/report")
    assert "Отменено" in await h.say("/cancel")
    assert "Нечего отменять" in await h.say("/cancel")
    assert h.reports() == []


async def test_commands_work_in_the_middle_of_a_report(harness):
    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    assert "/checkpoints" in await h.say("/help")
    assert "Когда" in await h.say("Москва")  # the report carries on


async def test_a_refused_time_sends_the_reporter_back_to_that_question(harness, keys):
    from infra.bot_part import wire

    h = harness
    # A clock ahead of the real one: the domain refuses a time in the future.
    h.dp = wire(h.app, keys, None, None, clock=lambda: datetime.now(timezone.utc) + timedelta(hours=2)).dispatcher
    await h.detention_summary(description=None)
    text = await h.tap("Подтвердить")
    assert "Это время не подходит" in text and "Когда это произошло" in text
    assert h.reports() == []


async def test_language_follows_telegram_then_lang(harness):
    h = harness
    h.user = FakeUser(h.tg, 5_550_002, language_code="en")
    assert "Hello" in await h.say("/start")
    await h.say("/lang")
    assert "Язык: русский" in await h.tap("Русский")
    assert "Здравствуйте" in await h.say("/start")
    await h.say("/lang")
    await h.tap("English")
    assert "What svodka keeps" in await h.say("/privacy")
    assert "хранит" not in await h.say("/privacy")


async def test_privacy_help_and_a_stray_message(harness):
    h = harness
    assert "«Сводка» хранит" in await h.say("/privacy")
    assert "/report" in await h.say("/help")
    assert "Отправьте /report" in await h.say("просто текст")
    await h.send(h.user.press(data="r:deadbeef:kind:detention", message_id=1))
    assert "старого сообщения" in h.last_answer()["text"]


async def test_an_answer_survives_telegram_failing_to_show_the_next_question(harness):
    from tests.bot.fake_telegram import Fault

    h = harness
    await h.say("/report")
    await h.tap("Задержание")
    h.tg.fail("editMessageText", Fault(500, "Internal Server Error"))
    assert "пошло не так" in await h.say("Москва")  # an apology, not silence
    text = await h.say("Москва")  # the reporter tries again
    assert "Когда это произошло" in text  # the city was kept; the bot asks the next question
    await h.tap("Сейчас")
    await h.tap("2")
    summary = await h.tap("Пропустить")
    assert "Где: Москва" in summary


async def test_edit_time_and_description_from_the_summary(harness):
    h = harness
    await h.detention_summary(description=None)
    await h.tap("Когда")
    summary = await h.tap("3 часа назад")
    assert "сегодня, 12:00" in summary  # 15:00 in Moscow, three hours back
    await h.tap("Описание")
    summary = await h.say("двое у входа")
    assert "Описание: двое у входа" in summary and "сегодня, 12:00" in summary
    await h.tap("Подтвердить")
    [report] = h.reports()
    assert report.occurred_at == CLOCK - timedelta(hours=3)


def test_rendered_buttons_carry_what_report_step_packs():
    """views.py writes the payload itself rather than building a model per button."""
    from bot.callbacks import ReportStep
    from bot.views import _button

    for act, val in (("kind", "detention"), ("cancel", ""), ("city", "Nizhny Novgorod")):
        assert _button("label", "0a1b2c3d", act, val)[1] == ReportStep(tag="0a1b2c3d", act=act, val=val).pack()
