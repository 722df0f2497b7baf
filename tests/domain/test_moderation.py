"""Moderation decisions that can be corrected: reopen, re-point, validated duplicate links."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import Conflict, InvalidReport, InvalidTransition, ReportNotFound
from domain.model import Status
from tests.domain.test_report import NOW, checkpoint, detention


def three(app, **overrides):
    return [app.submit(detention(client_ref=f"d{i}", **overrides)).id for i in range(3)]


def test_a_duplicate_of_a_duplicate_points_at_the_root_and_says_so(app):
    a, b, c = three(app)
    app.mark_duplicate(b, of=a, moderator="anna")
    linked = app.mark_duplicate(c, of=b, moderator="anna")
    assert (linked.of, linked.asked) == (a, b)
    assert app.report(c).duplicate_of == a
    assert app.report(a).duplicates == {b, c}


def test_a_root_that_becomes_a_duplicate_brings_its_group_along(app):
    a, b, c = three(app)
    app.mark_duplicate(b, of=a, moderator="anna")
    linked = app.mark_duplicate(a, of=c, moderator="anna")
    assert linked.moved == (b,)
    assert {app.report(i).duplicate_of for i in (a, b)} == {c}
    assert app.report(c).duplicates == {a, b} and app.report(a).duplicates == set()


def test_links_that_would_cycle_or_cross_kinds_or_point_at_nothing_are_refused(app):
    a, b, _ = three(app)
    app.mark_duplicate(b, of=a, moderator="anna")
    with pytest.raises(InvalidTransition, match="cycle"):
        app.mark_duplicate(a, of=b, moderator="anna")
    with pytest.raises(InvalidTransition):
        app.mark_duplicate(a, of=a, moderator="anna")
    cp = app.submit(checkpoint()).id
    with pytest.raises(InvalidReport, match="same kind"):
        app.mark_duplicate(cp, of=a, moderator="anna")
    with pytest.raises(ReportNotFound):
        app.mark_duplicate(a, of=uuid4(), moderator="anna")


def test_a_link_to_a_rejected_or_retracted_report_is_refused(app):
    a, b, c = three(app)
    app.reject(a, moderator="anna", reason="fake")
    with pytest.raises(InvalidTransition, match="rejected"):
        app.mark_duplicate(b, of=a, moderator="anna")
    app.retract(c, by="p" * 64)
    with pytest.raises(InvalidTransition, match="retracted"):
        app.mark_duplicate(b, of=c, moderator="anna")


def test_far_apart_reports_are_linked_only_with_a_reason(app):
    moscow = app.submit(detention(client_ref="m")).id
    novosibirsk = app.submit(detention(client_ref="n", city="Новосибирск")).id
    last_week = app.submit(detention(client_ref="w", occurred_at=NOW - timedelta(days=6))).id
    for far in (novosibirsk, last_week):
        with pytest.raises(InvalidReport, match="give a reason") as refused:
            app.mark_duplicate(far, of=moscow, moderator="anna")
        assert refused.value.field == "reason"
    app.mark_duplicate(last_week, of=moscow, moderator="anna", reason="the same arrests, entered late")
    assert app.report(last_week).status is Status.DUPLICATE


def test_rejecting_a_root_is_refused_naming_its_duplicates_until_they_are_resolved(app):
    a, b, c = three(app)
    app.mark_duplicate(b, of=a, moderator="anna")
    app.mark_duplicate(c, of=a, moderator="anna")
    with pytest.raises(InvalidTransition) as refused:
        app.reject(a, moderator="anna", reason="fake")
    assert str(b) in refused.value.message and str(c) in refused.value.message
    app.reopen(b, moderator="anna", reason="not the same")
    app.mark_duplicate(c, of=b, moderator="anna")  # re-pointed
    assert app.report(a).duplicates == set() and app.report(b).duplicates == {c}
    app.reject(a, moderator="anna", reason="fake")
    assert app.report(a).status is Status.REJECTED


def test_reopen_returns_any_decision_to_unreviewed_and_the_history_keeps_every_step(app):
    a, b, c = three(app)
    app.verify(a, moderator="anna")
    app.reject(b, moderator="anna", reason="fake")
    app.mark_duplicate(c, of=a, moderator="anna")
    for rid in (a, b, c):
        version = app.report(rid).version
        app.reopen(rid, moderator="boris", reason="decided too fast", expected_version=version)
        assert app.report(rid).status is Status.UNREVIEWED
    assert app.report(c).duplicate_of is None and app.report(a).duplicates == set()
    with pytest.raises(InvalidTransition):
        app.reopen(a, moderator="boris", reason="again")
    with pytest.raises(InvalidReport):
        app.reopen(a, moderator="boris", reason=" ")
    app.verify(b, moderator="boris")
    steps = [(h.action, h.by, h.why) for h in app.history(b)]
    assert steps == [
        ("submitted", "telegram", None),
        ("rejected", "anna", "fake"),
        ("reopened", "boris", "decided too fast"),
        ("verified", "boris", None),
    ]
    times = [h.at for h in app.history(b)]
    assert times == sorted(times)


def test_reopen_on_a_changed_version_is_a_conflict(app):
    a, *_ = three(app)
    seen = app.report(a).version
    app.verify(a, moderator="anna", expected_version=seen)
    with pytest.raises(Conflict):
        app.reopen(a, moderator="boris", reason="x", expected_version=seen)


def test_an_operator_retracts_only_what_it_sent(app):
    rid = app.submit(detention(channel="operator:hotline", reporter=None)).id
    with pytest.raises(InvalidTransition):
        app.retract(rid, by="operator:other")
    app.retract(rid, by="operator:hotline", reason="caller withdrew it")
    assert app.report(rid).status is Status.RETRACTED
    assert app.history(rid)[-1].why == "caller withdrew it"
    with pytest.raises(ReportNotFound):
        app.sent_by(rid, "operator:other")
    assert app.sent_by(rid, "operator:hotline").id == rid
