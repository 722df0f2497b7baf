"""What a reader asked to see: language, period, place, instant and table order, from the query string.

A person types these into a form, so a bad value is reported on the page and replaced by its
default instead of failing the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from api.dashboard.i18n import MOSCOW
from domain.errors import DomainError
from domain.places import Gazetteer

DEFAULT_DAYS = 7
# A year of bars is still readable at 1280 px; beyond that the chart says nothing a table does not.
MAX_DAYS = 366
SORT_KEYS = ("region", "verified", "unverified", "reports")
DEFAULT_SORT = ("verified", "desc")
CITY_SORT_KEYS = ("city", "region", "verified", "unverified", "reports")
TEXT_KEYS = ("region", "city")  # sorted A to Z first; figures largest first


@dataclass(frozen=True)
class View:
    lang: str
    date_from: date
    date_to: date
    at: datetime | None  # None: the current figures
    sort: str
    order: str  # "asc" | "desc"
    now: datetime
    errors: tuple[str, ...] = field(default=())
    # The same place filter as /v1/stats: a region code, or a city (which implies its region).
    region: str | None = None
    city: str | None = None  # the city's English name, as the read model keys it
    city_sort: str = DEFAULT_SORT[0]
    city_order: str = DEFAULT_SORT[1]

    @property
    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=i) for i in range((self.date_to - self.date_from).days + 1)]

    def query(self, **changes: str | None) -> str:
        """This view's query string with some parameters changed; what equals the default is left out."""
        params: dict[str, str | None] = {
            "lang": self.lang,
            "from": self.date_from.isoformat() if self.explicit_period else None,
            "to": self.date_to.isoformat() if self.explicit_period else None,
            "as_of": local_input(self.at) if self.at else None,
            "region": self.region if self.region and not self.city else None,
            "city": self.city,
            "sort": None if (self.sort, self.order) == DEFAULT_SORT else self.sort,
            "order": None if (self.sort, self.order) == DEFAULT_SORT else self.order,
            "csort": None if (self.city_sort, self.city_order) == DEFAULT_SORT else self.city_sort,
            "corder": None if (self.city_sort, self.city_order) == DEFAULT_SORT else self.city_order,
        }
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v})

    def cache_key(self) -> tuple:
        """What the rendered page depends on besides the projection position; `now` to the minute."""
        minute = self.now.replace(second=0, microsecond=0)
        return (self.lang, self.date_from, self.date_to, self.at, self.region, self.city, self.sort, self.order,
                self.city_sort, self.city_order, self.errors, minute)

    @property
    def explicit_period(self) -> bool:
        return (self.date_from, self.date_to) != default_period(self.at or self.now)


def default_period(instant: datetime) -> tuple[date, date]:
    """The last seven Moscow days up to the instant the figures are for."""
    end = instant.astimezone(MOSCOW).date()
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def local_input(instant: datetime) -> str:
    """The value a datetime-local input shows: Moscow wall-clock time to the second."""
    return instant.astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M:%S")


def parse_view(params: dict[str, str], lang: str, now: datetime, gazetteer: Gazetteer | None = None) -> View:
    errors: list[str] = []
    region, city = _place(params.get("region"), params.get("city"), gazetteer or Gazetteer.default(), errors)
    at = _instant(params.get("as_of"), now, errors)
    start, end = default_period(at or now)
    date_from = _date(params.get("from"), "from", errors) or start
    date_to = _date(params.get("to"), "to", errors) or end
    if date_from > date_to or (date_to - date_from).days >= MAX_DAYS:
        errors.append("from/to")
        date_from, date_to = start, end
    sort, order = _order(params.get("sort"), params.get("order"), SORT_KEYS, "sort", errors)
    city_sort, city_order = _order(params.get("csort"), params.get("corder"), CITY_SORT_KEYS, "csort", errors)
    return View(lang, date_from, date_to, at, sort, order, now, tuple(errors), region, city, city_sort, city_order)


def _order(raw_sort: str | None, raw_order: str | None, keys: tuple[str, ...], name: str,
           errors: list[str]) -> tuple[str, str]:
    sort = raw_sort or DEFAULT_SORT[0]
    order = raw_order or ("asc" if sort in TEXT_KEYS else "desc")
    if sort not in keys or order not in ("asc", "desc"):
        errors.append(name)
        return DEFAULT_SORT
    return sort, order


def _place(region: str | None, city: str | None, gazetteer: Gazetteer, errors: list[str]) -> tuple[str | None, str | None]:
    """As /v1/stats resolves them: a city implies its region; a region alone never narrows to a city."""
    region, city = region or None, city or None
    if region is None and city is None:
        return None, None
    try:
        place = gazetteer.resolve(region=region, city=city)
    except DomainError:
        errors.append("city" if city else "region")
        return None, None
    return place.region, place.city


def _date(raw: str | None, name: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(name)
        return None


def _instant(raw: str | None, now: datetime, errors: list[str]) -> datetime | None:
    """The form sends Moscow wall-clock time; scripts may send ISO 8601 with an offset."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        errors.append("as_of")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=MOSCOW)
    # "As of" a future instant would promise figures nobody knows yet: that is simply now.
    return None if parsed >= now else parsed
