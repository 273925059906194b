"""The Slack app's lifecycle: bolt listeners, Socket Mode or HTTP mode, start and stop.

Socket Mode when an app-level token is configured, otherwise HTTP mode: bolt's aiohttp app on
one path for events, interactivity and slash commands, with request signatures verified
(a bad or stale signature gets 401 before anything else runs).

Bolt runs with ``process_before_response``: it answers Slack only when the listener returns.
Message listeners store the event first, so a failure answers 500 (Socket Mode: no ack) and
Slack re-delivers; the engine drops a re-delivery it has already applied. Interaction and
command listeners ack at once and hand the work to a task: Slack never re-delivers those, and
the trigger of a modal must be used within 3 seconds.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError, SlackClientError

from adapters.slack.blocks import (
    ACTION_PREFIX,
    ASK,
    ASK_CALLBACK,
    CUSTOMER_ACTION_PREFIX,
    DeskRenderer,
)
from adapters.slack.client import ChannelPacer, build_client
from adapters.slack.commands import TicketCommand
from adapters.slack.customers import SlackCustomers
from adapters.slack.desk import SlackDesk
from adapters.slack.directory import Directory
from adapters.slack.errors import api_error_code
from adapters.slack.files import PLATFORM, SlackFiles
from adapters.slack.inbound import Inbound
from bot.runtime import Runtime, StartupError
from bot.turn import DESK

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0
# Slack's answers to a token it will never accept (as opposed to a passing trouble).
REJECTED_TOKEN = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                            "account_inactive", "not_allowed_token_type"})


class SlackApp:
    """The agents' desk and the Slack customer channel, as one ``ChatApp``."""

    def __init__(self, runtime: Runtime, *, pacer: ChannelPacer | None = None) -> None:
        settings = runtime.settings.slack
        if not settings.bot_token or not settings.agent_channel:
            raise ValueError("Slack needs a bot token and the agents' channel")
        self.runtime = runtime
        self.settings = settings
        self.socket_mode = settings.app_token is not None and bool(
            settings.app_token.get_secret_value())
        self.client = build_client(settings)
        self.pacer = pacer or ChannelPacer()
        clock = runtime.engine.clock
        self.renderer = DeskRenderer(runtime.translator, runtime.settings.desk_language, clock)
        self.directory = Directory(self.client, agent_channel=settings.agent_channel,
                                   agent_ids=settings.agent_ids,
                                   cache_seconds=settings.agent_cache_seconds)
        self.files = SlackFiles(self.client, token=settings.bot_token.get_secret_value(),
                                api_base_url=settings.api_base_url, pacer=self.pacer)
        self.desk = SlackDesk(runtime, self.client, self.files, self.pacer, self.renderer,
                              settings.agent_channel)
        self.customers = SlackCustomers(runtime, self.client, self.files, self.pacer)
        self.inbound = Inbound(runtime, self.directory, self.desk, self.renderer)
        self.commands = TicketCommand(runtime.store, self.client, self.directory,
                                      self.renderer, command=settings.command,
                                      default_language=runtime.settings.default_language,
                                      clock=clock)
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=secret,
            process_before_response=True,
            # Socket Mode requests come over the app's own authenticated connection.
            request_verification_enabled=not self.socket_mode,
            logger=logging.getLogger("adapters.slack.bolt"),
        )
        self._register_listeners()
        self._tasks: set[asyncio.Task[None]] = set()
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.http_port: int | None = None
        # Outbound: the desk, customers on Slack, and files for every other adapter.
        runtime.dispatcher.register(DESK, self.desk)
        runtime.dispatcher.register(PLATFORM, self.customers)
        runtime.files[PLATFORM] = self.files

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.socket_mode:
            assert self.settings.app_token is not None
            app_token = self.settings.app_token.get_secret_value()
            await self._check_app_token(app_token)
            self._socket = AsyncSocketModeHandler(self.bolt, app_token=app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: connected in Socket Mode")
            return
        web_app = self.bolt.web_app(path=self.settings.events_path)
        web_app.middlewares.append(_log_refused)
        runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.http_listen, self.settings.http_port)
        try:
            await site.start()
        except OSError as exc:  # the port is taken, or the address is not this machine's
            await runner.cleanup()
            raise StartupError(f"Slack HTTP mode cannot listen on {self.settings.http_listen}:"
                               f"{self.settings.http_port} (SUPPORTBOT_SLACK__HTTP_LISTEN / "
                               f"__HTTP_PORT): {exc.strerror or exc}") from None
        self._runner = runner
        self.http_port = int(runner.addresses[0][1]) if runner.addresses else None
        log.info("Slack: HTTP mode on %s:%s%s", self.settings.http_listen, self.http_port,
                 self.settings.events_path)

    async def _check_app_token(self, token: str) -> None:
        """Socket Mode retries a rejected app token for ever, logging a traceback each time and
        never starting: ask once, and stop with one clear line when Slack says no."""
        try:
            await self.client.apps_connections_open(app_token=token)
        except SlackApiError as exc:
            code = api_error_code(exc)
            if code in REJECTED_TOKEN:
                raise StartupError(
                    f"Slack rejected SUPPORTBOT_SLACK__APP_TOKEN ({code}): use the app-level "
                    "token (xapp-...) with the connections:write scope, from Basic "
                    "Information -> App-Level Tokens") from None
            # Anything else (Slack busy, say) is left to Socket Mode's own retries.
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError):
            pass  # Slack out of reach: Socket Mode keeps trying until it is back

    async def stop(self) -> None:
        """Stop taking updates, then finish the interactions already acknowledged."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            _, late = await asyncio.wait(list(self._tasks), timeout=STOP_TIMEOUT)
            for task in late:
                task.cancel()

    async def idle(self) -> None:
        """Wait until the work handed off after acks is done (for tests and shutdown)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.create_task(work, name=f"slack:{what}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack %s failed: %s", task.get_name(), type(task.exception()).__name__,
                      exc_info=task.exception())

    # -- bolt listeners ---------------------------------------------------------------------------
    def _register_listeners(self) -> None:
        app = self.bolt

        @app.event("message")
        async def on_message(event: dict[str, Any]) -> None:
            # Stored before the ack: raising here answers non-2xx and Slack re-delivers.
            await self.inbound.message(event)

        @app.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))
        async def on_desk_action(ack: AsyncAck, body: dict[str, Any],
                                 respond: AsyncRespond) -> None:
            await ack()
            if body["actions"][0]["action_id"] == ASK:
                self._spawn(self.inbound.open_ask(body, respond), "ask")
            else:
                self._spawn(self.inbound.desk_action(body, respond), "desk action")

        @app.view(ASK_CALLBACK)
        async def on_ask(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
            await ack()
            self._spawn(self.inbound.ask_submitted(body, view), "ask submitted")

        @app.action(re.compile(f"^{re.escape(CUSTOMER_ACTION_PREFIX)}"))
        async def on_customer_action(ack: AsyncAck, body: dict[str, Any],
                                     respond: AsyncRespond) -> None:
            await ack()
            self._spawn(self.inbound.customer_action(body, respond), "customer button")

        @app.command(self.settings.command)
        async def on_command(ack: AsyncAck, command: dict[str, Any],
                             respond: AsyncRespond) -> None:
            await ack()
            self._spawn(self._answer(command, respond), "command")

    async def _answer(self, command: dict[str, Any], respond: AsyncRespond) -> None:
        answer = await self.commands.answer(str(command.get("user_id") or ""),
                                            str(command.get("text") or ""),
                                            refusal=self.inbound.refusal())
        await respond(**answer)


@web.middleware
async def _log_refused(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bolt answers a bad or stale signature with 401 and logs it only at INFO on its own
    logger (quiet in production, and with the request body); say it here, without the body."""
    response = await handler(request)
    if response.status == 401:
        log.warning("Slack request with a bad or stale signature refused (from %s)",
                    request.remote)
    return response
