"""Property: over any sequence of moderation decisions, every duplicate points at its group's
root, the root knows its group, and no link makes a cycle, so each group counts once."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.model import Status
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from tests.domain.test_report import detention

decision = st.tuples(
    st.sampled_from(("verify", "reject", "duplicate", "reopen", "retract", "correct")),
    st.integers(0, 7),
    st.integers(0, 7),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(decisions=st.lists(decision, max_size=30))
def test_every_group_points_at_one_root_that_knows_it(keys, decisions):
    app = build_application(keys, None, MemoryKeyStore())
    try:
        ids = [app.submit(detention(client_ref=f"r{i}", reporter=f"{i:064d}")).id for i in range(8)]
        for name, i, j in decisions:
            rid, other = ids[i], ids[j]
            try:
                {
                    "verify": lambda: app.verify(rid, moderator="m"),
                    "reject": lambda: app.reject(rid, moderator="m", reason="r"),
                    "duplicate": lambda: app.mark_duplicate(rid, of=other, moderator="m"),
                    "reopen": lambda: app.reopen(rid, moderator="m", reason="r"),
                    "retract": lambda: app.retract(rid, by=f"{i:064d}"),
                    "correct": lambda: app.correct(rid, by="m", reason="r", detained=j + 1),
                }[name]()
            except DomainError:
                pass
            reports = {r: app.report(r) for r in ids}
            for r in reports.values():
                if r.status is Status.DUPLICATE:
                    root = reports[r.duplicate_of]
                    assert root.status is not Status.DUPLICATE, "a duplicate points at another duplicate"
                    assert r.id in root.duplicates
                else:
                    assert r.duplicate_of is None
                for member in r.duplicates:
                    assert reports[member].duplicate_of == r.id
                    assert r.status in (Status.UNREVIEWED, Status.VERIFIED, Status.RETRACTED)
    finally:
        app.close()
