"""/checkpoints, /forget, the throttle and Telegram's 429, through the loopback Bot API."""

from __future__ import annotations

from datetime import timedelta

from bot.alerts import MemoryAlertSubscriptions
from bot.prefs import MemoryPreferences
from domain.application import NewReport
from domain.places import Gazetteer
from infra.bot_part import pseudonymizer, wire
from projections.queries import ActiveCheckpoint
from tests.bot.conftest import CLOCK
from tests.bot.fake_telegram import Fault


def _checkpoint(app, ref: str) -> ActiveCheckpoint:
    submission = app.submit(
        NewReport(kind="checkpoint", channel="telegram", client_ref=ref, occurred_at=CLOCK, reporter="x" * 64, city="Курск")
    )
    return ActiveCheckpoint(
        id=submission.id, region="RU-KRS", city="Kursk", lat=51.73, lon=36.19, reported_at=CLOCK,
        last_confirmed_at=CLOCK, expires_at=CLOCK + timedelta(hours=3), confirmations=0, status="unverified",
    )


async def test_checkpoints_near_a_city_can_be_confirmed_and_cleared(harness, read_model, keys):
    h = harness
    read_model.checkpoints = [_checkpoint(h.app, "a"), _checkpoint(h.app, "b")]
    assert "геопозицию" in await h.say("/checkpoints")
    listing = await h.say("Курск")
    assert "1. Курск: подтверждён в 15:00" in listing and "до 18:00" in listing
    [(lat, lon)] = read_model.asked
    assert abs(lat - 51.73) < 0.05 and abs(lon - 36.19) < 0.05  # the city's centre
    await h.send(h.user.press("1 ещё там"))
    assert h.last_answer()["text"] == "Спасибо, учтено."
    await h.send(h.user.press("2 уже нет"))
    first, second = (h.app.report(cp.id) for cp in read_model.checkpoints)
    me = pseudonymizer(keys)(h.user.id)
    assert first.version == 2 and not first.cleared  # created, then confirmed
    # One "gone" from someone other than its reporter is a vote, not an end (two distinct others are).
    assert second.gone == {h.app.reporter_reference(me)} and not second.cleared
    await h.send(h.user.press("2 уже нет"))  # a double tap: counted once, and told so
    assert "уже отметили" in h.last_answer()["text"] and h.app.report(second.id).version == 2
    h.app.clear_checkpoint_as_moderator(first.id, moderator="anna")
    await h.send(h.user.press("1 уже нет"))  # already gone: a polite answer, no exception
    assert "уже нельзя" in h.last_answer()["text"]
    assert me not in str(h.tg.calls)


async def test_a_repeated_vote_is_not_thanked_for_but_told_it_counts_once(harness, read_model):
    h = harness
    read_model.checkpoints = [_checkpoint(h.app, "a")]
    for lang, still, gone, thanks, again_still, again_gone in (
        ("ru", "1 ещё там", "1 уже нет", "Спасибо, учтено.",
         "Вы уже отметили, что блокпост ещё там; ваш голос учитывается один раз.",
         "Вы уже отметили, что блокпоста больше нет; ваш голос учитывается один раз."),
        ("en", "1 still there", "1 gone", "Thank you, noted.",
         "You already said this checkpoint is still there; your vote counts once.",
         "You already said this checkpoint is gone; your vote counts once."),
    ):  # fmt: skip
        h.user.language_code = lang
        await h.say("/checkpoints")
        await h.say("Курск")
        await h.send(h.user.press(still))
        # Russian votes first; the same person in English has already voted both ways.
        assert h.last_answer()["text"] == (thanks if lang == "ru" else again_still)
        await h.send(h.user.press(still))
        assert h.last_answer()["text"] == again_still
        await h.send(h.user.press(gone))
        assert h.last_answer()["text"] == (thanks if lang == "ru" else again_gone)
        await h.send(h.user.press(gone))
        assert h.last_answer()["text"] == again_gone
    report = h.app.report(read_model.checkpoints[0].id)
    assert report.version == 3 and len(report.still_there) == 1 and len(report.gone) == 1 and not report.cleared


async def test_checkpoints_bad_inputs_and_an_unavailable_read_model(harness, read_model):
    h = harness
    await h.say("/checkpoints")
    assert "Не знаю такой город" in await h.say("Zzzz")
    assert "вне зоны" in await h.send_and_text(h.user.location(-33.9, 18.4))
    assert "напишите город" in await h.send_and_text(h.user.sticker())
    assert "нет действующих" in await h.send_and_text(h.user.location(55.75, 37.62))
    read_model.broken = True
    await h.say("/checkpoints")
    assert "не удаётся показать" in await h.say("Москва")


async def test_forget_asks_first_then_shreds(harness):
    h = harness
    await h.detention_summary(count="2", description="в автозаке у метро")
    await h.tap("Подтвердить")
    [report] = h.reports()
    asked = await h.say("/forget")
    # Its reports, not its chat messages ("сообщения" in Telegram), are what stop being tied to it.
    assert "Стереть?" in asked and "ваши отчёты с вами" in asked and "сообщени" not in asked
    assert "Ничего не стёрто" in await h.tap("Нет, оставить")
    assert h.app.personal_fields(report.id) == {"description": "в автозаке у метро"}
    await h.say("/forget")
    assert "стёрты" in await h.tap("Да, стереть")
    assert h.app.personal_fields(report.id) == "erased"
    assert h.app.report(report.id).detained == 2  # the anonymous fact still counts
    await h.say("/report")
    await h.tap("Задержание")
    assert "Снова" not in h.tg.last_text(h.user.id)  # the remembered city went too
    assert not any("Снова" in b["text"] for row in h.tg.to_chat(h.user.id)[-1].params["reply_markup"]["inline_keyboard"] for b in row)


async def test_a_flood_gets_one_warning_then_silence(tg, bot, memory_app, keys, read_model):
    from tests.bot.conftest import Harness
    from tests.bot.fake_telegram import FakeUser

    dp = wire(memory_app, keys, read_model, None, throttle_limit=3, clock=lambda: CLOCK).dispatcher
    h = Harness(tg, dp, bot, memory_app, FakeUser(tg, 5_550_003))
    for _ in range(3):
        await h.say("/help")
    assert "слишком часто" in await h.say("/help")
    sent = len(tg.calls)
    for _ in range(5):
        await h.say("/help")
    assert len(tg.calls) == sent
    await h.send(h.user.press(data="r:x:kind:detention", message_id=1))
    assert h.last_answer().get("text") is None  # the spinner stops, nothing is said


async def test_telegram_429_is_waited_out_and_retried(harness):
    h = harness
    h.tg.fail("sendMessage", Fault(429, "Too Many Requests: retry after 1", {"retry_after": 1}))
    assert "Здравствуйте" in await h.say("/start")
    assert len(h.tg.to_chat(h.user.id, "sendMessage")) == 1


async def test_a_bug_gets_an_apology_in_the_language_chosen_with_lang(harness, monkeypatch):
    h = harness  # Telegram says Russian
    await h.say("/lang")
    assert "English" in await h.tap("English")

    def bug(*args, **kwargs):
        raise RuntimeError("a bug, not bad input")

    monkeypatch.setattr(Gazetteer, "city", bug)
    await h.say("/report")
    await h.tap("Detention")
    assert await h.say("Moscow") == (
        "Something went wrong on our side. Please try again; your answers so far are kept.")
    assert "Traceback" not in str(h.tg.calls)


async def test_unreadable_preferences_still_get_an_apology_in_telegrams_language(harness, monkeypatch):
    h = harness
    await h.say("/lang")
    await h.tap("English")

    async def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(MemoryPreferences, "get", down)
    monkeypatch.setattr(Gazetteer, "city", lambda *a, **k: 1 / 0)
    await h.say("/report")
    await h.tap("Задержание")
    assert await h.say("Москва") == "У нас что-то пошло не так. Попробуйте ещё раз — ваши ответы сохранены."


async def test_a_second_forget_finishes_the_whole_job(harness):
    h = harness
    await h.say("/forget")
    assert "стёрты" in await h.tap("Да, стереть")
    await h.say("/lang")
    await h.tap("English")  # a preference kept again after the first erasure
    await h.say("/forget")
    assert "erased" in await h.tap("Yes, erase")  # not "could not erase", and the job is finished:
    assert "Здравствуйте" in await h.say("/start")  # the language preference went too


async def test_an_apology_outside_a_report_promises_no_kept_answers(harness, monkeypatch):
    h = harness

    async def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(MemoryPreferences, "update", down)
    await h.say("/lang")
    assert await h.tap("English") == "У нас что-то пошло не так. Попробуйте ещё раз."
    [answer] = h.tg.answers()
    assert answer.params["callback_query_id"]  # the tap was answered all the same


async def test_lang_changes_the_alerts_language_too_or_nothing_when_a_store_is_down(harness, monkeypatch):
    h = harness  # Telegram says Russian; the harness keeps alert subscriptions in memory
    await h.say("/alerts")
    await h.say("Курск")
    await h.tap("🔔 Курск")
    kept = h.dp["alerts"].kept
    [(chat, lang)] = next(iter(kept.values())).values()
    assert lang == "ru"

    async def down(*args, **kwargs):
        raise ConnectionError("a store is down")

    monkeypatch.setattr(MemoryPreferences, "update", down)  # Redis: the preference is not written...
    await h.say("/lang")
    assert await h.tap("English") == "У нас что-то пошло не так. Попробуйте ещё раз."
    assert list(next(iter(kept.values())).values()) == [(chat, "ru")]  # ...nor the alerts' language
    monkeypatch.undo()

    monkeypatch.setattr(MemoryAlertSubscriptions, "relanguage", down)  # the alerts' database
    await h.say("/lang")
    assert await h.tap("English") == "У нас что-то пошло не так. Попробуйте ещё раз."
    assert "Здравствуйте" in await h.say("/start")  # the bot's language was put back: they agree
    monkeypatch.undo()

    await h.say("/lang")
    assert "Language set: English" in await h.tap("English")
    assert list(next(iter(kept.values())).values()) == [(chat, "en")]
    assert "Hello" in await h.say("/start")
