"""Configuration: generated secrets in development, refused defaults in production."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from pydantic import ValidationError

from infra.keys import load_keys
from infra.settings import Settings, load_settings, parse_tokens

KEY = base64.b64encode(os.urandom(32)).decode()


def test_first_start_generates_secrets_0600_and_reuses_them(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = load_keys(settings)
    for name in ("svodka_secret", "svodka_master_key"):
        mode = stat.S_IMODE((tmp_path / "secrets" / name).stat().st_mode)
        assert mode == 0o600
    assert load_keys(settings) == first
    assert len(first.master_key) == 32


def test_production_refuses_to_start_without_both_secrets(monkeypatch):
    monkeypatch.setenv("SVODKA_ENV", "production")
    monkeypatch.delenv("SVODKA_SECRET", raising=False)
    monkeypatch.setenv("SVODKA_MASTER_KEY", KEY)
    with pytest.raises(ValidationError, match="SVODKA_SECRET"):
        load_settings()
    monkeypatch.setenv("SVODKA_SECRET", "s" * 40)
    monkeypatch.delenv("SVODKA_MASTER_KEY")
    with pytest.raises(ValidationError, match="SVODKA_MASTER_KEY"):
        load_settings()


def test_production_accepts_secrets_from_a_secrets_dir(monkeypatch, tmp_path):
    (tmp_path / "SVODKA_SECRET").write_text("s" * 40)
    (tmp_path / "SVODKA_MASTER_KEY").write_text(KEY)
    monkeypatch.setenv("SVODKA_ENV", "production")
    monkeypatch.setenv("SVODKA_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("SVODKA_SECRET", raising=False)
    monkeypatch.delenv("SVODKA_MASTER_KEY", raising=False)
    settings = load_settings()
    assert settings.secret.get_secret_value() == "s" * 40
    assert load_keys(settings).master_key == base64.b64decode(KEY)


def test_master_key_must_be_32_bytes_of_base64():
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(master_key=base64.b64encode(b"short").decode())
    with pytest.raises(ValidationError, match="base64"):
        Settings(master_key="not base64 at all!")


def test_tokens_parse_as_name_token_pairs():
    from pydantic import SecretStr

    tokens = parse_tokens(SecretStr("hotline:" + "a" * 20 + ", ovd:" + "b" * 20), "X")
    assert tokens == {"a" * 20: "hotline", "b" * 20: "ovd"}
    with pytest.raises(ValueError, match="name:token"):
        parse_tokens(SecretStr("nocolon"), "X")


def test_secrets_never_show_in_repr():
    settings = Settings(secret="s" * 40, master_key=KEY, telegram_bot_token="123:ABC")
    assert "s" * 40 not in repr(settings) and KEY not in repr(settings) and "123:ABC" not in repr(settings)


def test_trusted_proxies_are_addresses_or_networks_and_a_bad_one_is_named():
    assert [str(n) for n in load_settings(trusted_proxies="10.0.0.5, 192.168.0.0/24").trusted_networks] == [
        "10.0.0.5/32", "192.168.0.0/24"]
    assert load_settings().trusted_networks == ()
    with pytest.raises(ValueError, match="SVODKA_TRUSTED_PROXIES: 'proxy.local'"):
        load_settings(trusted_proxies="proxy.local")


def test_help_texts_are_empty_by_default_and_read_per_language(monkeypatch):
    monkeypatch.delenv("SVODKA_HELP_TEXT_RU", raising=False)
    monkeypatch.delenv("SVODKA_HELP_TEXT_EN", raising=False)
    assert Settings().help_texts == {"ru": "", "en": ""}
    monkeypatch.setenv("SVODKA_HELP_TEXT_RU", r"Горячая линия: +7 000 000-00-00\nАдвокат: @lawyer_example")
    monkeypatch.setenv("SVODKA_HELP_TEXT_EN", "Hotline: +7 000 000-00-00")
    texts = Settings().help_texts
    assert texts["ru"] == "Горячая линия: +7 000 000-00-00\nАдвокат: @lawyer_example"  # \n: a line break
    assert texts["en"] == "Hotline: +7 000 000-00-00"
    monkeypatch.setenv("SVODKA_HELP_TEXT_EN", "x" * 2001)  # past what one Telegram message holds with ours
    with pytest.raises(ValidationError, match="SVODKA_HELP_TEXT_EN"):
        Settings()


def test_the_desk_budget_per_operator_is_a_setting_the_api_is_given(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from api.context import Limit
    from infra.runner import api_config

    assert Settings(data_dir=tmp_path).desk_posts_per_minute == 120
    monkeypatch.setenv("SVODKA_DESK_POSTS_PER_MINUTE", "30")
    settings = Settings(data_dir=tmp_path)
    svc = SimpleNamespace(settings=settings, keys=load_keys(settings), app=None,
                          db=SimpleNamespace(url="postgresql://nowhere/db", schema="public"))
    assert api_config(svc).desk_per_operator == Limit(30, 60)
    monkeypatch.setenv("SVODKA_DESK_POSTS_PER_MINUTE", "0")
    with pytest.raises(ValidationError, match="SVODKA_DESK_POSTS_PER_MINUTE"):
        Settings(data_dir=tmp_path)
