"""The composition of the Telegram bot: Bot API client, conversation storage, guards, the
pseudonymizer and the read-model port, and the `bot` part (polling, or webhook when set)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlparse

import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import DisabledEventIsolation, SimpleEventIsolation
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.alerts import AlertSubscriptions, MemoryAlertSubscriptions
from bot.dispatcher import BotPorts, build_dispatcher
from bot.gate import Gate, MemoryGate
from bot.guards import MemorySeenUpdates, MemoryThrottle, RedisThrottle, Throttle
from bot.middlewares import KeepResponseTypes
from bot.outgoing import FloodControl, UnchangedEditIsShown
from bot.prefs import MemoryPreferences, Preferences, RedisPreferences
from bot.routers.checkpoints import Checkpoint
from bot.drafts import DraftSeal
from bot.redis_gate import RedisGate, SharedConversations
from bot.storage import ExpiringMemoryStorage, PseudonymousKeyBuilder
from domain.application import Svodka
from domain.model import utc_now
from bot.i18n import load_i18n
from infra.alert_subscriptions import SealedSubscriptions
from infra.bootstrap import Services
from infra.outbox.alerts import AlertSender
from infra.crypto import pseudonym
from infra.database import Database
from infra.keys import Keys
from infra.settings import Settings
from projections.queries import active_checkpoints

log = logging.getLogger("svodka.bot")
NEARBY_KM = 25.0


def make_bot(token: str, api_url: str, flood: FloodControl | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    session.middleware(KeepResponseTypes())
    session.middleware(UnchangedEditIsShown())
    session.middleware(flood or FloodControl())
    return Bot(token, session=session)


def bot_redis(url: str, connections: int, connection_class: type[Connection] = Connection) -> Redis:
    """A pool that makes an update wait for a free connection: redis-py's default pool raises
    MaxConnectionsError past 100, which turned a surge of reporters into apologies."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=connections,
        connection_class=connection_class,
        timeout=60,
        # Under a surge a pooled connection now and then reads end-of-file; the command is tried
        # again on a fresh one rather than failing the reporter's update (redis-py retries nothing
        # by default). A retried command may have run once already: the bot's scripts allow that
        # (bot/redis_gate.py).
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.02), 3),
        retry_on_error=[RedisConnectionError],
    )
    return Redis(connection_pool=pool)


# Pseudonyms of recently active reporters, so an update costs a dict lookup rather than an HMAC.
# In this process's memory only (it maps raw ids), never written anywhere.
PSEUDONYMS_IN_MEMORY = 10_000


def pseudonymizer(keys: Keys) -> Callable[[int], str]:
    secret = keys.secret

    @lru_cache(maxsize=PSEUDONYMS_IN_MEMORY)
    def pseudonymize(telegram_id: int) -> str:
        return pseudonym(secret, "telegram", telegram_id)

    return pseudonymize


class ReadModelCheckpoints:
    """The bot's read port for /checkpoints, answered by the projections' query."""

    def __init__(self, db: Database, ttl_minutes: int) -> None:
        self.db = db
        self.ttl_minutes = ttl_minutes
        self._pool: asyncpg.Pool | None = None

    async def __call__(self, lat: float, lon: float) -> Sequence[Checkpoint]:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.db.url,
                min_size=0,
                max_size=2,
                server_settings={"search_path": f"{self.db.schema},public", "application_name": "svodka-bot"},
            )
        async with self._pool.acquire() as conn:
            return await active_checkpoints(
                conn, at=utc_now(), near=(lat, lon), radius_km=NEARBY_KM, ttl=timedelta(minutes=self.ttl_minutes)
            )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


@dataclass
class BotWiring:
    dispatcher: Dispatcher


def wire(
    app: Svodka,
    keys: Keys,
    nearby_checkpoints,
    redis: Redis | None,
    *,
    prefix: str = "svodka:bot",
    throttle_limit: int = 30,
    clock: Callable[[], datetime] = utc_now,
    alerts: AlertSubscriptions | None = None,
    help_texts: dict[str, str] | None = None,
) -> BotWiring:
    """Memory for one process; Redis (state, prefs, dedupe, rate limits) when workers share."""
    pseudonymize = pseudonymizer(keys)
    prefs: Preferences
    throttle: Throttle
    gate: Gate
    storage: BaseStorage
    isolation: BaseEventIsolation
    if redis is None:
        prefs, memory_throttle = MemoryPreferences(), MemoryThrottle(limit=throttle_limit)
        throttle, gate = memory_throttle, MemoryGate(MemorySeenUpdates(), memory_throttle, prefs)
        storage, isolation = ExpiringMemoryStorage(), SimpleEventIsolation()
    else:
        redis_prefs, redis_throttle = RedisPreferences(redis, prefix), RedisThrottle(redis, limit=throttle_limit, prefix=prefix)
        conversations = SharedConversations(redis, PseudonymousKeyBuilder(pseudonymize, f"{prefix}:fsm"),
                                           DraftSeal(keys.subkey("conversation drafts")))
        prefs, throttle, storage = redis_prefs, redis_throttle, conversations
        gate = RedisGate(redis, conversations, redis_throttle, redis_prefs, prefix)
        isolation = DisabledEventIsolation()  # the gate holds the reporter's lock
    ports = BotPorts(
        svodka=app,
        pseudonymize=pseudonymize,
        nearby_checkpoints=nearby_checkpoints,
        prefs=prefs,
        throttle=throttle,
        gate=gate,
        clock=clock,
        alerts=alerts or MemoryAlertSubscriptions(),
        help_texts=help_texts or {},
    )
    return BotWiring(build_dispatcher(ports, storage, isolation))


async def reachable(call: Callable[[], Awaitable[object]]) -> None:
    """Wait for the Bot API rather than crash on it; its errors name the URL, and the URL holds
    the token, so neither they nor a traceback of them is ever printed."""
    delay = 1.0
    while True:
        try:
            await call()
            return
        except TelegramUnauthorizedError:
            raise RuntimeError("the Bot API refused TELEGRAM_BOT_TOKEN") from None
        except TelegramNetworkError:
            log.warning("Telegram Bot API unreachable; retrying", extra={"retry_in": delay})
        await asyncio.sleep(delay)
        delay = min(delay * 2, 60.0)


def webhook_problem(settings: Settings) -> str | None:
    """Without a secret, anyone who finds the webhook could post updates in any user's name."""
    if settings.webhook_url and settings.webhook_secret is None:
        return "WEBHOOK_URL needs WEBHOOK_SECRET (a random string Telegram sends back with every update)"
    return None


def quiet_aiogram() -> None:
    """aiogram's INFO lines name update ids and durations; nothing a reporter needs kept."""
    for name in ("aiogram.event", "aiogram.middlewares", "aiogram.scene"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def bot(svc: Services) -> None:
    """The `bot` part: runs until cancelled."""
    settings = svc.settings
    assert settings.telegram_bot_token is not None, "the bot part needs TELEGRAM_BOT_TOKEN"
    problem = webhook_problem(settings)
    if problem:
        raise RuntimeError(problem)
    quiet_aiogram()
    redis = bot_redis(settings.redis_url, settings.bot_redis_connections) if settings.redis_url else None
    checkpoints = ReadModelCheckpoints(svc.db, settings.checkpoint_ttl_minutes)
    subscriptions = SealedSubscriptions(svc.app, svc.db)
    wiring = wire(svc.app, svc.keys, checkpoints, redis, alerts=subscriptions, help_texts=settings.help_texts)
    telegram = make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
    # Alerts share this process's client, so its flood control puts reporters' replies first.
    alerts = AlertSender(telegram, svc.app.vault, svc.app.gazetteer, load_i18n())
    sending = asyncio.create_task(alerts.run(svc.db.url, svc.db.schema))
    try:
        if settings.webhook_url:
            assert settings.webhook_secret is not None
            secret = settings.webhook_secret.get_secret_value()
            await serve_webhook(wiring.dispatcher, telegram, settings.webhook_url, secret, settings.webhook_host, settings.webhook_port)
        else:
            await reachable(lambda: telegram.delete_webhook(drop_pending_updates=False))
            log.info("bot polling", extra={"api": urlparse(settings.telegram_api_url).hostname})
            await poll(wiring.dispatcher, telegram)
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        await telegram.session.close()
        await checkpoints.close()
        await subscriptions.close()
        await wiring.dispatcher.storage.close()
        if redis is not None:
            await redis.aclose()


async def poll(dp: Dispatcher, telegram: Bot, timeout: int = 10) -> None:
    """Long-poll until cancelled, then stop the way aiogram means polling to stop: cancelling
    start_polling itself leaves its fetch running until the session closes under it, which
    logged "Failed to fetch updates ... Server disconnected" as an ERROR at every clean stop."""
    polling = asyncio.create_task(
        dp.start_polling(telegram, handle_signals=False, close_bot_session=False, polling_timeout=timeout)
    )
    try:
        await asyncio.shield(polling)
    except asyncio.CancelledError:
        if not polling.done():
            try:
                await dp.stop_polling()
            except RuntimeError:  # cancelled before polling began: nothing is fetching yet
                polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
        raise


class WebhookHandler(SimpleRequestHandler):
    """A body that is not a Telegram update is the sender's error: 400, not a traceback and a 500."""

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            update = Update.model_validate(await request.json(loads=bot.session.json_loads), context={"bot": bot})
        except ValueError:  # broken JSON, or JSON that is not an update (pydantic's errors are ValueErrors)
            return web.json_response({"ok": False, "description": "The body is not a Telegram update in JSON."},
                                     status=400)
        result = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


def webhook_app(dp: Dispatcher, telegram: Bot, path: str, secret: str | None) -> web.Application:
    """aiogram's handler compares the secret header in constant time (secrets.compare_digest);
    handle_in_background=False answers Telegram only once the update is handled, so a crash
    mid-update makes Telegram deliver it again rather than lose it."""
    app = web.Application()
    WebhookHandler(dp, telegram, handle_in_background=False, secret_token=secret).register(app, path=path)
    setup_application(app, dp, bot=telegram)
    return app


async def serve_webhook(dp: Dispatcher, telegram: Bot, url: str, secret: str | None, host: str, port: int) -> None:
    path = urlparse(url).path or "/"
    runner = web.AppRunner(webhook_app(dp, telegram, path, secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await reachable(
            lambda: telegram.set_webhook(url, secret_token=secret, allowed_updates=dp.resolve_used_update_types())
        )
        log.info("bot webhook listening", extra={"host": host, "port": port})
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
