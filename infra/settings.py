"""The one place svodka reads its configuration from the environment."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.bulletin import Schedule

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "svodka"
DEFAULT_TELEGRAM_API = "https://api.telegram.org"


# Shown under the bot's own words, in one Telegram message (at most 4096 characters).
HELP_TEXT_LIMIT = 2000


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Every variable svodka understands; README.md documents each one."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    env: Literal["development", "production", "test"] = Field(
        "development", validation_alias=_env("SVODKA_ENV")
    )
    data_dir: Path = Field(DEFAULT_DATA_DIR, validation_alias=_env("SVODKA_DATA_DIR"))
    database_url: SecretStr | None = Field(None, validation_alias=_env("DATABASE_URL"))
    # Streaming replicas for public reads, comma-separated libpq URLs (README, "Configuration").
    read_database_urls: SecretStr | None = Field(None, validation_alias=_env("SVODKA_READ_DATABASE_URLS"))
    replica_max_lag_events: int = Field(1000, ge=0, validation_alias=_env("SVODKA_REPLICA_MAX_LAG_EVENTS"))
    replica_max_lag_seconds: float = Field(30.0, gt=0, validation_alias=_env("SVODKA_REPLICA_MAX_LAG_SECONDS"))
    # Tables for one deployment live in this schema; tests give each run its own.
    db_schema: str = Field("public", validation_alias=_env("SVODKA_DB_SCHEMA"))

    secret: SecretStr | None = Field(None, validation_alias=_env("SVODKA_SECRET"))
    master_key: SecretStr | None = Field(None, validation_alias=_env("SVODKA_MASTER_KEY"))
    # Written by `svodka keys rotate`: the audit keys of the first master key, kept so heads and
    # audit pseudonyms stay the same across rotations (docs/AUDIT.md, "Key rotation").
    audit_key: SecretStr | None = Field(None, validation_alias=_env("SVODKA_AUDIT_KEY"))

    host: str = Field("127.0.0.1", validation_alias=_env("SVODKA_HOST"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("SVODKA_PORT"))
    log_level: str = Field("INFO", validation_alias=_env("SVODKA_LOG_LEVEL"))
    log_format: Literal["auto", "json", "text"] = Field("auto", validation_alias=_env("SVODKA_LOG_FORMAT"))

    operator_tokens: SecretStr | None = Field(None, validation_alias=_env("SVODKA_OPERATOR_TOKENS"))
    moderator_tokens: SecretStr | None = Field(None, validation_alias=_env("SVODKA_MODERATOR_TOKENS"))
    checkpoint_ttl_minutes: int = Field(180, ge=1, validation_alias=_env("SVODKA_CHECKPOINT_TTL_MINUTES"))
    # The console desk's forms an operator may post per minute (api/console/desk.py).
    desk_posts_per_minute: int = Field(120, ge=1, le=100_000, validation_alias=_env("SVODKA_DESK_POSTS_PER_MINUTE"))

    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_api_url: str = Field(DEFAULT_TELEGRAM_API, validation_alias=_env("TELEGRAM_API_URL"))
    # The bot's connections to Redis; past them an update waits for one rather than failing.
    bot_redis_connections: int = Field(50, ge=1, le=10_000, validation_alias=_env("SVODKA_BOT_REDIS_CONNECTIONS"))
    webhook_url: str | None = Field(None, validation_alias=_env("WEBHOOK_URL"))
    webhook_secret: SecretStr | None = Field(None, validation_alias=_env("WEBHOOK_SECRET"))
    # Where the webhook listens locally; a reverse proxy forwards WEBHOOK_URL here.
    webhook_host: str = Field("127.0.0.1", validation_alias=_env("SVODKA_WEBHOOK_HOST"))
    webhook_port: int = Field(8081, ge=1, le=65535, validation_alias=_env("SVODKA_WEBHOOK_PORT"))
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    # The API's connections to Redis; past them a request waits for one rather than failing.
    redis_max_connections: int = Field(32, ge=1, le=10_000, validation_alias=_env("SVODKA_REDIS_MAX_CONNECTIONS"))
    # Reverse proxies whose X-Forwarded-For names the client (addresses or networks, comma
    # separated). None by default: anyone could otherwise claim a fresh address per request.
    trusted_proxies: str = Field("", validation_alias=_env("SVODKA_TRUSTED_PROXIES"))

    # Bulletins and the outbox (README "Bulletins and partner webhooks").
    bulletin_times: str = Field("", validation_alias=_env("SVODKA_BULLETIN_TIMES"))  # e.g. "12:00,18:00,23:00"
    bulletin_timezone: str = Field("Europe/Moscow", validation_alias=_env("SVODKA_BULLETIN_TIMEZONE"))
    bulletin_chat: str | None = Field(None, validation_alias=_env("SVODKA_BULLETIN_CHAT"))
    bulletin_language: Literal["ru", "en"] = Field("ru", validation_alias=_env("SVODKA_BULLETIN_LANGUAGE"))
    bulletin_top_cities: int = Field(5, ge=1, le=50, validation_alias=_env("SVODKA_BULLETIN_TOP_CITIES"))
    bulletin_late_limit_hours: float = Field(12, gt=0, validation_alias=_env("SVODKA_BULLETIN_LATE_LIMIT_HOURS"))
    public_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("SVODKA_PUBLIC_URL"))
    partner_retry_seconds: float = Field(10, gt=0, validation_alias=_env("SVODKA_PARTNER_RETRY_SECONDS"))
    partner_give_up_hours: float = Field(24, gt=0, validation_alias=_env("SVODKA_PARTNER_GIVE_UP_HOURS"))
    figures_debounce_seconds: float = Field(60, ge=0, validation_alias=_env("SVODKA_FIGURES_DEBOUNCE_SECONDS"))
    # Where reporters get help (the operator's hotline, legal aid, safety advice): svodka names no one.
    help_text_ru: str = Field("", max_length=HELP_TEXT_LIMIT, validation_alias=_env("SVODKA_HELP_TEXT_RU"))
    help_text_en: str = Field("", max_length=HELP_TEXT_LIMIT, validation_alias=_env("SVODKA_HELP_TEXT_EN"))

    @field_validator("help_text_ru", "help_text_en")
    @classmethod
    def _lines(cls, value: str) -> str:
        """A literal \\n is a line break: an environment file holds one line per variable."""
        return value.replace("\\n", "\n").strip()

    @property
    def help_texts(self) -> dict[str, str]:
        return {"ru": self.help_text_ru, "en": self.help_text_en}

    @field_validator("bulletin_times")
    @classmethod
    def _are_times_of_day(cls, value: str) -> str:
        try:
            Schedule.parse(value, "UTC")
        except ValueError:
            raise ValueError("SVODKA_BULLETIN_TIMES must be times of day like 12:00,18:00,23:00") from None
        return value

    @field_validator("bulletin_timezone")
    @classmethod
    def _is_a_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"SVODKA_BULLETIN_TIMEZONE={value!r} is not a time zone (e.g. Europe/Moscow)") from None
        return value

    @field_validator("master_key")
    @classmethod
    def _is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("SVODKA_MASTER_KEY must be base64 of 32 random bytes") from None
        if len(raw) != 32:
            raise ValueError(f"SVODKA_MASTER_KEY must decode to 32 bytes, not {len(raw)}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _are_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("secret")
    @classmethod
    def _is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("SVODKA_SECRET must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _production_brings_its_own_secrets(self) -> Settings:
        # A generated key sitting beside the data it protects is no protection in production.
        if self.env == "production":
            for name, value in (("SVODKA_SECRET", self.secret), ("SVODKA_MASTER_KEY", self.master_key)):
                if value is None:
                    raise ValueError(
                        f"{name} must be set (in the environment or SVODKA_SECRETS_DIR) "
                        "when SVODKA_ENV=production"
                    )
        return self

    @property
    def read_urls(self) -> list[str]:
        if self.read_database_urls is None:
            return []
        return [u.strip() for u in self.read_database_urls.get_secret_value().split(",") if u.strip()]

    @property
    def checkpoint_ttl(self) -> timedelta:
        return timedelta(minutes=self.checkpoint_ttl_minutes)

    @property
    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def tokens_by_role(self) -> dict[str, dict[str, str]]:
        """token -> name, per role; parsed from `name:token,name:token`."""
        return {
            "operator": parse_tokens(self.operator_tokens, "SVODKA_OPERATOR_TOKENS"),
            "moderator": parse_tokens(self.moderator_tokens, "SVODKA_MODERATOR_TOKENS"),
        }


def parse_networks(value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    networks = []
    for part in value.split(","):
        if part.strip():
            try:
                networks.append(ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"SVODKA_TRUSTED_PROXIES: {part.strip()!r} is not an address or network") from None
    return tuple(networks)


def parse_tokens(value: SecretStr | None, variable: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    if value is None:
        return tokens
    for pair in value.get_secret_value().split(","):
        if not pair.strip():
            continue
        name, sep, token = pair.strip().partition(":")
        if not sep or not name or len(token) < 16:
            raise ValueError(f"{variable}: each entry is name:token, with a token of 16+ characters")
        tokens[token] = name
    return tokens


class _SecretsLocation(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)
    secrets_dir: Path | None = Field(None, validation_alias=_env("SVODKA_SECRETS_DIR"))


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, and from files in SVODKA_SECRETS_DIR (one file per variable)."""
    secrets_dir = _SecretsLocation().secrets_dir
    if secrets_dir is not None and not secrets_dir.is_dir():
        raise ValueError(f"SVODKA_SECRETS_DIR={secrets_dir} is not a directory")
    return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[call-arg]
