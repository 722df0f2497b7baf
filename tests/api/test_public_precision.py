"""No public time is finer than a minute, except `as_of.recorded_at`, the log's own clock."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from tests.api.conftest import detention, operator, project, settled

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?")


def finer_than_a_minute(text: str, allowed: set[datetime]) -> list[str]:
    found = []
    for match in INSTANT.findall(text):
        instant = datetime.fromisoformat(match.replace("Z", "+00:00"))
        if instant.tzinfo is None:
            continue  # the dashboard form's bounds (the reader's clock), never an event's time
        exact = {a.replace(microsecond=0) for a in allowed} | allowed  # the CSV writes seconds
        if (instant.second or instant.microsecond) and instant not in exact:
            found.append(match)
    return found


def test_public_answers_carry_times_to_the_minute(http, db, application):
    checkpoint = {"kind": "checkpoint", "location": {"lat": 51.734567, "lon": 36.193456},
                  "occurred_at": datetime.now(timezone.utc).isoformat()}
    assert http.post("/v1/reports", json=checkpoint, headers=operator()).status_code == 201
    assert http.post("/v1/reports", json=detention(city="Курск", detained=2), headers=operator()).status_code == 201
    position = project(db, application)
    answer = settled(http, position, "/v1/checkpoints").json()
    [listed] = answer["checkpoints"]
    for field in ("reported_at", "last_confirmed_at", "expires_at"):
        assert datetime.fromisoformat(listed[field]).second == 0, field
        assert datetime.fromisoformat(listed[field]).microsecond == 0, field
    # The request's own instant and the log's clock may be exact; nothing else.
    allowed = {datetime.fromisoformat(answer["active_at"]), datetime.fromisoformat(answer["as_of"]["recorded_at"])}
    for path in ("/v1/checkpoints", "/v1/export.csv", "/v1/export.geojson"):
        assert finer_than_a_minute(settled(http, position, path).text, allowed) == [], path
    dashboard = http.get("/", params={"lang": "en"})
    assert "checkpoint" in dashboard.text.lower()
    assert finer_than_a_minute(dashboard.text, allowed) == [], "/"
