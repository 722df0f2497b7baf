"""Partners' webhooks, for moderators: register one (its secret is shown once), list them, remove one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import Application, Moderator, State
from api.errors import ERROR_RESPONSES
from projections import outbox_store

router = APIRouter(tags=["moderation"], responses=ERROR_RESPONSES)
Topic = Literal["bulletins", "figures", "checkpoints"]
WebhookId = Annotated[UUID, Path(alias="id", description="The webhook's id.")]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2_000, description="Where deliveries are POSTed (http or https).")
    topics: list[Topic] = Field(min_length=1, max_length=3, description="bulletins, figures (debounced changes "
                                "per region) and/or checkpoints (alerts when one becomes credible, and gone).")
    regions: list[str] = Field(default_factory=list, max_length=100,
                               description="ISO 3166-2 codes to limit figures and checkpoints to; empty: all.")


class WebhookCreated(BaseModel):
    id: UUID
    url: str
    topics: list[str]
    regions: list[str]
    secret: str = Field(description="Shown once: verify each delivery's X-Svodka-Signature with it (see README).")


class WebhookOut(BaseModel):
    id: UUID
    url: str
    topics: list[str]
    regions: list[str]
    registered_by: str
    registered_at: datetime
    status: str = Field(description="active, failing (a delivery was given up after a day of retries) or removed")
    sent: int
    pending: int
    given_up: int
    failed_attempts: int
    last_sent_at: datetime | None


class WebhooksOut(BaseModel):
    webhooks: list[WebhookOut]


@router.post("/v1/webhooks", response_model=WebhookCreated, status_code=201)
async def register(body: WebhookIn, by: Moderator, app: Application, state: State) -> WebhookCreated:
    """Register a partner's URL for the topics it wants; deliveries start with the next event."""
    secret_of = state.config.webhook_secret
    assert secret_of is not None  # the router is only mounted with it (api/app.py)
    wid = await run_in_threadpool(
        lambda: app.register_webhook(url=body.url, topics=list(body.topics), regions=body.regions, by=by.name)
    )
    hook = await run_in_threadpool(app.repository.get, wid)
    return WebhookCreated(id=wid, url=hook.url, topics=hook.topics, regions=hook.regions, secret=secret_of(wid))


@router.get("/v1/webhooks", response_model=WebhooksOut)
async def list_webhooks(by: Moderator, state: State) -> WebhooksOut:
    """Every webhook with its delivery stats (a registration shows here once the outbox follower has seen it)."""
    async with state.read_model.pool.acquire() as conn:
        found = await outbox_store.webhooks(conn)
    return WebhooksOut(webhooks=[WebhookOut(**{f: getattr(w, f) for f in WebhookOut.model_fields}) for w in found])


@router.delete("/v1/webhooks/{id}", status_code=204, response_class=Response)
async def remove(wid: WebhookId, by: Moderator, app: Application) -> Response:
    """Stop delivering to a webhook; what is already in the outbox for it is not sent."""
    await run_in_threadpool(lambda: app.remove_webhook(wid, by=by.name))
    return Response(status_code=204)
