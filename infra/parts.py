"""Which parts `svodka serve` runs in-process beside the API, as each capability lands."""

from __future__ import annotations

from infra.bootstrap import Services
from infra.runner import Part


def serve_parts(svc_settings) -> list[Part]:
    """The projector always; the bot only when a token is configured."""
    from infra.audit_part import chain_part
    from infra.projector_part import projector

    parts: list[Part] = [projector, chain_part]  # the audit hash chain follows the log too
    if svc_settings.telegram_bot_token is not None:
        from infra.bot_part import bot

        parts.append(bot)
    return parts
