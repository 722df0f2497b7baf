"""The webhook answers a body that is not an update with 400, without a traceback."""

from __future__ import annotations

from aiohttp import ClientSession, web

from infra.bot_part import webhook_app

SECRET = "webhook-secret-for-tests-0123456789"


async def test_broken_json_with_the_right_secret_is_400_without_a_traceback(tg, bot, harness, caplog):
    caplog.set_level("DEBUG")
    runner = web.AppRunner(webhook_app(harness.dp, bot, "/telegram/hook", SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/telegram/hook"  # type: ignore[union-attr]
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    try:
        async with ClientSession() as http:
            for body in (b"{not json", b"[1, 2]", b'{"update_id": "x"}', b"\xff\xfe"):
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status == 400, body
                    assert "not a Telegram update" in (await response.json())["description"]
    finally:
        await runner.cleanup()
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
