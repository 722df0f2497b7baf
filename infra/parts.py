"""Which parts `svodka serve` runs in-process beside the API."""

from __future__ import annotations

from infra.settings import Settings
from infra.runner import Part


def serve_parts(settings: Settings) -> list[Part]:
    """The projector always; the bot only when a token is configured."""
    from infra.audit.part import chain_part
    from infra.outward_part import outward_parts
    from infra.projector_part import projector

    parts: list[Part] = [projector, chain_part]  # the audit hash chain follows the log too
    parts.extend(outward_parts(settings))  # bulletins and the outbox
    if settings.telegram_bot_token is not None:
        from infra.bot_part import bot

        parts.append(bot)
    return parts
