"""Discord: customers write to the bot in direct messages, or use /ticket in a server.

See the README's Discord section for creating the application, the intents, the invite link
and the settings.
"""

from __future__ import annotations

from adapters.discord.app import DiscordApp
from adapters.discord.errors import DiscordStartError
from adapters.discord.inbound import PLATFORM
from bot.runtime import Runtime

__all__ = ["PLATFORM", "DiscordApp", "DiscordStartError", "create"]


def create(runtime: Runtime, *, guild_ready_timeout: float = 2.0) -> DiscordApp:
    """The Discord app, registered for delivery to Discord customers and as a file source.

    ``guild_ready_timeout``: how long discord.py waits for servers to arrive after READY
    before it reports ready (tests shorten it)."""
    app = DiscordApp(runtime, guild_ready_timeout=guild_ready_timeout)
    runtime.dispatcher.register(PLATFORM, app)
    runtime.files[PLATFORM] = app
    return app
