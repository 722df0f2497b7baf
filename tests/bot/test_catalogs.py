"""Every reply text lives in both catalogs, and Russian translates every one of them."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, load_i18n


def _used() -> set[str]:
    root = LOCALES_DIR.parent
    return {message for _file, _line, message, _comments, _context in extract_from_dir(root, keywords={"_": None})}


def test_every_text_in_the_code_is_in_every_catalog():
    used = _used()
    assert len(used) > 50
    for language in LANGUAGES:
        with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po)
        ids = {m.id for m in catalog if m.id}
        assert used - ids == set(), f"missing from {language}.po (run pybabel extract/update)"
        assert ids - used == set(), f"unused in {language}.po"
        untranslated = [m.id for m in catalog if m.id and not m.string]
        assert untranslated == [], language


def test_catalogs_load_without_a_build_step():
    i18n = load_i18n()
    assert set(i18n.available_locales) == set(LANGUAGES)
    assert i18n.gettext("Now", locale="ru") == "Сейчас"
    assert i18n.gettext("Now", locale="en") == "Now"


def test_russian_calls_a_report_a_report():
    """«Отчёт», as the console, the docs and the rest of the bot say: «сообщение» is what a
    reporter calls a Telegram message, so "Report cancelled" read as «Сообщение отменено» says
    their message was cancelled, not the report."""
    with (LOCALES_DIR / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    about_reports = [m for m in catalog if m.id and str(m.id).startswith("Report") and "message" not in str(m.id)]
    assert about_reports
    assert [str(m.string) for m in about_reports if "сообщени" in str(m.string).lower()] == []
