"""The flood rule in the auditor's fold when recorded times come out of order: a pseudonym's
latest clock hour is counted as it goes, an earlier one is counted again from its reports
(infra/audit/fold.py, `_submissions`), and a report submitted twice counts twice in its hour."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from infra.audit.fold import Fold

DAY = "2026-11-29"


def submitted(fold: Fold, position: int, report: str, at: str, reporter: str = "p" * 32) -> None:
    fold.apply(position, report, {"type": "Report.Submitted", "recorded_at": at, "kind": "detention",
                                  "reporter": reporter, "local_day": DAY, "region": "RU-MOW", "city": "Moscow",
                                  "occurred_at": at, "detained": 1})  # fmt: skip


def test_an_hour_revisited_out_of_order_still_holds_the_eleventh():
    fold, ids = Fold(), [str(uuid.uuid4()) for _ in range(13)]
    for i in range(10):
        submitted(fold, i + 1, ids[i], f"2026-11-29T10:{i:02d}:00+00:00")
    submitted(fold, 11, ids[10], "2026-11-29T11:05:00+00:00")  # the pseudonym's latest hour moves on
    submitted(fold, 12, ids[11], "2026-11-29T10:50:00+00:00")  # the 11th of 10:00, recorded late
    submitted(fold, 13, ids[12], "2026-11-29T15:50:00+05:00")  # 10:50 UTC too, written with an offset
    assert fold.figures("detention")[()] == (0, 11, 11)  # the 11th and 12th of 10:00 are held
    fold.apply(14, ids[11], {"type": "Report.Verified", "recorded_at": "2026-11-29T11:10:00+00:00"})
    assert fold.figures("detention")[()] == (1, 11, 12)  # held only until verified


def test_a_report_submitted_twice_counts_twice_in_its_hour():
    fold, ids = Fold(), [str(uuid.uuid4()) for _ in range(10)]
    for i in range(10):
        submitted(fold, i + 1, ids[i], f"2026-11-29T10:{i:02d}:00+00:00")
    submitted(fold, 11, ids[0], "2026-11-29T11:00:00+00:00")  # again, in the next hour: not held
    submitted(fold, 12, ids[1], "2026-11-29T10:30:00+00:00")  # again, in 10:00: the 12th there
    assert fold.figures("detention")[()] == (0, 9, 9)
    assert fold.position_at(datetime(2026, 11, 29, 12, tzinfo=timezone.utc)) == 12
