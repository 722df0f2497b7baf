"""What forgetting leaves of a reporter from before references, exactly as docs/THREAT_MODEL.md
("What forgetting cannot reach") says: their pseudonym stays inside their old events and in the
read model built from them, and their audit pseudonym on their old facts; nothing else, and no
aggregate id, key row, Redis key or log line (their key row is gone, and the forget wrote nothing
naming them). If this changes, change the threat model with it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from dataclasses import replace

from domain.application import Svodka
from infra.bot_part import pseudonymizer, wire
from projections.projector import connect
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import BOT_ID, FakeUser
from tests.bot.test_forget_unlinks import derived_forms, everything_stored


def tables_holding(dump: str, value: str) -> set[str]:
    """The tables whose COPY data in a pg_dump holds `value`."""
    found, table = set(), None
    for line in dump.splitlines():
        copy = re.match(r"COPY [^.]+\.(\w+) ", line)
        if copy:
            table = copy[1]
        elif line == "\\.":
            table = None
        elif value in line:
            found.add(table or "(outside table data)")
    return found


@pytest.mark.slow
async def test_forgetting_a_reporter_from_before_references_leaves_only_what_the_threat_model_says(
    tg, bot, db, keys, pg_app, read_model, redis, tmp_path: Path, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    client, prefix = redis
    dp = wire(pg_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
    user = FakeUser(tg, 7_770_009)
    h = Harness(tg, dp, bot, pg_app, user)
    with monkeypatch.context() as earlier_release:  # events and key row named by the pseudonym
        earlier_release.setattr(Svodka, "_reference", lambda self, pseudonym, create: pseudonym)
        await h.detention_summary(count="2", description="в автозаке у метро")
        assert "сохранён" in await h.tap("Подтвердить")
    pseudonym = pseudonymizer(keys)(user.id)
    [report] = h.reports()
    assert report.reporter == pseudonym

    await h.say("/forget")
    assert "стёрты" in await h.tap("Да, стереть")
    assert pg_app.personal_fields(report.id) == "erased"

    places = await everything_stored(db, pg_app, keys, client, prefix, tmp_path, caplog)
    dump = places["pg_dump"]
    forms = derived_forms(keys, user.id, BOT_ID, prefix)
    remaining = {(form, place) for form, value in forms.items() for place, text in places.items() if value in text}
    assert remaining == {
        ("pseudonym", "decrypted events"),  # their old Report.Submitted: reporter and subject
        ("pseudonym", "pg_dump"),  # the read model, below
        ("audit pseudonym", "audit export"),  # their old facts, as chained
    }
    assert tables_holding(dump, pseudonym) <= {"rm_reports", "rm_abuse"}

    # The operator's remedy (THREAT_MODEL.md, "What an operator can do"): a new SVODKA_SECRET, every
    # copy of the old one destroyed. The server then holds keys under which nothing stored is
    # computable from the account: the residue above is an HMAC under a key nobody has. The
    # report still counts (forgetting moves no figure), and the audit keys, not the secret, keep
    # the chain, the heads and the export's facts as they were.
    rotated = replace(keys, secret=b"a new secret after the old one leaked" * 2)
    assert pseudonymizer(rotated)(user.id) != pseudonym
    after = await everything_stored(db, pg_app, rotated, client, prefix, tmp_path, caplog)
    for form, value in derived_forms(rotated, user.id, BOT_ID, prefix).items():
        for place, text in after.items():
            assert value not in text, f"the {form} under the new secret is in the {place}"
    conn = await connect(db.url, db.schema, "svodka-forget-legacy-test")
    try:
        assert await conn.fetchval("SELECT count(*) FROM rm_reports WHERE id = $1", report.id) == 1
    finally:
        await conn.close()
