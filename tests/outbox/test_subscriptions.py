"""What partners subscribe to besides bulletins: checkpoint alerts and debounced figure changes per region."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.application import NewReport
from tests.api.conftest import settled
from tests.outbox.conftest import drain_until, settle
from tests.outbox.test_delivery import register

NOW = datetime.now(timezone.utc)


def checkpoint(ref: str, reporter: str = "submitter") -> NewReport:
    return NewReport(kind="checkpoint", channel="t", client_ref=ref, occurred_at=NOW, lat=51.73, lon=36.19,
                     reporter=reporter)


async def test_a_checkpoint_alert_when_two_reporters_confirm_and_gone_when_cleared(
    application, conn, follower, sender, pool, receiver, http
):
    register(http, receiver.url, topics=("checkpoints",), regions=("RU-KRS",))
    other_region = register(http, receiver.url.replace("/hook", "/other"), topics=("checkpoints",), regions=("RU-MOW",))
    await settle(conn, application, follower)
    rid = application.submit(checkpoint("cp")).id
    application.confirm_checkpoint(rid, by="first")
    application.confirm_checkpoint(rid, by="first")  # the same reporter twice is one confirmation
    await settle(conn, application, follower)
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    application.confirm_checkpoint(rid, by="second")
    application.confirm_checkpoint(rid, by="third")  # already credible: no second alert
    application.verify(rid, moderator="anna")
    await settle(conn, application, follower)
    application.clear_checkpoint(rid, by="fourth")  # one stranger's "gone" does not end it
    await settle(conn, application, follower)
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
    application.clear_checkpoint(rid, by="submitter")  # its own reporter's does
    await settle(conn, application, follower)
    await drain_until(sender, pool, lambda: len(receiver.received) == 2)
    kinds = [(p["type"], p["data"]["why"]) for _, _, p in receiver.received]
    assert kinds == [("checkpoint.credible", "confirmed"), ("checkpoint.gone", "ended")]
    alert = receiver.received[0][2]["data"]
    assert abs(alert["lat"] - 51.73) < 0.02 and abs(alert["lon"] - 36.19) < 0.02 and alert["city"] == "Kursk"
    assert "first" not in receiver.received[0][1].decode()  # no pseudonyms go out
    targets = {r["target"] for r in await conn.fetch("SELECT target FROM outbox")}
    assert len(targets) == 1 and other_region["id"] not in str(targets)  # Moscow's subscriber got nothing


async def test_figure_changes_are_debounced_per_region(application, conn, follower, sender, pool, receiver, http):
    register(http, receiver.url, topics=("figures",))
    await settle(conn, application, follower)
    for i, (city, n) in enumerate((("Москва", 3), ("Москва", 4), ("Курск", 1))):
        application.submit(NewReport(kind="detention", channel="t", client_ref=f"d{i}", city=city, detained=n,
                                     occurred_at=NOW - timedelta(minutes=30)))  # fmt: skip
    await settle(conn, application, follower)
    # The changes were recorded just now; the module's NOW may be minutes old when this test runs.
    now = datetime.now(timezone.utc)
    assert await follower.flush_figures(conn) == 0  # not quiet for the debounce period yet
    assert await follower.flush_figures(conn, now + timedelta(minutes=5)) == 2  # one per region
    assert await follower.flush_figures(conn, now + timedelta(minutes=10)) == 0
    await drain_until(sender, pool, lambda: len(receiver.received) == 2)
    by_region = {p["data"]["region"]: p for _, _, p in receiver.received}
    assert set(by_region) == {"RU-MOW", "RU-KRS"}
    moscow = by_region["RU-MOW"]
    stats = settled(http, moscow["as_of"]["position"], region="RU-MOW").json()
    assert moscow["data"]["total"] == stats["total"] and moscow["data"]["total"]["unverified"] == 7
