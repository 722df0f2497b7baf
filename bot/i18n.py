"""Languages: Babel .po catalogs read at startup, and the reporter's language per update.

The catalogs are compiled when the bot starts, so a plain `pip install -e .`
needs no build step and a .mo file can never be staler than its .po.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware, get_i18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).with_name("locales")
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
DOMAIN = "messages"


def load_i18n() -> I18n:
    """aiogram's I18n over .mo files compiled from the .po sources into a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="svodka-locales-") as folder:
        for po in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = po.parent.parent.name
            with po.open("rb") as source:
                catalog = read_po(source, locale=language)
            target = Path(folder, language, "LC_MESSAGES")
            target.mkdir(parents=True)
            with (target / f"{DOMAIN}.mo").open("wb") as compiled:
                write_mo(compiled, catalog)
        # I18n reads every catalog into memory here, so the folder can go.
        return I18n(path=folder, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


def language_of(user: User | None) -> str:
    """Telegram's language_code decides until the reporter picks one with /lang."""
    code = (user.language_code or "") if user else ""
    return "ru" if code.lower().startswith(("ru", "be", "kk")) else "en" if code else DEFAULT_LANGUAGE


class ReporterLocale(I18nMiddleware):
    """The language saved by /lang, else Telegram's; also hands the handlers the saved preferences.

    They come with the gate's `entry` (bot/gate.py); an update the gate did not let in (its store
    was down) is answered in Telegram's language."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        entry = data.get("entry")
        saved = entry.prefs if entry is not None else {}
        data["saved_prefs"] = saved
        lang = saved.get("lang")
        return lang if lang in LANGUAGES else language_of(data.get("event_from_user"))


def in_reporters_language(texts: dict[str, str]) -> str:
    """An operator's text (not in the catalogs) in the reporter's language, else in the other one:
    an operator may have written only one."""
    return texts.get(get_i18n().current_locale) or next((text for text in texts.values() if text), "")
