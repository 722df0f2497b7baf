"""Query-parameter types for public routes: ISO 8601 only, and only values the server can hold.

pydantic's lax mode reads `to=0` or `active_at=0.5` as Unix times, and an instant near year 1 or
9999 overflows when converted to UTC or shifted by a day; both must be a 422 naming the parameter.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

# Wide enough for any question about the figures, narrow enough that a day or a checkpoint's
# lifetime added or subtracted stays a valid date, in Python and in PostgreSQL.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9000, 12, 31)
RANGE = f"from {FIRST_DAY.year} to {LAST_DAY.year}"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|z|[+-]\d{2}:?\d{2})")
BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint, which holds event-log positions


def _day_text(value: object) -> object:
    if not isinstance(value, str) or not DAY.fullmatch(value):
        raise ValueError("give a day as YYYY-MM-DD (ISO 8601)")
    return value


def _day_within(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"the year must be {RANGE}")
    return value


def _instant_text(value: object) -> object:
    if isinstance(value, datetime):
        return value  # already parsed (a default, or a caller in Python)
    if not isinstance(value, str) or not INSTANT.fullmatch(value):
        raise ValueError("give an instant as ISO 8601 with a UTC offset, e.g. 2024-05-06T21:00:00+03:00")
    return value


def _instant_within(value: datetime) -> datetime:
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"the year must be {RANGE}") from None
    if not FIRST_DAY <= utc.date() <= LAST_DAY:
        raise ValueError(f"the year must be {RANGE}")
    return utc  # in UTC, so one instant written with two offsets is one question


IsoDay = Annotated[date, BeforeValidator(_day_text), AfterValidator(_day_within)]
# In UTC once parsed.
IsoInstant = Annotated[datetime, BeforeValidator(_instant_text), AfterValidator(_instant_within)]
Position = Annotated[int, Field(ge=0, le=BIGINT_MAX)]
