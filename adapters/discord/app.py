"""The Discord chat app's lifecycle: log in, connect, take updates, deliver, stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from adapters.discord.client import SupportClient
from adapters.discord.commands import CommandTranslator, ticket_commands
from adapters.discord.errors import DiscordStartError, start_error
from adapters.discord.inbound import PLATFORM, Inbound
from adapters.discord.intake import ModalIntake
from adapters.discord.outbound import Outbound
from bot.actions import Action
from bot.events import Attachment
from bot.runtime import Runtime
from bot.settings import DiscordSettings

log = logging.getLogger(__name__)

READY_WAIT = 30.0  # start() waits this long for the gateway; then it keeps trying alone
STOP_WAIT = 5.0


class Endpoints:
    """discord.py reads its REST base and gateway from class attributes; tests point them at
    a stand-in through the settings. The previous values are restored on stop."""

    def __init__(self, settings: DiscordSettings) -> None:
        self.settings = settings
        self._saved: tuple[str, yarl.URL] | None = None

    def apply(self) -> None:
        if not (self.settings.api_base_url or self.settings.gateway_url):
            return
        route, websocket = discord.http.Route, discord.gateway.DiscordWebSocket
        self._saved = (route.BASE, websocket.DEFAULT_GATEWAY)
        if self.settings.api_base_url:
            route.BASE = self.settings.api_base_url.rstrip("/")
        if self.settings.gateway_url:
            websocket.DEFAULT_GATEWAY = yarl.URL(self.settings.gateway_url)

    def restore(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = \
                self._saved
            self._saved = None


class DiscordApp:
    """A chat app (start/stop), a delivery channel (deliver) and a file source (fetch)."""

    def __init__(self, runtime: Runtime, *, guild_ready_timeout: float = 2.0,
                 ready_wait: float = READY_WAIT) -> None:
        self.runtime = runtime
        self.settings = runtime.settings.discord
        self.ready_wait = ready_wait
        self.inbound = Inbound(runtime)
        self.intake = ModalIntake(runtime, self.inbound)
        commands = ticket_commands(self.inbound, self.intake, runtime.translator,
                                   runtime.engine.config.forms.categories)
        self.client = SupportClient(
            self.inbound, self.intake, commands, CommandTranslator(runtime.translator),
            message_content=self.settings.message_content_intent,
            sync_commands=self.settings.sync_commands,
            guild_ready_timeout=guild_ready_timeout,
        )
        self.outbound = Outbound(runtime, self.client)
        self._endpoints = Endpoints(self.settings)
        self._gateway: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Log in and connect; a wrong token or a missing privileged intent stops the start
        with one sentence saying what to change."""
        if self.settings.token is None:
            raise DiscordStartError("SUPPORTBOT_DISCORD__TOKEN is not set")
        self._endpoints.apply()
        try:
            await self.client.login(self.settings.token.get_secret_value())
        except discord.LoginFailure as exc:
            await self._close()
            raise start_error(exc) from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            await self._close()
            raise start_error(exc) from exc
        self.outbound.available = True
        self._gateway = asyncio.create_task(self._connect(), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({self._gateway, ready}, timeout=self.ready_wait,
                                     return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._gateway in done:
            problem = self._gateway.exception() or RuntimeError("the gateway closed")
            await self._close()
            raise start_error(problem) from None
        if not done:
            log.warning("Discord's gateway is not ready after %.0fs; still trying",
                        self.ready_wait)

    async def _connect(self) -> None:
        try:
            # reconnect=True: discord.py resumes (or re-identifies) after drops, with backoff.
            await self.client.connect(reconnect=True)
        except Exception as exc:
            if not self._stopping and self.client.is_ready():
                # Failing after a good start: nothing else will say so.
                log.critical("Discord connection lost for good: %s", start_error(exc))
            raise

    async def stop(self) -> None:
        """Stop taking updates, let those in hand reach the store and deliveries in flight
        finish (bounded), then disconnect."""
        self._stopping = True
        self.inbound.stopping = True
        await self.inbound.wait_idle(STOP_WAIT)
        await self.outbound.wait_idle(STOP_WAIT)
        await self._close()

    async def _close(self) -> None:
        self.outbound.available = False
        await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._gateway, STOP_WAIT)
        self._endpoints.restore()

    # -- the delivery channel and file source --------------------------------------------------
    async def deliver(self, action: Action) -> str | None:
        return await self.outbound.deliver(action)

    async def fetch(self, attachment: Attachment) -> bytes:
        """A file a customer sent on Discord, by its URL. FileNotFoundError when it is gone
        (attachment URLs expire after about a day), ConnectionError when Discord is not
        reachable."""
        url = attachment.file_ref
        if attachment.source != PLATFORM or not url.startswith(("https://", "http://")):
            raise FileNotFoundError(f"not a Discord attachment: {attachment.name!r}")
        try:
            return await self.client.http.get_from_cdn(url)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise FileNotFoundError(f"Discord no longer serves {attachment.name!r}") from exc
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise ConnectionError(f"could not fetch {attachment.name!r} from Discord") from exc
