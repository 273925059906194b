"""Discord updates in, core events out: direct messages, button presses and slash commands.

Event ids are the ids Discord gives the message or interaction (``discord:msg:<id>``,
``discord:int:<id>``), so a gateway event replayed after a RESUME, or sent twice, is
dropped by the engine the second time.

Interactions are acknowledged first (Discord allows three seconds) and then handed to the
engine; the answers come through the outbox as direct messages. Discord never re-delivers a
message, so a message the store could not take is retried here briefly and, failing that,
the customer is asked to send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import discord

from adapters.discord.errors import NETWORK_ERRORS
from bot.actions import Text
from bot.events import (
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerEvent,
    CustomerFile,
    CustomerRef,
    CustomerText,
    UnsupportedContent,
)
from bot.model import Command
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "discord"
STORE_ATTEMPTS = 3  # the store waits out a busy database itself; this covers a hiccup
STORE_PAUSE = 0.1  # seconds, growing with each attempt
DISCORD_FAILURES = (discord.HTTPException, *NETWORK_ERRORS)

# Typed commands in a direct message, as in the console: "/tickets", "!status 12". Discord's
# own slash commands are the /ticket family; these are for people who type.
TEXT_COMMANDS = {c.value: c for c in Command if c is not Command.UNKNOWN}
TEXT_COMMANDS["menu"] = Command.START
_TEXT_COMMAND = re.compile(r"^([/!])([A-Za-z]+)(?:\s+(.*))?$", re.DOTALL)
_ACKNOWLEDGED = 40060  # "Interaction has already been acknowledged" (a replayed interaction)
_UNKNOWN_INTERACTION = 10062  # its token expired: the press still counts, only unanswered


def message_event_id(message_id: int, part: int = 0) -> str:
    return f"discord:msg:{message_id}" + (f":{part}" if part else "")


def interaction_event_id(interaction_id: int, step: int = 0) -> str:
    return f"discord:int:{interaction_id}" + (f":{step}" if step else "")


def attachment_of(file: discord.Attachment) -> Attachment:
    kind = "file"
    content_type = file.content_type or ""
    if content_type.startswith("image/"):
        kind = "photo"
    elif content_type.startswith("video/"):
        kind = "video"
    elif file.is_voice_message() or content_type.startswith("audio/"):
        kind = "voice"
    return Attachment(kind=kind, file_ref=file.url, name=file.filename,
                      mime_type=content_type, size=file.size, source=PLATFORM)


def text_command(text: str) -> tuple[Command, str] | None:
    """A typed command, or None for ordinary text ("!!!" and "! ok" are text)."""
    found = _TEXT_COMMAND.match(text.strip())
    if found is None:
        return None
    prefix, word, argument = found.group(1), found.group(2).lower(), found.group(3) or ""
    command = TEXT_COMMANDS.get(word)
    if command is not None:
        return command, argument.strip()
    # "/xyz" is meant as a command (say so); "!important" is probably just emphasis.
    return (Command.UNKNOWN, prefix + word) if prefix == "/" else None


def message_events(message: discord.Message, customer: CustomerRef) -> list[CustomerEvent]:
    """One direct message as core events: its text, or one event per attached file (the
    first carries the text as its caption), or what cannot be taken into a ticket."""
    if message.attachments:
        return [CustomerFile(message_event_id(message.id, index), customer,
                             attachment_of(file), message.content if index == 0 else "")
                for index, file in enumerate(message.attachments)]
    event_id = message_event_id(message.id)
    if message.stickers:
        return [UnsupportedContent(event_id, customer, "sticker")]
    if message.poll is not None:
        return [UnsupportedContent(event_id, customer, "poll")]
    command = text_command(message.content)
    if command is not None:
        return [CustomerCommand(event_id, customer, command[0], command[1])]
    return [CustomerText(event_id, customer, message.content)]


def locale_of(interaction: discord.Interaction[Any]) -> str | None:
    return interaction.locale.value if interaction.locale else None


class Inbound:
    """Feeds the engine; knows nothing of tickets or forms beyond the events it builds."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stopping = False
        # Called with the customer's user id after each of their events is stored (the modal
        # intake waits for the engine to ask for what the modal already holds).
        self.after_store: Callable[[str], Awaitable[None]] | None = None
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- lifecycle -----------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> None:
        """Let updates already being handled reach the store (bounded)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    # -- who and where -------------------------------------------------------------------------
    def t(self, key: str, language: str, **params: Any) -> str:
        return self.runtime.translator.render(Text(key, params), language)

    async def language_of(self, interaction: discord.Interaction[Any]) -> str:
        """The customer's chosen language, else their Discord client's, else the default."""
        chosen = None
        try:
            record = await self.runtime.store.customer_by_identity(PLATFORM,
                                                                   str(interaction.user.id))
            chosen = record.language if record is not None else None
        except Exception:
            log.exception("could not read the customer's language")
        return self.runtime.translator.resolve_language(chosen, locale_of(interaction))

    async def reach(self, interaction: discord.Interaction[Any]) -> CustomerRef | None:
        """The customer and their DM channel; None, after a private apology, when Discord
        would not open the channel."""
        try:
            return await self.customer_of(interaction)
        except DISCORD_FAILURES as exc:
            log.warning("could not open a DM channel: %s", type(exc).__name__)
            await self.apologise(interaction)
            return None

    async def customer_of(self, interaction: discord.Interaction[Any]) -> CustomerRef:
        """Replies always go to the person's direct messages, even for a command used in a
        server, so other members never see the conversation."""
        user = interaction.user
        # Also right for a command used in the bot's own DMs; create_dm() is cached.
        channel = await user.create_dm()
        return CustomerRef(PLATFORM, str(user.id), str(channel.id), user.display_name,
                           locale_of(interaction))

    # -- direct messages -----------------------------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        if self.stopping or message.author.bot or message.guild is not None:
            return  # in servers the bot answers its slash commands only
        if not isinstance(message.channel, discord.DMChannel):
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return  # pins, calls and other system messages
        # Discord sends no locale with messages; the one from the person's last interaction
        # (kept in the store) stands until they pick a language.
        customer = CustomerRef(PLATFORM, str(message.author.id), str(message.channel.id),
                               message.author.display_name, None)
        async with self.tracked():
            for event in message_events(message, customer):
                if not await self.store(event):
                    await self._ask_again(message.channel)
                    return

    async def store(self, event: CustomerEvent, *, notify: bool = True) -> bool:
        """Hand one event to the engine; False when the store failed every attempt."""
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                await self.runtime.engine.handle(event)
                break
            except Exception:
                log.exception("could not store %s (attempt %d)", event.event_id, attempt)
                if attempt < STORE_ATTEMPTS:
                    await asyncio.sleep(STORE_PAUSE * attempt)
        else:
            return False
        if notify and self.after_store is not None:
            await self.after_store(event.customer.user_id)
        return True

    async def _ask_again(self, channel: discord.DMChannel) -> None:
        # The store is what failed, so the person's language cannot be read from it.
        language = self.runtime.translator.default_language
        with contextlib.suppress(discord.HTTPException):
            await channel.send(self.t("discord-not-saved", language))

    # -- buttons and select menus ------------------------------------------------------------
    async def on_press(self, interaction: discord.Interaction[Any], data: str) -> None:
        if self.stopping:
            return
        async with self.tracked():
            await acknowledge(interaction.response.defer())  # nothing changes on screen
            customer = await self.reach(interaction)
            if customer is None:
                return
            event = ButtonPress(interaction_event_id(interaction.id), customer, data)
            await self.handle_interaction(interaction, [event])

    # -- slash commands ------------------------------------------------------------------------
    async def command(self, interaction: discord.Interaction[Any], command: Command,
                      argument: str = "") -> None:
        """A /ticket command: the answer goes to the person's DMs, with a private pointer
        here (only they see it)."""
        if self.stopping:
            return
        async with self.tracked():
            await acknowledge(interaction.response.defer(ephemeral=True, thinking=True))
            customer = await self.reach(interaction)
            if customer is None:
                return
            event = CustomerCommand(interaction_event_id(interaction.id), customer, command,
                                    argument)
            await self.handle_interaction(interaction, [event])

    async def handle_interaction(self, interaction: discord.Interaction[Any],
                                 events: Sequence[CustomerEvent]) -> None:
        """Hand the events to the engine, then close the interaction with a pointer to where
        the answer went (or a private apology when the store failed)."""
        for event in events:
            if not await self.store(event):
                await self.apologise(interaction)
                return
        await self.point_to_answer(interaction)

    async def point_to_answer(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.component:
            return  # a button in the DMs: the answer appears right below it
        key = "discord-continue-here" if interaction.guild_id is None \
            else "discord-continue-in-dms"
        await self.answer(interaction, self.t(key, await self.language_of(interaction)))

    async def apologise(self, interaction: discord.Interaction[Any]) -> None:
        """Tell the person, privately, that what they did was not saved."""
        language = await self.language_of(interaction)
        await self.answer(interaction, self.t("discord-not-saved", language))

    async def answer(self, interaction: discord.Interaction[Any], text: str) -> None:
        """Fill in the deferred, private answer (or add one after a component's update)."""
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.edit_original_response(content=text)
        except discord.HTTPException as exc:
            log.info("could not answer interaction %s: %s", interaction.id, exc.status)


async def acknowledge(call: Awaitable[object]) -> None:
    """Answer an interaction within Discord's three seconds. A replayed interaction was
    answered the first time, and an expired one cannot be: the event still goes to the
    engine, which drops a duplicate and applies a late press."""
    try:
        await call
    except discord.InteractionResponded:
        pass
    except discord.HTTPException as exc:
        if exc.code not in (_ACKNOWLEDGED, _UNKNOWN_INTERACTION):
            log.warning("could not acknowledge an interaction: %s %s", exc.status, exc.code)
