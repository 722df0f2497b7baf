"""The webhook: the secret header is checked, and Telegram gets its 200 only after the update is handled."""

from __future__ import annotations

from aiohttp import ClientSession, web

from infra.bot_part import webhook_app
from tests.bot.fake_telegram import FakeUser

SECRET = "webhook-secret-for-tests-0123456789"


async def test_webhook_checks_the_secret_and_answers_after_handling(tg, bot, harness):
    app = webhook_app(harness.dp, bot, "/telegram/hook", SECRET)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/telegram/hook"  # type: ignore[union-attr]
    user = FakeUser(tg, 5_550_010)
    try:
        async with ClientSession() as http:
            for header in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=tg.stamp(user.text("/start")), headers=header) as response:
                    assert response.status == 401
            assert tg.to_chat(user.id) == []
            update = tg.stamp(user.text("/start"))
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 200
                # The reply was already sent when Telegram got its 200.
                assert "Здравствуйте" in tg.last_text(user.id)
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 200  # a retry of the same update is acknowledged, not redone
            assert len(tg.to_chat(user.id)) == 1
    finally:
        await runner.cleanup()
