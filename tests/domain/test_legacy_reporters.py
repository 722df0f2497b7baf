"""Reporters from before references: their events and key row name the HMAC pseudonym itself.

While their key exists they keep it (their flood count and a block still hold); once forgotten,
the pseudonym must never be written again: reporting or voting afterwards gets a new random
reference, as for any new account (docs/THREAT_MODEL.md, "What forgetting cannot reach").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from domain.application import NewReport, Svodka
from domain.errors import DomainError

LEGACY = "5e" * 32  # an HMAC pseudonym, as events of earlier releases carried it


def report(ref: str, reporter: str, kind: str = "detention") -> NewReport:
    return NewReport(
        kind=kind, channel="telegram", client_ref=ref, reporter=reporter, city="Moscow",
        occurred_at=datetime.now(timezone.utc) - timedelta(hours=1),
        detained=2 if kind == "detention" else None, description="у метро",
    )


def stored_by_an_earlier_release(app: Svodka, monkeypatch: pytest.MonkeyPatch, new: NewReport):
    """What a release before references did: the pseudonym as reference and as key subject."""
    with monkeypatch.context() as patch:
        patch.setattr(Svodka, "_reference", lambda self, pseudonym, create: pseudonym)
        return app.submit(new).id


def events_after(app: Svodka, position: int) -> list[str]:
    notes = app.recorder.select_notifications(start=position + 1, limit=10_000)
    return [repr(vars(app.mapper.to_domain_event(n))) for n in notes]


def last_position(app: Svodka) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_forgotten_legacy_reporter_is_never_named_by_the_pseudonym_again(app, monkeypatch):
    old = stored_by_an_earlier_release(app, monkeypatch, report("old", LEGACY))
    assert app.report(old).reporter == LEGACY
    # Until forgotten, they keep it: one reporter, one flood count, one block.
    again = app.submit(report("again", LEGACY)).id
    assert app.report(again).reporter == LEGACY and app.reporter_reference(LEGACY) == LEGACY

    forgotten_at = last_position(app)
    app.forget_reporter(LEGACY, by="reporter")
    assert app.personal_fields(old) == app.personal_fields(again) == "erased"
    # Never blocked, so no Reporter aggregate named them: forgetting does not create one (its id
    # would be computed from the pseudonym, in the clear in the events table).
    assert app.reporter(LEGACY) is None

    later = app.submit(report("later", LEGACY)).id
    checkpoint = app.submit(report("cp", "0c" * 32, kind="checkpoint")).id
    app.confirm_checkpoint(checkpoint, by=LEGACY)
    reference = app.report(later).reporter
    assert reference != LEGACY and re.fullmatch(r"[0-9a-f]{32}", reference)
    assert app.reporter_reference(LEGACY) == reference
    assert app.personal_fields(later) == {"description": "у метро"}
    assert not [e for e in events_after(app, forgotten_at) if LEGACY in e]
    # A second forget erases the new reference's data too, and names nothing.
    app.forget_reporter(LEGACY, by="reporter")
    assert app.personal_fields(later) == "erased"
    assert not [e for e in events_after(app, forgotten_at) if LEGACY in e]


def test_a_blocked_legacy_reporter_is_forgotten_under_their_aggregate_and_then_gets_a_new_reference(app, monkeypatch):
    stored_by_an_earlier_release(app, monkeypatch, report("old", LEGACY))
    app.block_reporter(LEGACY, moderator="anna", reason="flood")  # the aggregate exists from here
    assert app.reporter_reference(LEGACY) == LEGACY  # blocked under the pseudonym, still
    forgotten_at = last_position(app)
    app.forget_reporter(LEGACY, by="reporter")
    assert app.reporter(LEGACY).forgotten
    with pytest.raises(DomainError):
        app.forget_reference(LEGACY, by="reporter")  # once is enough
    later = app.submit(report("later", LEGACY)).id
    assert app.report(later).reporter not in (LEGACY, None)
    # After the Forgotten event itself (which names only the aggregate), nothing names them.
    assert not [e for e in events_after(app, forgotten_at + 1) if LEGACY in e]
