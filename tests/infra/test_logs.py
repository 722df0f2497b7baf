"""Logs are JSON lines off a terminal, and known secrets are masked."""

from __future__ import annotations

import json
import logging

from infra.logs import JsonFormatter, RedactSecrets


def test_json_line_with_extras_and_masked_secret():
    record = logging.LogRecord("svodka", logging.INFO, __file__, 1, "token is %s", ("12345:SECRETSECRET",), None)
    record.position = 7
    assert RedactSecrets(["12345:SECRETSECRET"]).filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "token is ***"
    assert entry["position"] == 7 and entry["level"] == "info"
    assert "\n" not in line


def test_exception_text_is_one_masked_line():
    try:
        raise ConnectionError("cannot reach https://api.telegram.org/bot12345:SECRETSECRET/getUpdates")
    except ConnectionError:
        import sys

        record = logging.LogRecord("aiogram", logging.ERROR, __file__, 1, "polling failed", (), sys.exc_info())
    RedactSecrets(["12345:SECRETSECRET"]).filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["error"] == "ConnectionError: cannot reach https://api.telegram.org/bot***/getUpdates"
    assert "SECRETSECRET" not in json.dumps(entry)
