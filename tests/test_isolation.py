"""The suite runs the same whatever the caller's shell exports (tests/isolation.py)."""

from __future__ import annotations

import os

from infra.settings import Settings
from tests.isolation import DEFAULT_REDIS_URL, isolate, is_setting


def test_no_svodka_setting_reaches_a_test():
    leaked = sorted(name for name in os.environ if is_setting(name))
    assert leaked == []
    settings = Settings()
    assert settings.secret is None and settings.master_key is None
    assert settings.database_url is None and settings.redis_url is None
    assert settings.telegram_bot_token is None and settings.env == "development"


def test_isolate_keeps_only_the_servers_and_the_suites_own_switches():
    environ = {
        "DATABASE_URL": "postgresql://ci/test",
        "REDIS_URL": "redis://ci/3",
        "SVODKA_SECRET": "junk",
        "svodka_master_key": "junk",
        "TELEGRAM_BOT_TOKEN": "junk",
        "WEBHOOK_URL": "junk",
        "SVODKA_UPDATE_SCREENSHOTS": "1",
        "HOME": "/root",
    }
    assert isolate(environ) == ("postgresql://ci/test", "redis://ci/3")
    assert environ == {"SVODKA_UPDATE_SCREENSHOTS": "1", "HOME": "/root"}
    assert isolate({}) == (None, DEFAULT_REDIS_URL)
