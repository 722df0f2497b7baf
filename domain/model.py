"""Value objects shared by the aggregates: kinds, statuses, limits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum

from domain.errors import InvalidReport

MIN_DETAINED = 1
MAX_DETAINED = 10_000
MAX_DESCRIPTION = 4_000
# Phones' clocks drift; a report a few minutes "in the future" is honest, not fabricated.
CLOCK_SKEW = timedelta(minutes=5)
# Nothing svodka counts happened before it could have been reported by phone.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)


class Kind(StrEnum):
    DETENTION = "detention"
    CHECKPOINT = "checkpoint"


class Status(StrEnum):
    UNREVIEWED = "unreviewed"
    VERIFIED = "verified"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    RETRACTED = "retracted"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def check_occurred_at(occurred_at: datetime, now: datetime | None = None) -> datetime:
    """Normalise to UTC, to the minute, and refuse naive, future or implausibly old instants.

    The minute is all a count needs; the seconds of "now" in the bot would be the moment the
    reporter pressed the button, which audit exports publish (docs/THREAT_MODEL.md)."""
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise InvalidReport("The time must include a UTC offset.", code="time_offset", field="occurred_at")
    try:
        occurred_at = occurred_at.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00, before year 1 in UTC
        raise InvalidReport("The time it happened is too long ago.", code="time_old", field="occurred_at") from None
    if occurred_at > (now or utc_now()) + CLOCK_SKEW:
        raise InvalidReport("The time it happened cannot be in the future.", code="time_future", field="occurred_at")
    if occurred_at < EARLIEST:
        raise InvalidReport("The time it happened is too long ago.", code="time_old", field="occurred_at")
    return occurred_at.replace(second=0, microsecond=0)


def check_detained(kind: Kind, detained: int | None) -> int | None:
    if kind is Kind.CHECKPOINT:
        if detained is not None:
            raise InvalidReport("A checkpoint report has no detained count.", code="count_checkpoint", field="detained")
        return None
    if detained is None:
        raise InvalidReport("A detention report needs the number of people detained.", code="count_missing",
                            field="detained")
    if isinstance(detained, bool) or not isinstance(detained, int):
        raise InvalidReport("The detained count must be a whole number.", code="count_whole", field="detained")
    if not MIN_DETAINED <= detained <= MAX_DETAINED:
        raise InvalidReport(
            f"The detained count must be from {MIN_DETAINED} to {MAX_DETAINED:,}.", code="count_range", field="detained",
            parts={"low": MIN_DETAINED, "high": MAX_DETAINED},
        )
    return detained


def check_description(description: str | None) -> str | None:
    if description is None:
        return None
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidReport(
            f"The description is longer than {MAX_DESCRIPTION:,} characters.", code="description_long",
            field="description", parts={"n": MAX_DESCRIPTION},
        )
    return description or None


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidReport("A reason is required.", code="reason_missing", field="reason")
    if len(reason) > 1_000:
        raise InvalidReport("The reason is longer than 1,000 characters.", code="reason_long", field="reason",
                            parts={"n": 1_000})
    return reason
