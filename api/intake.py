"""POST /v1/reports: operators (hotlines, partner groups) enter phoned-in reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.deps import Operator
from api.errors import ERROR_RESPONSES
from domain.application import Facts, NewReport, Submission
from domain.errors import DomainError

router = APIRouter(tags=["intake"])


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReportIn(BaseModel):
    # Unknown fields are refused: a misspelt "detainded" must not silently become a report without a count.
    model_config = ConfigDict(extra="forbid")

    kind: Literal["detention", "checkpoint"]
    region: str | None = Field(None, max_length=16, description="ISO 3166-2 code, e.g. RU-MOW.")
    city: str | None = Field(None, max_length=100, description="City name, Russian or English.")
    location: Location | None = Field(None, description="A point; kept encrypted, published at ~1 km.")
    occurred_at: AwareDatetime = Field(description="ISO 8601 with a UTC offset.")
    detained: int | None = Field(None, ge=1, le=10_000, description="People detained (detentions only).")
    description: str | None = Field(None, max_length=4_000, description="Kept encrypted, never published.")

    @model_validator(mode="after")
    def _somewhere(self) -> ReportIn:
        if self.region is None and self.city is None and self.location is None:
            raise ValueError("Say where it happened: give region, city or location.")
        return self

    def command(self, operator: str, key: str) -> NewReport:
        return NewReport(
            kind=self.kind,
            channel=f"operator:{operator}",
            client_ref=key,
            occurred_at=self.occurred_at,
            region=self.region,
            city=self.city,
            lat=self.location.lat if self.location else None,
            lon=self.location.lon if self.location else None,
            detained=self.detained,
            description=self.description,
        )


class Receipt(BaseModel):
    """What was stored, as svodka understood it, so an operator sees at once a wrong place or a
    time whose offset does not match the place (22:30+03:00 in Novosibirsk is 02:30 the next day)."""

    id: UUID
    created: bool = Field(description="false when this Idempotency-Key was already used for this report")
    region: str = Field(description="The region it is counted under.")
    city: str | None = Field(description="The city it is counted under (English name); null for a region only.")
    local_time: datetime = Field(description="occurred_at in the place's own time zone, to the minute.")
    local_day: date = Field(description="The local day it is counted under.")


def receipt(facts: Facts, submission: Submission) -> Receipt:
    """Built from what the domain understood (`Svodka.understand`), as the console's receipts are."""
    return Receipt(id=submission.id, created=submission.created, region=facts.place.region, city=facts.place.city,
                   local_time=facts.local_time, local_day=date.fromisoformat(facts.local_day))


IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
    description="The client's own reference for this report; a retry with the same key counts once.",
)]


@router.post("/v1/reports", status_code=201, response_model=Receipt,
             responses={200: {"model": Receipt, "description": "Already received under this key."},
                        **ERROR_RESPONSES})
async def submit_report(body: ReportIn, call: Operator, key: IdempotencyKey) -> Response:
    """Store a report once per (operator, Idempotency-Key); answered after it is durable."""
    state = call.state
    command = body.command(call.operator.name, key)
    try:
        submission = await state.intake.submit(command)
    except DomainError as error:
        state.metrics.intake_outcome(type(error).__name__)
        raise
    state.metrics.intake_outcome("created" if submission.created else "retry")
    # Rendered here rather than through response_model: this is the hot path of a surge.
    answer = receipt(state.config.application.understand(command), submission)
    return Response(answer.model_dump_json(), status_code=201 if submission.created else 200,
                    media_type="application/json")
