"""What the composition root hands the API: where the read model is, and the domain application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from domain.application import Svodka


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `count` requests per `seconds`, in a fixed window."""

    count: int
    seconds: float


@dataclass
class ApiConfig:
    database_url: str
    schema: str
    application: Svodka
    operator_tokens: dict[str, str] = field(default_factory=dict)  # token -> operator name
    moderator_tokens: dict[str, str] = field(default_factory=dict)  # token -> moderator name
    # How often each worker reloads the tokens issued with `svodka tokens add` (api/stored_tokens.py).
    token_refresh_seconds: float = 2.0
    redis_url: str | None = None
    checkpoint_ttl: timedelta = timedelta(minutes=180)  # Settings.checkpoint_ttl
    # Redis keys start with this, so deployments (and test runs) sharing a server never collide.
    redis_prefix: str = "svodka:"
    # Keys the hashes of tokens and addresses in rate-limit keys; workers must share it.
    limit_key: bytes = b""
    intake_per_token: Limit = Limit(600, 60)  # a busy hotline enters ~10 reports a second
    # Per operator, on the console desk's forms (a report, an import, a retraction): a session
    # taken over, or a script driving the form, cannot store reports faster (Settings).
    desk_per_operator: Limit = Limit(120, 60)
    # Per client address, on every route that takes a token, checked before the token is.
    intake_per_address: Limit = Limit(1200, 60)
    # Proxies whose X-Forwarded-For is believed (Settings.trusted_networks); none by default.
    trusted_proxies: tuple[Any, ...] = ()
    redis_max_connections: int = 32  # Settings.redis_max_connections
    max_body_bytes: int = 64 * 1024
    # How often the API looks up the projection position that keys its caches.
    position_refresh_seconds: float = 0.2
    cache_max_age_seconds: int = 5
    # /readyz fails while the read model is further than this behind the event log.
    ready_max_lag: int = 1000
    # Streaming replicas for public reads (stats, checkpoints, exports, dashboard), tried in order,
    # then the primary; /readyz fails while the serving one lags the primary beyond either bound.
    read_database_urls: list[str] = field(default_factory=list)
    replica_max_lag_events: int = 1000
    replica_max_lag_seconds: float = 30.0
    replica_retry_seconds: float = 5.0  # a replica that stopped answering is tried again after this
    # Group commit: at most this many reports in one transaction, and this many in flight.
    commit_batch_max: int = 256
    commit_concurrency: int = 2
    # `svodka api --workers N`: the PROMETHEUS_MULTIPROC_DIR every worker writes its metrics to.
    metrics_dir: str | None = None
    on_close: Callable[[], None] | None = None  # what a worker process must release at shutdown
    # A partner webhook's signing secret from its id (infra/outbox/signing.py); None: no webhooks.
    webhook_secret: Callable[[UUID], str] | None = None
    audit_public_key: bytes | None = None  # raw Ed25519 key verifying the chain heads (/v1/audit/key)
    # Settings.public_url: the console's cookie is Secure when it is https, and forms must come from it.
    public_url: str | None = None
    console_idle: timedelta = timedelta(hours=8)  # a console session ends after this long unused
