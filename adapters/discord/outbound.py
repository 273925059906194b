"""Core actions out, Discord messages in the customer's DMs.

A text longer than Discord's 2,000 characters goes as several messages (buttons with the
last); the reference returned for the outbox is every message id, comma separated, so a
later edit or withdrawal reaches all of them. Files are fetched before anything is sent, and
the parts already sent are remembered until the whole action is through, so a retry after a
failure half-way sends only the rest. Mentions are off on every send (the client's default
``AllowedMentions.none()``, and again on each call): nothing a customer or agent wrote can
ping anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.components import Choice, build_view
from adapters.discord.errors import NETWORK_ERRORS, delivery_error
from adapters.discord.text import fit_parts, render, split_message
from bot.actions import (
    Action,
    CustomerMessage,
    DeleteCustomerMessage,
    DeskNotice,
    EditCustomerMessage,
    Text,
    to_json,
)
from bot.delivery import DeliveryError
from bot.events import Attachment
from bot.runtime import Runtime

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 10 * 1024 * 1024  # Discord's default upload size for a bot's message
FILES_PER_MESSAGE = 10
NO_MENTIONS = discord.AllowedMentions.none()
DISCORD_ERRORS = (discord.HTTPException, discord.RateLimited, *NETWORK_ERRORS)


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    data: bytes

    def file(self) -> discord.File:
        # A fresh File for every attempt: sending reads (and closes) it.
        return discord.File(io.BytesIO(self.data), filename=self.name)


@dataclass(frozen=True, slots=True)
class Part:
    content: str
    view: discord.ui.View | None = None
    uploads: tuple[Upload, ...] = ()

    def extras(self) -> dict[str, Any]:
        """The rest of the send call (discord.py wants absent, not None, for no view)."""
        extras: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.view is not None:
            extras["view"] = self.view
        if self.uploads:
            extras["files"] = [upload.file() for upload in self.uploads]
        return extras


def parse_ref(ref: str) -> list[int]:
    return [int(part) for part in ref.split(",") if part.strip().isdigit()]


def batches(uploads: Sequence[Upload]) -> list[list[Upload]]:
    """Files grouped for messages: at most ten, and within the upload size, per message."""
    groups: list[list[Upload]] = []
    size = 0
    for upload in uploads:
        if not groups or len(groups[-1]) == FILES_PER_MESSAGE \
                or size + len(upload.data) > UPLOAD_LIMIT:
            groups.append([])
            size = 0
        groups[-1].append(upload)
        size += len(upload.data)
    return groups


class Outbound:
    def __init__(self, runtime: Runtime, client: discord.Client) -> None:
        self.runtime = runtime
        self.translator = runtime.translator
        self.client = client
        self.available = False  # set while the client is logged in
        self._sent: dict[str, list[int]] = {}  # action digest -> ids of the parts sent so far
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def wait_idle(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    async def deliver(self, action: Action) -> str | None:
        if isinstance(action, DeskNotice):
            raise DeliveryError("the Discord adapter is not an agents' desk", permanent=True)
        if not self.available:
            # Before login or after stop: the dispatcher's growing backoff decides when to
            # try again, so a long outage does not use up the row's attempts in minutes.
            raise DeliveryError("Discord is not connected", permanent=False)
        self._busy += 1
        self._idle.clear()
        try:
            match action:
                case CustomerMessage():
                    return await self._send(action)
                case EditCustomerMessage():
                    return await self._edit(action)
                case DeleteCustomerMessage():
                    await self._delete(action)
                    return action.ref
        except DISCORD_ERRORS as exc:
            raise delivery_error(exc) from exc
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    def _channel(self, chat_id: str) -> discord.PartialMessageable:
        if not chat_id.isdigit():
            raise DeliveryError(f"not a Discord channel id: {chat_id!r}", permanent=True)
        return self.client.get_partial_messageable(int(chat_id),
                                                   type=discord.ChannelType.private)

    # -- new messages --------------------------------------------------------------------------
    async def _send(self, message: CustomerMessage) -> str:
        channel = self._channel(message.chat_id)
        key = hashlib.sha256(to_json(message).encode()).hexdigest()
        parts = await self._plan(message)
        sent = self._sent.setdefault(key, [])
        try:
            for part in parts[len(sent):]:
                result = await channel.send(part.content or None, **part.extras())
                sent.append(result.id)
        except DISCORD_ERRORS as exc:
            error = delivery_error(exc)
            if error.permanent:
                self._sent.pop(key, None)
            raise error from exc
        del self._sent[key]
        return ",".join(str(i) for i in sent)

    async def _plan(self, message: CustomerMessage) -> list[Part]:
        language = message.language
        uploads, notes = await self._uploads(message.attachments)
        text = render(self.translator, (*message.texts, *notes), language)
        choices = [Choice(self.translator.render(b.label, language), b.data)
                   for b in message.buttons]
        view = build_view(choices, self.translator.render(Text("discord-select-placeholder"),
                                                          language))
        groups = batches(uploads)
        texts = split_message(text)
        parts = [Part(t) for t in texts[:-1]]
        parts.append(Part(texts[-1], view, tuple(groups[0]) if groups else ()))
        parts += [Part("", None, tuple(group)) for group in groups[1:]]
        return [p for p in parts if p.content or p.view or p.uploads]

    async def _uploads(self, attachments: Sequence[Attachment]
                       ) -> tuple[list[Upload], list[Text]]:
        """The files' bytes, and a note for each that cannot go: all before sending, so a
        network failure here costs nothing but a retry."""
        uploads: list[Upload] = []
        notes: list[Text] = []
        for attachment in attachments:
            name = attachment.name or "file"
            try:
                data = await self.runtime.fetch_file(attachment)
            except (LookupError, FileNotFoundError, PermissionError) as exc:
                log.warning("file %s cannot be fetched: %s", attachment.source,
                            type(exc).__name__)
                notes.append(Text("discord-file-unavailable", {"name": name}))
                continue
            except Exception as exc:
                raise DeliveryError(f"could not fetch a file from {attachment.source}: "
                                    f"{type(exc).__name__}", permanent=False) from exc
            if len(data) > UPLOAD_LIMIT:
                notes.append(Text("discord-file-too-large", {"name": name}))
            else:
                uploads.append(Upload(name, data))
        return uploads, notes

    # -- changing what was sent ----------------------------------------------------------------
    async def _edit(self, action: EditCustomerMessage) -> str:
        channel = self._channel(action.chat_id)
        ids = parse_ref(action.ref)
        if not ids:
            raise DeliveryError(f"no Discord message in reference {action.ref!r}",
                                permanent=True)
        text = render(self.translator, action.texts, action.language)
        parts = fit_parts(split_message(text), len(ids))
        # A shorter text needs fewer messages: the first ones go, so the last (which holds
        # any files) stays where it was.
        surplus, kept = ids[: len(ids) - len(parts)], ids[len(ids) - len(parts):]
        for message_id, content in zip(kept, parts, strict=True):
            await channel.get_partial_message(message_id).edit(
                content=content, allowed_mentions=NO_MENTIONS)
        for message_id in surplus:
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(message_id).delete()
        return ",".join(str(i) for i in kept)

    async def _delete(self, action: DeleteCustomerMessage) -> None:
        channel = self._channel(action.chat_id)
        for message_id in parse_ref(action.ref):
            with contextlib.suppress(discord.NotFound):  # already gone is what we wanted
                await channel.get_partial_message(message_id).delete()
