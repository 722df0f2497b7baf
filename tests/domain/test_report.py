"""Every Report event and invariant, on both backends (in-memory and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.application import ERASED, NewReport
from domain.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidReport,
    InvalidTransition,
    ReportNotFound,
    UnknownPlace,
)
from domain.model import Kind, Status

NOW = datetime.now(timezone.utc)


def detention(**overrides) -> NewReport:
    fields = dict(
        kind=Kind.DETENTION,
        channel="telegram",
        client_ref="update-1",
        occurred_at=NOW - timedelta(hours=1),
        reporter="p" * 64,
        city="Москва",
        detained=3,
        description="У метро задержали троих",
    )
    fields.update(overrides)
    return NewReport(**fields)


def checkpoint(**overrides) -> NewReport:
    fields = dict(
        kind=Kind.CHECKPOINT,
        channel="telegram",
        client_ref="update-2",
        occurred_at=NOW - timedelta(minutes=10),
        reporter="q" * 64,
        lat=51.7304,
        lon=36.1926,
    )
    fields.update(overrides)
    return NewReport(**fields)


def test_submitted_report_keeps_its_facts(app):
    sub = app.submit(detention())
    assert sub.created
    report = app.report(sub.id)
    assert report.kind is Kind.DETENTION
    assert (report.region, report.city, report.detained) == ("RU-MOW", "Moscow", 3)
    assert report.status is Status.UNREVIEWED
    assert report.occurred_at.tzinfo is not None
    assert app.personal_fields(sub.id) == {"description": "У метро задержали троих"}


def test_checkpoint_keeps_only_a_coarse_point_in_the_clear(app):
    sub = app.submit(checkpoint())
    report = app.report(sub.id)
    assert report.region == "RU-KRS"
    assert (report.coarse_lat, report.coarse_lon) != (51.7304, 36.1926)
    assert abs(report.coarse_lat - 51.7304) < 0.01
    assert report.sealed and "51.7304" not in report.sealed
    assert app.personal_fields(sub.id) == {"lat": 51.7304, "lon": 36.1926}


def test_retry_with_same_reference_finds_the_same_report(app):
    first = app.submit(detention())
    again = app.submit(detention())
    assert again.id == first.id and not again.created
    assert app.report(first.id).version == 1


def test_same_reference_with_a_different_body_conflicts(app):
    app.submit(detention())
    with pytest.raises(IdempotencyConflict):
        app.submit(detention(detained=4))
    with pytest.raises(IdempotencyConflict):
        app.submit(detention(description="другое"))


def test_different_channels_never_share_an_id(app):
    a = app.submit(detention(channel="telegram"))
    b = app.submit(detention(channel="operator:hotline"))
    assert a.id != b.id


@pytest.mark.parametrize("count", [0, -1, 10_001, True, "3"])
def test_detained_count_is_from_1_to_10000(app, count):
    with pytest.raises(InvalidReport) as caught:
        app.submit(detention(detained=count))
    assert caught.value.field == "detained"


def test_detained_count_bounds_are_accepted(app):
    assert app.submit(detention(client_ref="a", detained=1)).created
    assert app.submit(detention(client_ref="b", detained=10_000)).created


def test_detention_needs_a_count_and_checkpoint_has_none(app):
    with pytest.raises(InvalidReport):
        app.submit(detention(detained=None))
    with pytest.raises(InvalidReport):
        app.submit(checkpoint(detained=2))


def test_time_in_the_future_is_refused_beyond_clock_skew(app):
    with pytest.raises(InvalidReport) as caught:
        app.submit(detention(occurred_at=NOW + timedelta(hours=1)))
    assert caught.value.field == "occurred_at"
    assert app.submit(detention(occurred_at=NOW + timedelta(minutes=2))).created


def test_naive_time_is_refused(app):
    with pytest.raises(InvalidReport):
        app.submit(detention(occurred_at=datetime(2026, 1, 1, 12, 0)))


def test_description_over_limit_is_refused(app):
    with pytest.raises(InvalidReport) as caught:
        app.submit(detention(description="x" * 4001))
    assert caught.value.field == "description"


def test_unknown_region_and_city_are_refused(app):
    with pytest.raises(UnknownPlace):
        app.submit(detention(city=None, region="RU-XXX"))
    with pytest.raises(UnknownPlace):
        app.submit(detention(city="Атлантида"))


def test_day_is_the_local_date_where_it_happened(app):
    evening = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)  # 23:30 in Novosibirsk
    nsk = app.submit(detention(client_ref="n", city="Новосибирск", occurred_at=evening))
    msk = app.submit(detention(client_ref="m", city="Moscow", occurred_at=evening))
    assert app.report(nsk.id).local_day == "2026-03-01"
    assert app.report(msk.id).local_day == "2026-03-01"
    late = datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc)  # 00:30 next day in Novosibirsk
    nsk2 = app.submit(detention(client_ref="n2", city="Новосибирск", occurred_at=late))
    assert app.report(nsk2.id).local_day == "2026-03-02"


def test_verify_records_who_and_why(app):
    rid = app.submit(detention()).id
    app.verify(rid, moderator="anna", note="video seen")
    report = app.report(rid)
    assert report.status is Status.VERIFIED
    assert report.decisions[-1] == ("anna", "verified", "video seen")
    with pytest.raises(InvalidTransition):
        app.verify(rid, moderator="boris")


def test_rejected_or_duplicate_cannot_be_verified(app):
    original = app.submit(detention(client_ref="orig")).id
    rejected = app.submit(detention(client_ref="r")).id
    duplicate = app.submit(detention(client_ref="d")).id
    app.reject(rejected, moderator="anna", reason="staged photo")
    app.mark_duplicate(duplicate, of=original, moderator="anna")
    for rid in (rejected, duplicate):
        with pytest.raises(InvalidTransition):
            app.verify(rid, moderator="anna")
    assert app.report(duplicate).duplicate_of == original
    assert app.report(rejected).decisions[-1] == ("anna", "rejected", "staged photo")


def test_reject_needs_a_reason_and_duplicate_needs_a_real_other_report(app):
    rid = app.submit(detention()).id
    with pytest.raises(InvalidReport):
        app.reject(rid, moderator="anna", reason="  ")
    with pytest.raises(InvalidTransition):
        app.mark_duplicate(rid, of=rid, moderator="anna")
    with pytest.raises(ReportNotFound):
        from uuid import uuid4

        app.mark_duplicate(rid, of=uuid4(), moderator="anna")


def test_retracted_report_accepts_no_further_change(app):
    reporter = "p" * 64
    rid = app.submit(detention(reporter=reporter)).id
    with pytest.raises(InvalidTransition):
        app.retract(rid, by="someone else")
    app.retract(rid, by=reporter)
    assert app.report(rid).status is Status.RETRACTED
    for attempt in (
        lambda: app.verify(rid, moderator="anna"),
        lambda: app.reject(rid, moderator="anna", reason="x"),
        lambda: app.correct(rid, by="anna", reason="typo", detained=5),
        lambda: app.retract(rid, by=reporter),
    ):
        with pytest.raises(InvalidTransition):
            attempt()


def test_correction_replaces_the_countable_facts(app):
    rid = app.submit(detention()).id
    app.correct(rid, by="anna", reason="hotline recount", detained=7, city="Санкт-Петербург")
    report = app.report(rid)
    assert (report.detained, report.region, report.city) == (7, "RU-SPE", "Saint Petersburg")
    with pytest.raises(InvalidReport):
        app.correct(rid, by="anna", reason="oops", detained=0)


def test_only_checkpoints_are_confirmed_or_cleared(app):
    rid = app.submit(detention()).id
    with pytest.raises(InvalidReport):
        app.confirm_checkpoint(rid, by="x" * 64)
    with pytest.raises(InvalidReport):
        app.clear_checkpoint(rid, by="x" * 64)


def test_checkpoint_is_confirmed_then_cleared_by_two_distinct_others(app):
    rid = app.submit(checkpoint()).id
    app.confirm_checkpoint(rid, by="x" * 64)
    app.clear_checkpoint(rid, by="y" * 64)
    assert not app.report(rid).cleared  # one "gone" from someone else is a vote, not an end
    app.clear_checkpoint(rid, by="y" * 64)
    assert not app.report(rid).cleared  # the same pseudonym again counts once
    app.clear_checkpoint(rid, by="z" * 64)
    assert app.report(rid).cleared
    with pytest.raises(InvalidTransition):
        app.confirm_checkpoint(rid, by="w" * 64)


def test_one_still_there_per_pseudonym_however_often_it_is_tapped(app):
    rid = app.submit(checkpoint()).id
    before = app.report(rid).version
    for _ in range(3):
        app.confirm_checkpoint(rid, by="x" * 64)
    assert app.report(rid).version == before + 1
    confirmed = [e for e in app.repository.event_store.get(rid) if type(e).__name__ == "Confirmed"]
    assert len(confirmed) == 1 and confirmed[0].seen_at is not None


def test_a_vote_says_whether_it_counted_so_a_repeat_is_never_thanked_for(app):
    rid = app.submit(checkpoint()).id
    assert app.confirm_checkpoint(rid, by="x" * 64) is True
    assert app.confirm_checkpoint(rid, by="x" * 64) is False
    assert app.clear_checkpoint(rid, by="x" * 64) is True  # "gone" is a vote of its own kind
    assert app.clear_checkpoint(rid, by="x" * 64) is False
    assert app.confirm_checkpoint(rid, by="y" * 64) is True
    assert app.report(rid).still_there == {app.reporter_reference("x" * 64), app.reporter_reference("y" * 64)}


def test_gone_from_the_reporter_or_a_moderator_ends_a_checkpoint_at_once(app):
    reporter = "c" * 64
    own = app.submit(checkpoint(reporter=reporter)).id
    app.clear_checkpoint(own, by=reporter)
    assert app.report(own).cleared
    other = app.submit(checkpoint(reporter=reporter, client_ref="second")).id
    app.clear_checkpoint_as_moderator(other, moderator="anna")
    assert app.report(other).cleared
    assert ("anna", "cleared", None) in app.report(other).decisions
    with pytest.raises(InvalidReport):
        app.confirm_checkpoint(app.submit(checkpoint(client_ref="third")).id, by=None)


def test_stale_version_is_a_conflict(app):
    rid = app.submit(detention()).id
    seen = app.report(rid).version
    app.verify(rid, moderator="anna", expected_version=seen)
    with pytest.raises(Conflict):
        app.reject(rid, moderator="boris", reason="fake", expected_version=seen)


def test_unknown_report_is_not_found(app):
    from uuid import uuid4

    with pytest.raises(ReportNotFound):
        app.verify(uuid4(), moderator="anna")


def test_reporter_block_unblock_and_forget(app):
    pseudonym = "p" * 64
    rid = app.submit(detention(reporter=pseudonym)).id
    reference = app.report(rid).reporter
    # Events name a random reference, never the pseudonym or anything computed from it.
    assert reference == app.reporter_reference(pseudonym) and reference != pseudonym and len(reference) == 32
    app.block_reporter(reference, moderator="anna", reason="flood of fakes")
    assert app.reporter(reference).blocked
    with pytest.raises(InvalidTransition):
        app.block_reporter(reference, moderator="anna", reason="again")
    app.unblock_reporter(reference, moderator="boris", reason="appeal accepted")
    assert not app.reporter(reference).blocked
    app.forget_reporter(pseudonym, by="reporter")
    assert app.reporter(reference).forgotten
    assert app.reporter_reference(pseudonym) is None  # the link is gone with the key
    assert app.personal_fields(rid) == ERASED
    report = app.report(rid)
    assert (report.region, report.detained) == ("RU-MOW", 3)
    # A retry after forgetting still recognises the same submission by its facts.
    assert not app.submit(detention(reporter=pseudonym)).created
    # Forgetting again finds nothing to forget, and stores nothing that names the pseudonym.
    assert app.forget_reporter(pseudonym, by="reporter") == 0
    assert app.reporter(pseudonym) is None


def test_a_reporter_keeps_one_reference_until_forgotten(app):
    first = app.submit(detention(reporter="q" * 64)).id
    second = app.submit(detention(reporter="q" * 64, client_ref="again")).id
    other = app.submit(detention(reporter="r" * 64, client_ref="other")).id
    assert app.report(first).reporter == app.report(second).reporter != app.report(other).reporter
    app.forget_reporter("q" * 64, by="reporter")
    later = app.submit(detention(reporter="q" * 64, client_ref="later")).id
    assert app.report(later).reporter not in (None, app.report(first).reporter)
    # Only the sender may retract, and a forgotten sender is no longer known as one.
    with pytest.raises(InvalidTransition):
        app.retract(first, by="q" * 64)
    app.retract(later, by="q" * 64)


def test_one_batch_mixes_new_retried_conflicting_and_invalid_reports(app):
    from domain.application import Submission

    first = detention(channel="operator:a", client_ref="old", reporter=None)
    existing = app.submit(first)
    batch = [
        detention(channel="operator:a", client_ref="n1", reporter=None, detained=5),
        first,  # a retry of a stored report
        detention(channel="operator:a", client_ref="old", reporter=None, detained=9),  # same key, new body
        detention(channel="operator:a", client_ref="bad", reporter=None, detained=0),
        detention(channel="operator:a", client_ref="n2", reporter=None, city="Kursk", detained=1),
        detention(channel="operator:a", client_ref="n2", reporter=None, city="Kursk", detained=1),  # twice
    ]
    outcomes = app.submit_many(batch)
    assert isinstance(outcomes[0], Submission) and outcomes[0].created
    assert outcomes[1] == Submission(existing.id, created=False)
    assert isinstance(outcomes[2], IdempotencyConflict)
    assert isinstance(outcomes[3], InvalidReport)
    assert outcomes[4].created and outcomes[5] == Submission(outcomes[4].id, created=False)
    assert app.report(outcomes[0].id).detained == 5
    assert app.report(outcomes[4].id).city == "Kursk"


def test_a_batch_builds_what_submit_builds(app):
    new = checkpoint(channel="operator:a", client_ref="cp", reporter=None, description="двое у поста")
    [outcome] = app.submit_many([new])
    report = app.report(outcome.id)
    assert (report.region, report.kind, report.coarse_lat) == ("RU-KRS", Kind.CHECKPOINT, round(51.7304, 2))
    assert app.personal_fields(outcome.id) == {"lat": 51.7304, "lon": 36.1926, "description": "двое у поста"}
    assert not app.submit(new).created


def test_the_time_it_happened_is_kept_to_the_minute(app):
    """Seconds would be the moment the reporter pressed "now", which audit exports publish."""
    exact = NOW - timedelta(minutes=30, seconds=17, microseconds=4)
    rid = app.submit(detention(occurred_at=exact, client_ref="exact")).id
    assert app.report(rid).occurred_at == exact.replace(second=0, microsecond=0)
