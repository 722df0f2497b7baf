import gc

from aiogram.methods import AnswerCallbackQuery, Response

from bot.middlewares import KeepResponseTypes
from infra.bot_part import make_bot
from tests.bot.fake_telegram import TOKEN


async def test_start(harness):
    text = await harness.say("/start")
    assert "Сводка" in text


async def test_the_session_keeps_the_response_classes_it_parses_with():
    """pydantic holds `Response[T]` only weakly; dropped by a collection, the next call built it again."""
    telegram = make_bot(TOKEN, "http://127.0.0.1:9")
    [keep] = [m for m in telegram.session.middleware[:] if isinstance(m, KeepResponseTypes)]

    async def sent(bot, method):
        return None

    await keep(sent, telegram, AnswerCallbackQuery(callback_query_id="1"))
    kept = keep.kept[bool]
    gc.collect()
    assert Response[bool] is kept
    await telegram.session.close()
