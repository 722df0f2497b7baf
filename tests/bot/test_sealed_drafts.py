"""A draft in Redis holds what the reporter typed (city, description) for up to an hour, and an
operator's Redis may write it to disk (RDB, AOF): it is sealed like every other free text at rest."""

from __future__ import annotations

import json

from tests.bot.test_phone import DESCRIPTION, NEUTRAL_RU, detention_up_to_summary, redis_harness  # noqa: F401 - the fixture

from bot.drafts import DraftSeal


async def test_a_draft_in_redis_holds_neither_the_city_nor_the_description_in_plain_form(redis_harness):
    h, client, prefix = redis_harness
    await detention_up_to_summary(h)  # typed: Екатеринбург, 17 and DESCRIPTION
    stored = b"".join([await client.get(k) or b"" async for k in client.scan_iter(f"{prefix}:fsm:*")])
    assert stored, "no draft in Redis"
    for typed_text in ("Екатеринбург", DESCRIPTION.split()[0], "А123ВС"):
        for form in (typed_text.encode(), json.dumps(typed_text)[1:-1].encode()):  # as typed, as JSON escapes it
            assert form not in stored, typed_text
    # ... and the conversation still reads it back: Confirm stores the report with its description.
    assert await h.tap("Подтвердить") == NEUTRAL_RU
    [report] = h.reports()
    assert report.city == "Yekaterinburg" and report.detained == 17
    assert h.app.personal_fields(report.id) == {"description": DESCRIPTION}


def test_a_seal_opens_what_it_sealed_and_not_what_another_key_sealed():
    seal, other = DraftSeal(b"k" * 32), DraftSeal(b"o" * 32)
    data = {"city": "Екатеринбург", "description": DESCRIPTION, "count": 17}
    assert seal.loads(seal.dumps(data)) == data
    assert other.loads(seal.dumps(data)) == {}  # sealed before a key rotation: gone, as after its hour
    assert seal.loads('{"city": "Тверь"}') == {"city": "Тверь"}  # written before drafts were sealed
