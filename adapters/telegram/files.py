"""Fetching a file a customer sent on Telegram again, by its file_id (getFile, then download).

Tickets keep only the file_id, which stays valid for this bot; the agents' desk calls
``runtime.fetch_file`` when it shows the ticket, and that lands here.
"""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from adapters.telegram.outbound import delivery_error
from bot.delivery import DeliveryError
from bot.events import Attachment


class TelegramFiles:
    """The file source for platform ``telegram``; failures are ``DeliveryError`` like sends."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def fetch(self, attachment: Attachment) -> bytes:
        try:
            file = await self.bot.get_file(attachment.file_ref)
            return bytes(await file.download_as_bytearray())
        except BadRequest as exc:  # an unknown file_id, or over the 20 MB bots may download
            raise DeliveryError(f"Telegram cannot hand over {attachment.name!r}: {exc.message}",
                                permanent=True) from exc
        except TelegramError as exc:
            raise delivery_error(exc) from exc
