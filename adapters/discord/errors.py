"""What Discord's failures mean: for the admin starting the bot, and for the delivery queue.

Messages here are for admins and agents (logs, the start-up error, the ticket's record of a
failed delivery), so they are plain English; customer-facing words live in ``locales/``.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.delivery import DeliveryError
from bot.runtime import StartupError

PORTAL = "https://discord.com/developers/applications"
DMS_CLOSED = 50007  # "Cannot send messages to this user"

INTENT_REQUIRED = (
    "Discord refused the connection: the bot asks for the privileged Message Content Intent, "
    "which is switched off for this application. Open " + PORTAL + ", choose the "
    "application, go to Bot -> Privileged Gateway Intents, switch on \"Message Content "
    "Intent\", save, and start again. (Direct messages to the bot carry their text without "
    "it: SUPPORTBOT_DISCORD__MESSAGE_CONTENT_INTENT=false stops asking for it.)"
)
TOKEN_REJECTED = (
    "Discord rejected the bot token in SUPPORTBOT_DISCORD__TOKEN. Copy it again from " + PORTAL
    + " -> your application -> Bot -> Reset Token."
)

# Failures worth another try later: Discord's servers, the network, a rate limit the library
# did not wait out itself.
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class DiscordStartError(StartupError):
    """The Discord app cannot start; the message says what to change."""


def start_error(exc: BaseException) -> DiscordStartError:
    """One clear sentence for a failure that happens while connecting."""
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return DiscordStartError(INTENT_REQUIRED)
    if isinstance(exc, discord.LoginFailure):
        return DiscordStartError(TOKEN_REJECTED)
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4004:
        return DiscordStartError(TOKEN_REJECTED)
    return DiscordStartError(f"could not connect to Discord: {type(exc).__name__}: {exc}")


def delivery_error(exc: BaseException) -> DeliveryError:
    """Whether trying again can help, and a reason the agents can act on."""
    if isinstance(exc, discord.Forbidden):
        if exc.code == DMS_CLOSED:
            return DeliveryError(
                "Discord: the customer does not accept direct messages from the bot (their "
                "DMs are closed to it, or they blocked it; code 50007)", permanent=True)
        return DeliveryError(f"Discord refused the message (403, code {exc.code})",
                             permanent=True)
    if isinstance(exc, discord.NotFound):
        return DeliveryError(
            f"Discord: the conversation or message no longer exists (404, code {exc.code})",
            permanent=True)
    if isinstance(exc, discord.RateLimited):
        return DeliveryError("Discord rate limit", permanent=False, retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return DeliveryError("Discord rate limit", permanent=False, retry_after=60.0)
        if exc.status >= 500:
            return DeliveryError(f"Discord server error ({exc.status})", permanent=False)
        # Any other 4xx means the request itself is wrong: sending it again cannot help.
        return DeliveryError(
            f"Discord rejected the message ({exc.status}, code {exc.code}): {exc.text[:200]}",
            permanent=True)
    return DeliveryError(f"Discord unreachable: {type(exc).__name__}", permanent=False)
