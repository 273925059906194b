"""Logging set-up: readable text or JSON lines, the level from the settings, secrets redacted.

Redaction happens on the formatted line, after everything else (arguments, extras, tracebacks)
has been put in it, so no path around it exists: every configured secret value, and anything
shaped like a Telegram, Slack or Discord token, becomes ``[redacted]``. Chat-app libraries log
request URLs at INFO (Telegram's carry the bot token in the path), so they are kept at WARNING.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from pydantic import BaseModel, SecretStr
from pythonjsonlogger.json import JsonFormatter

from bot.settings import Settings

REDACTED = "[redacted]"

# Shapes of chat-app credentials, caught even when they are not (or no longer) configured.
TOKEN_PATTERNS = (
    re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}"),  # Telegram bot token, also inside /bot<token>/
    re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]{8,}"),  # Slack bot, user and app tokens
    re.compile(r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"),  # Discord
)

# Libraries that log URLs or payloads at INFO; their warnings and errors still show.
CHATTY_LIBRARIES = ("httpx", "httpcore", "telegram", "slack_bolt", "slack_sdk", "discord",
                    "aiohttp.access", "websockets")
# These log every HTTP request with its full URL at INFO, so not even DEBUG lets them through.
URL_LOGGERS = ("httpx", "httpcore")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")


def configured_secrets(settings: BaseModel) -> list[str]:
    """Every SecretStr value in the settings (nested ones included), longest first."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            if len(secret) >= 4:  # shorter ones would redact ordinary words
                found.append(secret)
        elif isinstance(value, BaseModel):
            found.extend(configured_secrets(value))
    return sorted(set(found), key=len, reverse=True)


class Redactor:
    """Replaces known secret values and token-shaped strings in a text."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in TOKEN_PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then redacts the whole line (message, extras, traceback)."""

    def __init__(self, inner: logging.Formatter, redactor: Redactor) -> None:
        super().__init__()
        self.inner = inner
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(self.inner.format(record))


def json_formatter() -> logging.Formatter:
    """One JSON object per line; a log call's ``extra`` fields become keys of their own."""
    return JsonFormatter(
        list(JSON_FIELDS),
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def configure_logging(
    settings: Settings,
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Install one handler on the root logger (replacing any), per the settings.

    ``quiet`` (the console channel) shows only warnings, so logs do not mix with the chat.
    Returns the handler, so tests can look at what it does.
    """
    level = logging.WARNING if quiet else _level(settings.log_level)
    inner = json_formatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(RedactingFormatter(inner, Redactor(configured_secrets(settings))))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    library_level = logging.INFO if level <= logging.DEBUG else logging.WARNING
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(
            logging.WARNING if name in URL_LOGGERS else max(library_level, level))
    return handler


def _level(name: str) -> int:
    value: Any = logging.getLevelName(name.strip().upper())
    return value if isinstance(value, int) else logging.INFO
