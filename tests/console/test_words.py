"""The console's words: the same terms as the rest of svodka in both languages."""

from __future__ import annotations

from importlib.resources import files

import api.console  # noqa: F401 - registers the words of every page module
import api.console.moderation  # noqa: F401 - the moderation pages register theirs on import
from api.console.i18n import WORDS


def test_the_russian_console_calls_a_report_a_report():
    """The bot and the docs say «отчёт»; a console that says «сообщение» for the same thing makes an
    operator wonder whether it is a different object (a Telegram message, say)."""
    said = {key: text for key, text in WORDS["ru"].items() if "сообщени" in text.lower()}
    assert not said, said
    templates = files("api.console") / "templates"
    for template in templates.iterdir():
        assert "сообщени" not in template.read_text(encoding="utf-8").lower(), template.name
    assert WORDS["ru"]["dk_nav_mine"] == "Мои отчёты" and WORDS["ru"]["report_title"] == "Отчёт"
