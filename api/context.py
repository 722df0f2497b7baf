"""What the composition root hands the API: where the read model is, and the domain application."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.application import Svodka


@dataclass
class ApiConfig:
    database_url: str
    schema: str
    application: Svodka
    operator_tokens: dict[str, str] = field(default_factory=dict)  # token -> operator name
    moderator_tokens: dict[str, str] = field(default_factory=dict)  # token -> moderator name
    redis_url: str | None = None
