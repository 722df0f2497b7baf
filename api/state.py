"""Everything a request may need, built once per app in its lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import Tokens
from api.cache import RenderCache
from api.context import ApiConfig
from api.group_commit import GroupCommit
from api.limits import RateLimiter
from api.metrics import Metrics
from api.readmodel import ReadModel


@dataclass
class ApiState:
    config: ApiConfig
    tokens: Tokens
    metrics: Metrics
    limiter: RateLimiter
    read_model: ReadModel
    cache: RenderCache
    intake: GroupCommit
