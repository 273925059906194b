"""The python-telegram-bot ``Bot`` we talk to the Bot API with, and how it is built.

We use the ``Bot`` alone, not an ``Application``: we need neither its handlers nor its
``Updater``. The ``Updater`` confirms an update (advances the getUpdates offset) before a handler
has stored it, so a crash can lose it; and ``Bot.get_updates`` parses a whole batch at once, so
one update PTB cannot parse stalls polling for good. ``get_raw_updates`` returns the batch as
JSON; the poller parses each update on its own and confirms it only once it is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.settings import TelegramSettings

JSONDict = dict[str, Any]

# Long polling holds a request open for ``timeout`` seconds; allow this much on top to read.
_POLL_READ_MARGIN = 10.0


class TelegramBot(Bot):
    async def get_raw_updates(
        self,
        *,
        offset: int | None,
        timeout: float,
        limit: int = 100,
        allowed_updates: Sequence[str] | None = None,
    ) -> list[JSONDict]:
        """``getUpdates``, answered as JSON objects; ``offset`` confirms every update below it."""
        data: JSONDict = {"offset": offset, "timeout": timeout, "limit": limit,
                          "allowed_updates": list(allowed_updates) if allowed_updates else None}
        # ``_post`` is Bot's own request path (error mapping, the getUpdates connection pool);
        # calling it from a subclass is how PTB's ExtBot extends Bot too.
        result = await self._post("getUpdates", data,
                                  read_timeout=timeout + _POLL_READ_MARGIN)
        if not isinstance(result, list):
            return []
        return [item for item in result if isinstance(item, dict)]


def build_bot(settings: TelegramSettings) -> TelegramBot:
    if settings.token is None or not settings.token.get_secret_value():
        raise ValueError("SUPPORTBOT_TELEGRAM__TOKEN is not set")
    token = settings.token.get_secret_value()
    keep_out_of_logs(token)  # before the Bot exists: it logs its URLs as it is built
    return TelegramBot(
        token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        # Deliveries to many chats run at once; uploads get a longer write timeout.
        request=HTTPXRequest(connection_pool_size=32, connect_timeout=10.0, read_timeout=20.0,
                             write_timeout=20.0, pool_timeout=10.0, media_write_timeout=120.0),
        get_updates_request=HTTPXRequest(connection_pool_size=2, connect_timeout=10.0,
                                         read_timeout=10.0, pool_timeout=10.0),
    )


# Loggers that see Bot API URLs, which carry the token: PTB's at DEBUG, httpx's at INFO.
_URL_LOGGERS = ("telegram", "telegram.Bot", "telegram.BaseRequest", "telegram.HTTPXRequest",
                "httpx", "httpcore")


class _Redact(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "<token>"), None
        return True


def keep_out_of_logs(token: str) -> None:
    """No log line shows the token, whatever the log level.

    httpx also logs each request at INFO, which is noise at our INFO level: it starts at
    WARNING. A logger's filter sees only that logger's own records, hence one on each.
    """
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Redact) and f.secret == token for f in logger.filters):
            logger.addFilter(_Redact(token))
