"""Wires what svodka sends outward: the bulletin scheduler, the outbox follower and the sender."""

from __future__ import annotations

from datetime import timedelta

from domain.bulletin import Schedule
from infra.bootstrap import Services
from infra.outbox.sender import Sender
from infra.runner import Part
from infra.scheduler import Scheduler
from infra.settings import Settings
from projections.outbox import Follower, Outward


def partner_key(svc: Services) -> bytes:
    return svc.keys.subkey("webhook secrets")


def schedule(settings: Settings) -> Schedule:
    return Schedule.parse(settings.bulletin_times, settings.bulletin_timezone)


def scheduler(svc: Services) -> Scheduler:
    s = svc.settings
    return Scheduler(
        app=svc.app,
        schedule=schedule(s),
        top_cities=s.bulletin_top_cities,
        late_limit=timedelta(hours=s.bulletin_late_limit_hours),
        checkpoint_ttl=s.checkpoint_ttl,
        dashboard=s.public_url,
    )


def follower(svc: Services) -> Follower:
    s = svc.settings
    outward = Outward(
        channel=s.bulletin_chat, language=s.bulletin_language, debounce=timedelta(seconds=s.figures_debounce_seconds)
    )
    return Follower(svc.app.mapper, svc.app.gazetteer, outward)


async def bulletin_scheduler(svc: Services) -> None:
    """Publish bulletins at their times (one active scheduler per database)."""
    await scheduler(svc).run(svc.db.url, svc.db.schema)


async def outbox_follower(svc: Services) -> None:
    """Decide from the log what goes outward, into the outbox."""
    await follower(svc).follow(svc.db.url, svc.db.schema)


async def outbox_sender(svc: Services) -> None:
    """Send what the outbox holds: channel posts (with the bot's token) and partner webhooks."""
    s = svc.settings
    bot = None
    if s.telegram_bot_token is not None:
        from infra.bot_part import make_bot

        bot = make_bot(s.telegram_bot_token.get_secret_value(), s.telegram_api_url)
    sender = Sender(
        partner_key(svc),
        bot,
        retry=timedelta(seconds=s.partner_retry_seconds),
        give_up=timedelta(hours=s.partner_give_up_hours),
    )
    try:
        await sender.run(svc.db.url, svc.db.schema)
    finally:
        if bot is not None:
            await bot.session.close()


def outward_parts(settings: Settings) -> list[Part]:
    """The follower and the sender always; the scheduler when bulletin times are set."""
    parts: list[Part] = [outbox_follower, outbox_sender]
    if schedule(settings).times:
        parts.append(bulletin_scheduler)
    return parts
