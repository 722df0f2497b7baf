"""The console's two languages. Each page module registers its own words, so modules stay apart."""

from __future__ import annotations

from starlette.requests import Request

from api.dashboard.i18n import LANGS, negotiate

LANG_COOKIE = "svodka_console_lang"
WORDS: dict[str, dict[str, str]] = {"ru": {}, "en": {}}


def register(ru: dict[str, str], en: dict[str, str]) -> None:
    """Add a page module's words; both languages must name the same keys."""
    assert ru.keys() == en.keys(), sorted(ru.keys() ^ en.keys())
    clash = ru.keys() & WORDS["ru"].keys()
    assert not clash, f"words registered twice: {sorted(clash)}"
    WORDS["ru"].update(ru)
    WORDS["en"].update(en)


def language(request: Request) -> str:
    """?lang= (the switch's link), else the one chosen before, else the browser's."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGS else negotiate(None, request.headers.get("accept-language"))


register(
    ru={
        "console": "Сводка: консоль",
        "lang_switch": "English",
        "signed_in_as": "Вы вошли как {name} ({role})",
        "role_moderator": "модератор",
        "role_operator": "оператор",
        "sign_out": "Выйти",
        "sign_in": "Войти",
        "sign_in_title": "Вход в консоль",
        "sign_in_help": "Вставьте токен модератора или оператора. Токен не сохраняется в браузере: "
                        "сессия заканчивается через 8 часов без действий или по кнопке «Выйти».",
        "token": "Токен",
        "token_wrong": "Этот токен не подходит.",
        "token_missing": "Вставьте токен.",
        "signed_out": "Вы вышли.",
        "expired": "Сессия закончилась; войдите снова.",
        "too_many": "Слишком много попыток с этого адреса; попробуйте через {seconds} с.",
        "too_fast": "Слишком много отправок за минуту под вашим именем оператора; ничего не сохранено. "
                    "Попробуйте через {seconds} с.",
        "forbidden": "Запрос отклонён",
        "csrf_refused": "Форма устарела или отправлена с другого сайта; ничего не изменено. "
                        "Откройте страницу заново и повторите.",
        "wrong_role_moderator": "Эта страница для модераторов.",
        "wrong_role_operator": "Эта страница для операторов.",
        "back": "Назад",
        "nav_queue": "Очередь",
        "nav_signals": "Сигналы",
        "nav_desk": "Приём отчётов",
        "desk_title": "Приём отчётов",
        "desk_soon": "Форма приёма отчётов.",
        "error_title": "Не получилось",
        "bad_address": "В адресе страницы ошибка: в нём что-то не так (например, номер отчёта "
                       "скопирован не целиком). Вернитесь в консоль и откройте страницу оттуда.",
        "no_page": "Такой страницы в консоли нет. Вернитесь в консоль и откройте страницу оттуда.",
        "unavailable": "Хранилище svodka недоступно. Ничего не изменено; повторите через несколько секунд.",
    },
    en={
        "console": "Svodka: console",
        "lang_switch": "Русский",
        "signed_in_as": "Signed in as {name} ({role})",
        "role_moderator": "moderator",
        "role_operator": "operator",
        "sign_out": "Sign out",
        "sign_in": "Sign in",
        "sign_in_title": "Sign in to the console",
        "sign_in_help": "Paste your moderator or operator token. The token is not kept in the browser: "
                        "the session ends after 8 hours without use, or when you sign out.",
        "token": "Token",
        "token_wrong": "This token is not valid.",
        "token_missing": "Paste a token.",
        "signed_out": "You have signed out.",
        "expired": "Your session has ended; sign in again.",
        "too_many": "Too many attempts from this address; try again in {seconds} s.",
        "too_fast": "Too many forms sent this minute under your operator name; nothing was stored. "
                    "Try again in {seconds} s.",
        "forbidden": "Request refused",
        "csrf_refused": "This form is stale or was sent from another site; nothing was changed. "
                        "Open the page again and retry.",
        "wrong_role_moderator": "This page is for moderators.",
        "wrong_role_operator": "This page is for operators.",
        "back": "Back",
        "nav_queue": "Queue",
        "nav_signals": "Signals",
        "nav_desk": "Desk",
        "desk_title": "Desk",
        "desk_soon": "The form for phoned-in reports.",
        "error_title": "That did not work",
        "bad_address": "This page's address is wrong: part of it is not valid (a report id copied only in "
                       "part, say). Go back to the console and open the page from there.",
        "no_page": "There is no such page in the console. Go back to the console and open the page from there.",
        "unavailable": "svodka's storage is unavailable for a moment. Nothing was changed; try again in a few seconds.",
    },
)
