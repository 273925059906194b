"""The Telegram adapter's lifecycle: start taking updates (polling or webhook), and stop.

Customers talk to the bot in private chats. Inbound, each update is stored before it is
acknowledged to Telegram (see ``polling`` and ``webhook``); outbound, the dispatcher calls
``outbound.deliver`` for each outbox row; files customers sent are fetched again by ``files``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram.error import InvalidToken, TelegramError

from adapters.telegram.client import TelegramBot, build_bot
from adapters.telegram.commands import publish_menu
from adapters.telegram.files import TelegramFiles
from adapters.telegram.outbound import TelegramOutbound
from adapters.telegram.polling import Poller
from adapters.telegram.ratelimit import RateLimiter
from adapters.telegram.updates import UpdateReceiver
from bot.runtime import Runtime, StartupError

if TYPE_CHECKING:
    from adapters.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)


class TelegramApp:
    def __init__(self, runtime: Runtime, *, poll_timeout: float = 30.0) -> None:
        settings = runtime.settings.telegram
        self.runtime = runtime
        self.api_base_url = settings.api_base_url
        self.bot: TelegramBot = build_bot(settings)
        limiter = RateLimiter(chat_interval=settings.chat_interval,
                              per_second=settings.messages_per_second)
        self.outbound = TelegramOutbound(self.bot, runtime.translator, runtime.fetch_file,
                                         limiter)
        self.files = TelegramFiles(self.bot)
        self.receiver = UpdateReceiver(self.bot, runtime.engine, runtime.translator,
                                       self.outbound)
        self.webhook: WebhookServer | None = None
        self.poller: Poller | None = None
        if settings.webhook_url:
            # Only a webhook needs aiohttp's server (about 0.2 s to import).
            from adapters.telegram.webhook import WebhookServer, webhook_secret

            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret \
                else None
            self.webhook = WebhookServer(
                self.bot, self.receiver, url=settings.webhook_url,
                secret=webhook_secret(secret, self.bot.token),
                listen=settings.webhook_listen, port=settings.webhook_port)
        else:
            self.poller = Poller(self.bot, self.receiver, timeout=poll_timeout)

    async def start(self) -> None:
        try:
            await self.bot.initialize()  # getMe: checks the token, learns the bot's username
            await publish_menu(self.bot, self.runtime.translator)
            self.outbound.open()
            if self.webhook is not None:
                await self.webhook.start()
            elif self.poller is not None:
                await self.poller.start()
        except BaseException as exc:
            await self.stop()  # close what was opened; the caller sees why it failed
            # One clear line for the admin instead of a traceback: PTB's own InvalidToken
            # message quotes the token, and nothing a start-up error prints is redacted.
            if isinstance(exc, InvalidToken):
                raise StartupError("Telegram rejected the bot token in "
                                   "SUPPORTBOT_TELEGRAM__TOKEN; copy it again from @BotFather "
                                   "(/mybots -> API Token)") from None
            if isinstance(exc, TelegramError | OSError):
                reason = str(exc).replace(self.bot.token, "<token>")
                raise StartupError(f"could not start Telegram ({self.api_base_url}): "
                                   f"{type(exc).__name__}: {reason}") from None
            raise
        log.info("Telegram: @%s is taking updates by %s", self.bot.username,
                 "webhook" if self.webhook is not None else "long polling")

    async def stop(self) -> None:
        """Stop taking updates, finish what is in hand, then close the connections."""
        if self.webhook is not None:
            await self.webhook.stop()
        if self.poller is not None:
            await self.poller.stop()
        await self.receiver.close()
        await self.outbound.close()
        await self.bot.shutdown()
