"""`svodka bulletin preview`, `svodka webhooks` and `svodka outbox`: the outward side from the command line."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from infra.exits import CONFIGURATION, NOT_BUILT, fail, settings_or_exit

bulletin_commands = typer.Typer(help="Scheduled bulletins.", no_args_is_help=True)


@bulletin_commands.command("preview")
def preview(
    lang: Annotated[str | None, typer.Option(help="ru or en [default: SVODKA_BULLETIN_LANGUAGE]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON instead of the text")] = False,
) -> None:
    """Print the next bulletin as it would be composed now, without recording or posting it."""
    from domain.bulletin_text import LANGUAGES, render
    from infra.bootstrap import services
    from infra.outward_part import scheduler

    settings = settings_or_exit()
    language = lang or settings.bulletin_language
    if language not in LANGUAGES:
        raise fail(f"--lang must be one of {', '.join(LANGUAGES)}", CONFIGURATION)
    if not settings.bulletin_times:
        raise fail("set SVODKA_BULLETIN_TIMES (e.g. 12:00,18:00,23:00) to schedule bulletins", CONFIGURATION)
    with services(settings) as svc:
        draft = asyncio.run(_draft(svc, scheduler(svc)))
        if draft is None:
            raise fail("the read model is not built yet; run `svodka project` first", NOT_BUILT)
        if as_json:
            print(json.dumps(draft.facts(), default=str, indent=2, ensure_ascii=False))
            return
        print(render(draft.figures, slot=draft.slot, late=draft.late, as_of_position=draft.as_of.position,
                     as_of_recorded_at=draft.as_of.recorded_at, lang=language, gazetteer=svc.app.gazetteer))  # fmt: skip


async def _draft(svc, scheduler):
    from projections import schema
    from projections.projector import connect

    conn = await connect(svc.db.url, svc.db.schema, "svodka-bulletin-preview")
    try:
        if not await schema.exists(conn):
            return None
        return await scheduler.preview(conn)
    finally:
        await conn.close()


def webhooks_command(
    removed: Annotated[bool, typer.Option("--removed", help="Include removed webhooks")] = False,
) -> None:
    """List partners' webhooks with their delivery stats."""
    from infra.bootstrap import services
    from projections import outbox_store
    from projections.projector import connect

    async def listed(svc):
        conn = await connect(svc.db.url, svc.db.schema, "svodka-webhooks")
        try:
            return await outbox_store.webhooks(conn, with_removed=removed)
        finally:
            await conn.close()

    with services(settings_or_exit()) as svc:
        hooks = asyncio.run(listed(svc))
    if not hooks:
        print("No webhooks registered (POST /v1/webhooks with a moderator token).")
        return
    for hook in hooks:
        last = hook.last_sent_at.isoformat(timespec="seconds") if hook.last_sent_at else "never"
        where = ",".join(hook.regions) or "all regions"
        print(f"{hook.id}  {hook.status:<8} {hook.url}")
        print(f"    topics {','.join(hook.topics)} ({where}); registered by {hook.registered_by}")
        print(f"    sent {hook.sent}, pending {hook.pending}, given up {hook.given_up}, "
              f"failed attempts {hook.failed_attempts}, last sent {last}")  # fmt: skip


def outbox_command() -> None:
    """Run the outward side alone: the outbox follower, the sender and (with times set) the scheduler."""
    from infra.outward_part import outward_parts
    from infra.runner import run

    settings = settings_or_exit()
    run(settings, outward_parts(settings))
