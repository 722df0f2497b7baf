"""Group commit: a batch is saved in one transaction and each report gets its own outcome."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from api.group_commit import commit, prepare
from domain.application import NewReport, Submission
from domain.errors import IdempotencyConflict, InvalidReport, UnknownPlace
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore

WHEN = datetime.now(timezone.utc) - timedelta(hours=2)
VOLATILE = {"_created_on", "_modified_on", "_pending_events", "sealed"}

CASES = [
    NewReport("detention", "operator:a", "1", WHEN, city="Санкт-Петербург", detained=7, description="Невский"),
    NewReport("checkpoint", "operator:a", "2", WHEN, lat=51.73, lon=36.19),
    NewReport("detention", "operator:a", "3", WHEN, region="rU-nvs", detained=1),
    NewReport("detention", "operator:a", "4", WHEN, region="RU-SVE", lat=56.84, lon=60.6, detained=2),
]


@pytest.fixture
def memory_app(keys):
    app = build_application(keys, None, MemoryKeyStore())
    yield app
    app.close()


@pytest.mark.parametrize("new", CASES, ids=lambda n: n.client_ref)
def test_prepare_builds_what_submit_would_save(memory_app, keys, new):
    """prepare() repeats Svodka.submit's build outside the domain; this pins them together."""
    reference = build_application(keys, None, MemoryKeyStore())
    submitted = reference.report(reference.submit(new).id)
    prepared = prepare(memory_app, new)
    state = {k: v for k, v in vars(prepared).items() if k not in VOLATILE}
    assert state == {k: v for k, v in vars(submitted).items() if k not in VOLATILE}
    memory_app.save(prepared)
    assert memory_app.personal_fields(prepared.id) == reference.personal_fields(submitted.id)
    reference.close()


@pytest.mark.parametrize("new", [
    NewReport("riot", "operator:a", "x", WHEN, city="Moscow"),
    NewReport("detention", "operator:a", "x", WHEN, city="Moscow", detained=0),
    NewReport("detention", "operator:a", "x", WHEN.replace(tzinfo=None), city="Moscow", detained=1),
    NewReport("detention", "operator:a", "x", WHEN, city="Нигде", detained=1),
])
def test_prepare_refuses_what_submit_refuses(memory_app, keys, new):
    reference = build_application(keys, None, MemoryKeyStore())
    with pytest.raises((InvalidReport, UnknownPlace)) as expected:
        reference.submit(new)
    with pytest.raises(type(expected.value)) as got:
        prepare(memory_app, new)
    assert (got.value.message, got.value.field) == (expected.value.message, expected.value.field)
    reference.close()


def test_one_batch_mixes_new_retried_conflicting_and_invalid_reports(application):
    first = NewReport("detention", "operator:a", "old", WHEN, city="Moscow", detained=2)
    existing = application.submit(first)
    batch = [
        NewReport("detention", "operator:a", "n1", WHEN, city="Moscow", detained=5),
        first,  # a retry of a stored report
        NewReport("detention", "operator:a", "old", WHEN, city="Moscow", detained=9),  # same key, new body
        NewReport("detention", "operator:a", "bad", WHEN, city="Moscow", detained=0),
        NewReport("detention", "operator:a", "n2", WHEN, city="Kursk", detained=1),
        NewReport("detention", "operator:a", "n2", WHEN, city="Kursk", detained=1),  # twice in one batch
    ]
    outcomes = commit(application, batch)
    assert isinstance(outcomes[0], Submission) and outcomes[0].created
    assert outcomes[1] == Submission(existing.id, created=False)
    assert isinstance(outcomes[2], IdempotencyConflict)
    assert isinstance(outcomes[3], InvalidReport)
    assert outcomes[4].created and outcomes[5] == Submission(outcomes[4].id, created=False)
    assert application.report(outcomes[0].id).detained == 5
    assert application.report(outcomes[4].id).city == "Kursk"
