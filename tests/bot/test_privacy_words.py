"""/privacy and /forget promise what docs/THREAT_MODEL.md grants, and nothing it does not.

The threat model's table "What the bot tells reporters" lists each promise with the words the bot
must use in each language and the section it rests on. Change the bot's text or drop a section,
and this fails until the other side follows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.bot_part import wire
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import FakeUser

THREAT_MODEL = Path(__file__).parents[2] / "docs" / "THREAT_MODEL.md"
# Words the threat model contradicts: the code can be worked back, and backups keep copies a while.
OVERPROMISES = ("cannot be turned back", "for good", "обратно в id его не превратить", "навсегда")


def promises() -> list[tuple[str, str, str, str]]:
    text = THREAT_MODEL.read_text(encoding="utf-8")
    table = text.split("## What the bot tells reporters", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    return [tuple(cell.strip().strip("`") for cell in row.strip("|").split("|")) for row in rows]


def headings() -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#{2,4} (.+)$", THREAT_MODEL.read_text(encoding="utf-8"), re.M)}


@pytest.fixture
def reporter(tg, bot, memory_app, keys, read_model):
    def talk(language: str) -> Harness:
        dp = wire(memory_app, keys, read_model, None, clock=lambda: CLOCK).dispatcher
        return Harness(tg, dp, bot, memory_app, FakeUser(tg, 5_550_100 + len(language), language_code=language))

    return talk


async def test_the_bot_says_each_promise_of_the_threat_model_in_both_languages(reporter):
    found = promises()
    assert len(found) >= 5
    known = headings()
    for language, column in (("en", 1), ("ru", 2)):
        h = reporter(language)
        said = (await h.say("/privacy")) + "\n" + (await h.say("/forget"))
        for promise in found:
            assert promise[column].lower() in said.lower(), f"{language} /privacy or /forget lacks: {promise[0]}"
            assert promise[3] in known, f"the threat model has no section {promise[3]!r}"
        for words in OVERPROMISES:
            assert words not in said, f"{language}: {words!r} promises more than the threat model"
