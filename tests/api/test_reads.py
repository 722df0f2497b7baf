"""The whole loop over HTTP: intake → event store → projection → public figures."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

from tests.api.conftest import WHEN, detention, moderator, operator, project, settled


def test_reports_taken_in_are_counted_then_verified_and_as_of_answers_the_past(http, db, application):
    for city, detained in (("Москва", 12), ("Moscow", 3), ("Екатеринбург", 5)):
        assert http.post("/v1/reports", json=detention(city=city, detained=detained), headers=operator()).status_code == 201
    position = project(db, application)
    stats = settled(http, position, group_by="region").json()
    assert stats["as_of"]["position"] == position and stats["as_of"]["recorded_at"]
    assert stats["unit"] == "detentions" and "not unique people" in stats["counts"]
    assert stats["total"] == {"verified": 0, "unverified": 20, "reports": 3}
    by_region = {g["key"]: g for g in stats["groups"]}
    assert by_region["RU-MOW"]["unverified"] == 15 and by_region["RU-SVE"]["unverified"] == 5

    before_decision = datetime.now(timezone.utc)
    queue = http.get("/v1/moderation/queue", headers=moderator()).json()["items"]
    target = next(i for i in queue if i["detained"] == 12)
    decided = http.post(f"/v1/reports/{target['id']}/verify", json={"note": "видео"},
                        headers={**moderator(), "If-Match": f'"{target["version"]}"'})
    assert decided.status_code == 200 and decided.json()["status"] == "verified"
    position = project(db, application)
    now = settled(http, position, region="RU-MOW").json()
    assert now["total"] == {"verified": 12, "unverified": 3, "reports": 2}
    then = http.get("/v1/stats", params={"region": "RU-MOW", "as_of": before_decision.isoformat()}).json()
    assert then["total"] == {"verified": 0, "unverified": 15, "reports": 2}
    assert then["as_of"]["position"] < position


def test_group_by_several_dimensions_keys_groups_by_object(http, db, application):
    http.post("/v1/reports", json=detention(city="Новосибирск", detained=2), headers=operator())
    http.post("/v1/reports", json=detention(city=None, region="RU-NVS", detained=1), headers=operator())
    position = project(db, application)
    stats = settled(http, position, group_by="day,city", region="RU-NVS").json()
    assert stats["group_by"] == ["day", "city"]
    keys = [g["key"] for g in stats["groups"]]
    day = WHEN.astimezone(timezone(timedelta(hours=7))).date().isoformat()
    assert {"day": day, "city": "Novosibirsk"} in keys and {"day": day, "city": None} in keys


def test_answers_are_cached_by_position_with_etag_and_304(http, db, application):
    http.post("/v1/reports", json=detention(), headers=operator())
    position = project(db, application)
    first = settled(http, position, city="Moscow")
    assert first.headers["cache-control"] == "public, max-age=5"
    etag = first.headers["etag"]
    assert etag.startswith(f'"{position}-')
    # The same question spelt differently is the same answer.
    assert http.get("/v1/stats", params={"city": "москва"}).headers["etag"] == etag
    assert http.get("/v1/stats", params={"city": "Moscow"}, headers={"If-None-Match": etag}).status_code == 304
    moscow_time = http.get("/v1/stats", params={"as_of": "2026-01-01T12:00:00+03:00"}).headers["etag"]
    assert http.get("/v1/stats", params={"as_of": "2026-01-01T09:00:00Z"}).headers["etag"] == moscow_time
    http.post("/v1/reports", json=detention(detained=9), headers=operator())
    moved = settled(http, project(db, application), city="Moscow")
    assert moved.headers["etag"] != etag
    assert http.get("/v1/stats", params={"city": "Moscow"}, headers={"If-None-Match": etag}).status_code == 200


def test_public_reads_reject_bad_parameters_with_422(http):
    for params, field in (({"region": "RU-ZZZ"}, "region"), ({"city": "Гдетотам"}, "city"),
                          ({"group_by": "week"}, "group_by"), ({"kind": "riot"}, "kind"),
                          ({"from": "2024-02-30"}, "from"), ({"from": "2024-03-02", "to": "2024-03-01"}, "from"),
                          ({"as_of": "2024-03-01T10:00:00"}, "as_of")):
        answer = http.get("/v1/stats", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["error"]["field"] == field


def test_checkpoints_are_public_at_about_one_kilometre(http, db, application):
    body = {"kind": "checkpoint", "location": {"lat": 51.734567, "lon": 36.193456},
            "occurred_at": datetime.now(timezone.utc).isoformat(), "description": "ДПС на выезде"}
    assert http.post("/v1/reports", json=body, headers=operator()).status_code == 201
    position = project(db, application)
    answer = settled(http, position, "/v1/checkpoints", region="RU-KRS")
    found = answer.json()["checkpoints"]
    assert len(found) == 1 and found[0]["region"] == "RU-KRS"
    assert (found[0]["lat"], found[0]["lon"]) != (51.734567, 36.193456)
    assert abs(found[0]["lat"] - 51.734567) < 0.01
    assert "51.734567" not in answer.text and "ДПС" not in answer.text


def test_exports_are_valid_csv_and_geojson_of_counts_only(http, db, application):
    http.post("/v1/reports", json=detention(city="Санкт-Петербург", detained=4, description="секрет",
                                            location={"lat": 59.9311, "lon": 30.3609}), headers=operator())
    http.post("/v1/reports", json=detention(city=None, region="RU-SPE", detained=1), headers=operator())
    position = project(db, application)
    text = settled(http, position, "/v1/export.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["region_code"], r["city_name_en"], r["unverified"]) for r in rows} == {("RU-SPE", "Saint Petersburg", "4"),
                                                                         ("RU-SPE", "", "1")}
    assert all(r["as_of_position"] == str(position) for r in rows)
    geo = http.get("/v1/export.geojson")
    assert geo.headers["content-type"].startswith("application/geo+json")
    document = json.loads(geo.text)
    assert document["type"] == "FeatureCollection" and document["as_of"]["position"] == position
    points = [f for f in document["features"] if f["geometry"]]
    assert len(points) == 1 and points[0]["properties"]["city"] == "Saint Petersburg"
    lon, lat = points[0]["geometry"]["coordinates"]
    assert (round(lat, 4), round(lon, 4)) != (59.9311, 30.3609)  # the city's centre, not the report's point
    for body in (text, geo.text):
        assert "секрет" not in body and "59.9311" not in body


def test_regions_list_the_gazetteer(http):
    regions = http.get("/v1/regions").json()["regions"]
    moscow = next(r for r in regions if r["code"] == "RU-MOW")
    assert moscow["timezone"] == "Europe/Moscow" and any(c["name_ru"] == "Москва" for c in moscow["cities"])


def test_cors_is_open_for_public_gets_only(http):
    get = http.get("/v1/regions", headers={"Origin": "https://example.org"})
    assert get.headers["access-control-allow-origin"] == "*"
    preflight = http.options("/v1/reports", headers={"Origin": "https://example.org",
                                                     "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 400 and "only public GETs" in preflight.json()["error"]["message"]


def test_operations_endpoints(http, db, application):
    http.post("/v1/reports", json=detention(), headers=operator())
    assert http.get("/healthz").json() == {"status": "ok", "database": "ok"}
    behind = http.get("/readyz").json()
    assert behind["head"] >= 1
    project(db, application)
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["lag"] == 0
    http.get("/v1/stats")
    text = http.get("/metrics").text
    assert 'svodka_http_requests_total{method="GET",route="/v1/stats",status="200"}' in text
    assert 'svodka_intake_reports_total{outcome="created"} 1.0' in text
    assert "svodka_projection_position" in text and "svodka_projection_lag_events" in text
    assert str(uuid.UUID(int=0)) not in text
