"""Slack as a customer's chat app: what the bot says to workspace members in direct messages.

The same messages every chat app gets, rendered in the customer's language as Block Kit: the
text in sections, the buttons as buttons whose value is the core's button data, unchanged.
Slack lets the bot edit and delete its own messages, so agents' edits reach what was sent.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import MESSAGE_TEXT, customer_blocks
from adapters.slack.client import ChannelPacer
from adapters.slack.errors import api_error_code, delivery_errors
from adapters.slack.files import SlackFiles
from adapters.slack.mrkdwn import escape, truncate
from bot.actions import (
    Action,
    CustomerMessage,
    DeleteCustomerMessage,
    EditCustomerMessage,
    to_json,
)
from bot.delivery import DeliveryError
from bot.events import Attachment
from bot.runtime import Runtime, UnknownFileSource

log = logging.getLogger(__name__)


class SlackCustomers:
    """The dispatcher's channel for customers whose chat app is Slack."""

    def __init__(self, runtime: Runtime, client: AsyncWebClient, files: SlackFiles,
                 pacer: ChannelPacer) -> None:
        self.runtime = runtime
        self.translator = runtime.translator
        self.client = client
        self.files = files
        self.pacer = pacer
        # Messages posted whose files are still to follow: a retry must not post them again.
        self._posted: dict[str, str] = {}

    async def deliver(self, action: Action) -> str | None:
        match action:
            case CustomerMessage():
                return await self.send(action)
            case EditCustomerMessage():
                return await self.edit(action)
            case DeleteCustomerMessage():
                return await self.delete(action)
        raise DeliveryError(f"Slack customers cannot get {type(action).__name__}", permanent=True)

    async def send(self, message: CustomerMessage) -> str:
        key = to_json(message)
        ts = self._posted.get(key)
        if ts is None:
            text = self.translator.render_all(message.texts, message.language, escape=escape)
            buttons = [(self.translator.render(b.label, message.language), b.data)
                       for b in message.buttons]
            await self.pacer.wait(message.chat_id)
            with delivery_errors():
                response = await self.client.chat_postMessage(
                    channel=message.chat_id, text=truncate(text, MESSAGE_TEXT),
                    blocks=customer_blocks(text, buttons), unfurl_links=False,
                    unfurl_media=False)
            ts = str(response["ts"])
            if not message.attachments:
                return ts
            self._posted[key] = ts
        try:
            files = [(a.name or "file", await self._fetch(a)) for a in message.attachments]
            await self.files.upload(message.chat_id, files)
        except DeliveryError as exc:
            if exc.permanent:
                self._posted.pop(key, None)
            raise
        self._posted.pop(key, None)
        return ts

    async def _fetch(self, attachment: Attachment) -> bytes:
        try:
            return await self.runtime.fetch_file(attachment)
        except UnknownFileSource as exc:
            raise DeliveryError(str(exc), permanent=True) from exc

    async def edit(self, action: EditCustomerMessage) -> str:
        text = self.translator.render_all(action.texts, action.language, escape=escape)
        with delivery_errors():
            await self.client.chat_update(channel=action.chat_id, ts=action.ref,
                                          text=truncate(text, MESSAGE_TEXT),
                                          blocks=customer_blocks(text, []))
        return action.ref

    async def delete(self, action: DeleteCustomerMessage) -> str | None:
        try:
            with delivery_errors():
                await self.client.chat_delete(channel=action.chat_id, ts=action.ref)
        except DeliveryError as exc:
            cause = exc.__cause__
            if isinstance(cause, SlackApiError) and api_error_code(cause) == "message_not_found":
                return None  # gone already: what was asked for is so
            raise
        return action.ref

