"""The discord.py client: which gateway events it asks for, and where it passes them on."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import CommandTranslator
from adapters.discord.components import DYNAMIC_ITEMS, PressHandler
from adapters.discord.inbound import Inbound
from adapters.discord.intake import MODAL_PREFIX, ModalIntake

log = logging.getLogger(__name__)


def intents(*, message_content: bool) -> discord.Intents:
    """Only what the bot uses: servers (for its slash commands), direct messages, and their
    text. Message content is privileged: it must be switched on in the developer portal."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    wanted.message_content = message_content
    return wanted


class SupportClient(discord.Client):
    def __init__(
        self,
        inbound: Inbound,
        intake: ModalIntake,
        commands: app_commands.Group,
        command_translator: CommandTranslator,
        *,
        message_content: bool,
        sync_commands: bool,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        # The bot never joins voice channels: no warnings about voice libraries at start.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents(message_content=message_content),
            # Sent with every message, edit and interaction answer: no pings, ever.
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
        )
        self.inbound = inbound
        self.intake = intake
        self.press_handler: PressHandler = inbound  # read by the dynamic buttons
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(commands)
        self._command_translator = command_translator
        self._sync_commands = sync_commands

    async def setup_hook(self) -> None:
        # Buttons and select menus of any message the bot ever sent, also before a restart.
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.tree.set_translator(self._command_translator)
        if self._sync_commands:
            try:
                # A bulk overwrite: unchanged commands are not re-created, so doing it on
                # every start stays within Discord's daily limit on command creation.
                await self.tree.sync()
            except discord.HTTPException as exc:
                log.warning("could not register the /ticket commands with Discord: %s %s",
                            exc.status, exc.text[:200])

    async def on_message(self, message: discord.Message) -> None:
        await self.inbound.on_message(message)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        # Slash commands and components have their own dispatch; modal submits are read
        # here, from the raw data, so that no modal object has to survive a restart.
        data: Mapping[str, Any] = interaction.data or {}
        if interaction.type is discord.InteractionType.modal_submit \
                and str(data.get("custom_id", "")).startswith(MODAL_PREFIX):
            await self.intake.submit(interaction)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s", self.user)
