"""The caller's shell never reaches the tests: only the servers the suite is pointed at.

A machine that also runs svodka exports its secrets and tokens; a test that read them would
pass or fail by who runs it. The suite takes the two server addresses it is told to use, then
removes every variable svodka's Settings would read, so each test sets exactly what it means to.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

# Everything infra.settings.Settings reads, by prefix or by name.
SETTING_PREFIXES = ("SVODKA_", "TELEGRAM_", "WEBHOOK_")
SETTING_NAMES = ("DATABASE_URL", "REDIS_URL")
# The suite's own switches, not svodka settings.
SUITE_SWITCHES = frozenset({"SVODKA_UPDATE_SCREENSHOTS"})
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def is_setting(name: str) -> bool:
    upper = name.upper()
    if upper in SUITE_SWITCHES:
        return False
    return upper.startswith(SETTING_PREFIXES) or upper in SETTING_NAMES


def isolate(environ: MutableMapping[str, str]) -> tuple[str | None, str]:
    """Remove every svodka setting from `environ`; return the test PostgreSQL and Redis URLs."""
    database_url = environ.get("DATABASE_URL") or None
    redis_url = environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    for name in [name for name in environ if is_setting(name)]:
        del environ[name]
    return database_url, redis_url


# Done once, when the root conftest imports this module, before any test module is collected.
DATABASE_URL, REDIS_URL = isolate(os.environ)
