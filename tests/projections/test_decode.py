"""The projector's decoder gives what the application's mapper gives, event for event."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent

from domain.report import Report
from domain.reporter import Reporter
from infra.bootstrap import build_application
from infra.keys import Keys
from projections.decode import decoder, mirrored

AT = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


class Thing(Aggregate):
    """An aggregate whose event was stored at class version 1 and is read at version 2."""

    class Happened(Aggregate.Event):
        class_version = 2
        size: int

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["size"] = len(state.pop("name"))


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return build_application(Keys(secret=os.urandom(32), master_key=os.urandom(32)), None).mapper


def domain_events() -> list:
    report = Report(
        id=uuid.uuid4(), kind="detention", channel="telegram", reporter="r" * 64, region="RU-MOW",
        city="Moscow", occurred_at=AT - timedelta(hours=1), local_day="2026-03-01", detained=3,
        coarse_lat=55.75, coarse_lon=37.61, subject="r" * 64, sealed="sealed-text",
    )  # fmt: skip
    report.correct(by="m", reason="recount", detained=4, region="RU-SPE", city=None, occurred_at=AT,
                   local_day="2026-03-01", coarse_lat=None, coarse_lon=None)  # fmt: skip
    report.verify("m", "seen")
    report.reopen("m", "too fast")
    report.reject("m", "fake")
    report.attach_duplicate(uuid.uuid4())
    report.reopen("m", "again")
    report.mark_duplicate("m", uuid.uuid4(), None)
    report.mark_duplicate("m", uuid.uuid4(), "re-pointed")
    checkpoint = Report(
        id=uuid.uuid4(), kind="checkpoint", channel="operator", reporter=None, region="RU-KRS", city="Курск",
        occurred_at=AT, local_day="2026-03-01", detained=None, coarse_lat=51.7, coarse_lon=36.2,
        subject="operator", sealed=None,
    )  # fmt: skip
    checkpoint.confirm(by="y" * 64, seen_at=AT)
    checkpoint.clear(by="x" * 64, seen_at=AT)
    checkpoint.clear_as_moderator("m", AT)
    reporter = Reporter(pseudonym="p" * 64)
    reporter.block("m", "flood")
    reporter.unblock("m", "appeal")
    return report.collect_events() + checkpoint.collect_events() + reporter.collect_events()


def rows(mapper: Mapper, events: list) -> list[tuple]:
    stored = [mapper.to_stored_event(e) for e in events]
    return [(i, s.originator_id, s.originator_version, s.topic, s.state) for i, s in enumerate(stored, 1)]


def library(mapper: Mapper, batch: list[tuple]) -> list:
    return [mapper.to_domain_event(StoredEvent(r[1], r[2], r[3], r[4])) for r in batch]


def same(ours: list, theirs: list) -> None:
    assert [type(e) for e in ours] == [type(e) for e in theirs]
    assert [e.__dict__ for e in ours] == [e.__dict__ for e in theirs]


def test_every_domain_event_decodes_as_the_mapper_decodes_it(mapper):
    assert mirrored(mapper)  # svodka's configuration takes the fast path
    batch = rows(mapper, domain_events())
    ours = decoder(mapper)(batch)
    same(ours, library(mapper, batch))
    assert {type(e) for e in ours} >= {Report.Submitted, Report.Corrected, Report.Confirmed, Reporter.Blocked}
    assert ours[0].occurred_at == AT - timedelta(hours=1) and ours[0].sealed == "sealed-text"


def test_string_ids_are_converted_and_old_versions_upcast(mapper):
    event_id = uuid.uuid4()
    state = mapper.transcoder.encode({"timestamp": AT, "originator_topic": "x", "name": "abcd"})  # version 1
    sealed = mapper.cipher.encrypt(mapper.compressor.compress(state))
    batch = [(1, str(event_id), 1, f"{__name__}:Thing.Happened", sealed)]
    ours = decoder(mapper)(batch)
    same(ours, library(mapper, batch))
    assert ours[0].size == 4 and ours[0].originator_id == event_id and "class_version" not in ours[0].__dict__


def test_json_with_surrounding_whitespace_takes_the_library_path(mapper):
    sealed = mapper.cipher.encrypt(mapper.compressor.compress(b' {"timestamp": {"_type_": "datetime_iso", '
                                                              b'"_data_": "2026-03-01T12:00:00+00:00"}, "by": null} '))  # fmt: skip
    batch = [(1, uuid.uuid4(), 2, "domain.report:Report.Confirmed", sealed)]
    same(decoder(mapper)(batch), library(mapper, batch))


def test_damaged_events_fail_as_in_the_mapper(mapper):
    good = rows(mapper, domain_events()[:1])[0]
    for state in (good[4][:20], good[4][:-1] + bytes([good[4][-1] ^ 1])):
        batch = [(*good[:4], state)]
        with pytest.raises(MapperDeserialisationError):
            library(mapper, batch)
        with pytest.raises(MapperDeserialisationError, match="originator_version 1"):
            decoder(mapper)(batch)


def test_a_mapper_it_does_not_mirror_is_used_as_it_is(mapper):
    class Counting(Mapper):
        calls = 0

        def to_domain_event(self, stored_event):
            Counting.calls += 1
            return super().to_domain_event(stored_event)

    other = Counting(transcoder=mapper.transcoder, cipher=mapper.cipher, compressor=mapper.compressor)
    assert not mirrored(other)
    batch = rows(mapper, domain_events())
    same(decoder(other)(batch), library(mapper, batch))
    assert Counting.calls == len(batch)


def test_votes_and_retractions_stored_before_v2_are_upcast_alike_on_both_paths(mapper):
    """v1 "still there"/"gone" had no time of observation and every "gone" ended the checkpoint."""
    cp = Report(
        id=uuid.uuid4(), kind="checkpoint", channel="telegram", reporter="r" * 64, region="RU-KRS", city=None,
        occurred_at=AT, local_day="2026-03-01", detained=None, coarse_lat=None, coarse_lon=None,
        subject="r" * 64, sealed=None,
    )  # fmt: skip
    cp.confirm(by="y" * 64, seen_at=AT)
    cp.clear(by="x" * 64, seen_at=AT)
    cp.retract(by="r" * 64, reason="mistake")
    batch = []
    for i, event in enumerate(cp.collect_events()[1:], 1):
        state = {k: v for k, v in event.__dict__.items() if k not in ("seen_at", "ends", "moderator", "reason")}
        stored = mapper.to_stored_event(event)
        # The same event as a v1 release stored it: without the v2 fields and without class_version.
        legacy = type(event).__new__(type(event))
        legacy.__dict__.update(state)
        original = type(event).class_version
        type(event).class_version = 1
        try:
            v1 = mapper.to_stored_event(legacy)
        finally:
            type(event).class_version = original
        batch.append((i, v1.originator_id, v1.originator_version, v1.topic, v1.state))
        assert stored.topic == v1.topic
    ours = decoder(mapper)(batch)
    same(ours, library(mapper, batch))
    confirmed, cleared, retracted = ours
    assert confirmed.seen_at is None and confirmed.by == "y" * 64
    assert (cleared.seen_at, cleared.ends, cleared.moderator) == (None, True, None)
    assert retracted.reason is None
