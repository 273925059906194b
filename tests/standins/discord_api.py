"""An in-process stand-in for Discord's REST API and gateway, driven by the real discord.py.

Everything listens on 127.0.0.1. Point discord.py at it with :func:`point_discord_at`::

    async with DiscordStandIn() as discord_api:
        with point_discord_at(discord_api):
            task = asyncio.create_task(client.start(discord_api.token))
            ...
            await discord_api.push_dm(4242, "hello")
            await discord_api.wait_for(lambda: discord_api.messages_to(4242))

Served under ``/api/v10``: the login calls, DM channels, channel messages (JSON and
multipart), interaction callbacks, interaction webhooks (follow-ups, ``@original``),
application commands and gateway discovery. ``/attachments/...`` serves file bytes.
``/gw/`` is the gateway (plain JSON text frames): HELLO, heartbeats, IDENTIFY (with the
privileged-intents check), READY + GUILD_CREATE, RESUME with replay, op 7 RECONNECT.

Everything the bot does is recorded (``messages``, ``interaction_responses``, ``followups``,
``commands``, ``rest_calls``) so that tests can assert on it, or wait for it with
:meth:`DiscordStandIn.wait_for`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import discord.gateway
import discord.http
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

__all__ = [
    "DiscordStandIn",
    "FollowupRecord",
    "GatewayEvent",
    "InteractionRecord",
    "InteractionResponseRecord",
    "MessageRecord",
    "RateLimitRule",
    "RestCall",
    "point_discord_at",
]

JSON = dict[str, Any]
_T = TypeVar("_T")
_Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.Response]]

DISCORD_EPOCH_MS = 1_420_070_400_000
API_PREFIX = "/api/v10"
MAX_CONTENT_LENGTH = 2000
EPHEMERAL_FLAG = 1 << 6

# Gateway intents that need the switch in the developer portal.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Application flags reported by GET /oauth2/applications/@me when the intents are enabled.
_APP_FLAGS_PRIVILEGED = (1 << 12) | (1 << 14) | (1 << 18)

# Gateway opcodes.
OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# Gateway close codes.
CLOSE_UNKNOWN_ERROR = 4000
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_DISALLOWED_INTENTS = 4014

# Interaction types and callback types.
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_MODAL_SUBMIT = 5
CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_MODAL = 9
_CALLBACK_TYPES = frozenset({1, 4, 5, 6, 7, 8, 9, 10, 12})

_ADMIN_PERMISSIONS = str(1 << 3)
_EVERYONE_PERMISSIONS = "1071698660929"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _json_response(
    payload: object, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    # Built by hand: discord.py only parses bodies whose Content-Type is exactly
    # "application/json", and web.json_response appends "; charset=utf-8".
    return web.Response(
        status=status,
        body=json.dumps(payload).encode(),
        content_type="application/json",
        headers=headers,
    )


def _error(status: int, code: int, message: str, errors: JSON | None = None) -> web.Response:
    payload: JSON = {"message": message, "code": code}
    if errors is not None:
        payload["errors"] = errors
    return _json_response(payload, status=status)


def _too_long(field_name: str, limit: int) -> web.Response:
    detail = {
        "code": "BASE_TYPE_MAX_LENGTH",
        "message": f"Must be {limit} or fewer in length.",
    }
    return _error(400, 50035, "Invalid Form Body", {field_name: {"_errors": [detail]}})


def _option_type(value: object) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, str):
        return 3
    raise TypeError(f"cannot infer an option type for {value!r}; pass raw option dicts")


def _command_options(options: Mapping[str, object] | Sequence[JSON] | None) -> list[JSON]:
    if options is None:
        return []
    if isinstance(options, Mapping):
        return [
            {"name": name, "type": _option_type(value), "value": value}
            for name, value in options.items()
        ]
    return [dict(option) for option in options]


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass
class RestCall:
    """One HTTP request the stand-in answered (path without the ``/api/v10`` prefix)."""

    method: str
    path: str
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


@dataclass
class MessageRecord:
    """A message the bot created with ``POST /channels/{id}/messages``."""

    channel_id: int
    message_id: int
    content: str
    components: list[JSON]
    embeds: list[JSON]
    allowed_mentions: JSON | None
    files: list[tuple[str, bytes]]
    at: float
    payload: JSON
    flags: int = 0
    message_reference: JSON | None = None
    edits: list[JSON] = field(default_factory=list)
    deleted: bool = False


@dataclass
class InteractionResponseRecord:
    """A ``POST /interactions/{id}/{token}/callback`` the bot made."""

    interaction_id: int
    token: str
    type: int
    data: JSON
    files: list[tuple[str, bytes]]
    at: float

    @property
    def content(self) -> str | None:
        content: str | None = self.data.get("content")
        return content

    @property
    def components(self) -> list[JSON]:
        components: list[JSON] = self.data.get("components") or []
        return components

    @property
    def embeds(self) -> list[JSON]:
        embeds: list[JSON] = self.data.get("embeds") or []
        return embeds

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL_FLAG)

    @property
    def custom_id(self) -> str | None:
        """The modal's custom_id for a type 9 (modal) response."""
        custom_id: str | None = self.data.get("custom_id")
        return custom_id


@dataclass
class FollowupRecord:
    """A call on an interaction webhook: action is "create", "edit" or "delete"."""

    action: str
    application_id: int
    token: str
    message_id: int
    original: bool
    payload: JSON
    files: list[tuple[str, bytes]]
    at: float

    @property
    def content(self) -> str | None:
        content: str | None = self.payload.get("content")
        return content

    @property
    def components(self) -> list[JSON]:
        components: list[JSON] = self.payload.get("components") or []
        return components

    @property
    def embeds(self) -> list[JSON]:
        embeds: list[JSON] = self.payload.get("embeds") or []
        return embeds

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & EPHEMERAL_FLAG)


@dataclass
class InteractionRecord:
    """An interaction the stand-in pushed, and what became of it."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: JSON
    message_id: int | None = None
    callback_type: int | None = None
    original_message_id: int | None = None


@dataclass
class GatewayEvent:
    """A dispatch (op 0) the stand-in sent, or buffered for a RESUME."""

    seq: int
    type: str
    data: JSON
    at: float
    replay_of: int | None = None


@dataclass
class RateLimitRule:
    """Answer the next ``remaining`` matching requests with a 429."""

    route_substring: str
    remaining: int
    retry_after: float
    is_global: bool = False
    hits: int = 0


@dataclass
class _GatewayConnection:
    ws: web.WebSocketResponse
    path: str
    query: str
    close_task: asyncio.Task[bool] | None = None


@dataclass
class _GatewaySession:
    session_id: str
    intents: int
    seq: int = 0
    events: list[GatewayEvent] = field(default_factory=list)
    connection: _GatewayConnection | None = None


# --------------------------------------------------------------------------------------
# The stand-in
# --------------------------------------------------------------------------------------


class DiscordStandIn:
    """Discord's REST API and gateway for one bot, one guild, and any number of users."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        application_id: int = 1_300_000_000_000_000_001,
        bot_user_id: int | None = None,
        guild_id: int = 1_300_000_000_000_000_100,
        text_channel_id: int = 1_300_000_000_000_000_200,
        privileged_intents_enabled: bool = True,
        heartbeat_interval_ms: int = 45_000,
        bot_username: str = "support-bot",
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user_id = application_id if bot_user_id is None else bot_user_id
        self.guild_id = guild_id
        self.text_channel_id = text_channel_id
        self.support_role_id = guild_id + 1
        self.owner_user_id = guild_id + 2
        self.privileged_intents_enabled = privileged_intents_enabled
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.bot_username = bot_username

        # Knobs for tests.
        self.closed_dms: set[int] = set()

        # Records.
        self.messages: list[MessageRecord] = []
        self.interaction_responses: list[InteractionResponseRecord] = []
        self.followups: list[FollowupRecord] = []
        self.commands: dict[int | None, list[JSON]] = {}
        self.rest_calls: list[RestCall] = []
        self.rate_limit_rules: list[RateLimitRule] = []
        self.rate_limited_count = 0
        self.interactions: dict[int, InteractionRecord] = {}
        self.gateway_events: list[GatewayEvent] = []
        self.gateway_received: list[JSON] = []
        self.gateway_paths: list[str] = []
        self.identify_count = 0
        self.resume_count = 0
        self.replayed_count = 0  # events re-sent because of a RESUME
        self.handler_errors: list[str] = []  # crashes inside the stand-in itself
        self.heartbeat_count = 0
        self.last_identify: JSON | None = None

        self._users: dict[int, JSON] = {}
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self._dm_recipients: dict[int, int] = {}  # DM channel id -> user id
        self._message_payloads: dict[int, JSON] = {}
        self._attachments: dict[int, tuple[bytes, str]] = {}  # id -> (bytes, type)
        self._command_ids: dict[tuple[int | None, int, str], int] = {}
        self._last_snowflake = 0
        self._increment = itertools.count()
        self._session: _GatewaySession | None = None
        self._gateway_lock = asyncio.Lock()
        self._connections: list[_GatewayConnection] = []
        self._routes = self._build_routes()

        self.port = 0
        self._runner: web.AppRunner | None = None

    # ----------------------------------------------------------------------------------
    # Lifecycle
    # ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        for path in ("/gw", "/gw/", "/gw-resume", "/gw-resume/"):
            app.router.add_get(path, self._handle_gateway)
        app.router.add_get("/attachments/{tail:.*}", self._handle_attachment)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        self.port = _free_port()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()

    async def stop(self) -> None:
        """Close gateway sockets (1001 going away) and stop listening."""
        for conn in list(self._connections):
            if not conn.ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.ws.close(code=1001), timeout=2.0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The value for ``DiscordWebSocket.DEFAULT_GATEWAY``."""
        return f"ws://127.0.0.1:{self.port}/gw/"

    @property
    def resume_gateway_url(self) -> str:
        """Sent in READY; discord.py RESUMEs here, so a RESUME proves READY was honoured."""
        return f"ws://127.0.0.1:{self.port}/gw-resume/"

    # ----------------------------------------------------------------------------------
    # Model helpers
    # ----------------------------------------------------------------------------------

    def snowflake(self) -> int:
        """A fresh, strictly increasing snowflake with the current timestamp."""
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = stamp | (next(self._increment) & 0xFFF)
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def add_user(
        self, user_id: int, username: str = "jan", *, global_name: str | None = None
    ) -> JSON:
        """Register (or rename) a user; pushes register their users implicitly."""
        user = {
            "id": str(user_id),
            "username": username,
            "discriminator": "0",
            "global_name": global_name,
            "avatar": None,
            "bot": False,
            "public_flags": 0,
        }
        self._users[user_id] = user
        return user

    def user_payload(self, user_id: int) -> JSON:
        if user_id == self.bot_user_id:
            return self._bot_user()
        user = self._users.get(user_id)
        return dict(user) if user is not None else self.add_user(user_id, f"user{user_id}")

    def dm_channel_id(self, user_id: int) -> int:
        """The (stable) id of the DM channel between the bot and ``user_id``."""
        channel_id = self._dm_channels.get(user_id)
        if channel_id is None:
            channel_id = self.snowflake()
            self._dm_channels[user_id] = channel_id
            self._dm_recipients[channel_id] = user_id
            if user_id not in self._users:
                self.add_user(user_id, f"user{user_id}")
        return channel_id

    def add_attachment(
        self, channel_id: int, filename: str, data: bytes, content_type: str | None = None
    ) -> JSON:
        """Store bytes and return an attachment object whose ``url`` serves them."""
        attachment_id = self.snowflake()
        kind = content_type or "application/octet-stream"
        self._attachments[attachment_id] = (data, kind)
        url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{quote(filename)}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": kind,
        }

    def messages_to(self, user_id: int) -> list[MessageRecord]:
        """Messages the bot sent into its DM channel with ``user_id``."""
        channel_id = self._dm_channels.get(user_id)
        return [m for m in self.messages if m.channel_id == channel_id]

    def messages_in(self, channel_id: int) -> list[MessageRecord]:
        return [m for m in self.messages if m.channel_id == channel_id]

    def command(self, name: str, guild_id: int | None = None) -> JSON | None:
        """A synced command by name (``guild_id=None`` for global commands)."""
        return next((c for c in self.commands.get(guild_id, []) if c["name"] == name), None)

    def rate_limit_next(
        self,
        route_substring: str,
        times: int = 1,
        retry_after: float = 0.5,
        *,
        is_global: bool = False,
    ) -> RateLimitRule:
        """Answer the next ``times`` requests whose ``"METHOD /path"`` contains the substring
        (path without ``/api/v10``, e.g. ``"POST /channels/"`` or ``"/messages"``) with 429."""
        rule = RateLimitRule(route_substring, times, retry_after, is_global)
        self.rate_limit_rules.append(rule)
        return rule

    def calls(self, method: str | None = None, path_contains: str = "") -> list[RestCall]:
        return [
            c
            for c in self.rest_calls
            if (method is None or c.method == method) and path_contains in c.path
        ]

    async def wait_for(
        self, predicate: Callable[[], _T], timeout: float = 5.0, *, interval: float = 0.01
    ) -> _T:
        """Poll ``predicate()`` until it is truthy and return its value; on timeout raise
        AssertionError with a dump of everything recorded."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"condition not met within {timeout}s: {predicate!r}\n{self.dump()}"
                )
            await asyncio.sleep(interval)

    def dump(self) -> str:
        """A readable summary of the recorded traffic, for failure messages."""
        lines = [f"stand-in handler errors: {self.handler_errors}"] if self.handler_errors else []
        lines += [
            f"gateway: identify={self.identify_count} resume={self.resume_count} "
            f"session={self._session.session_id if self._session else None} "
            f"seq={self._session.seq if self._session else None} "
            f"live={bool(self._session and self._session.connection)}",
            f"messages ({len(self.messages)}):",
        ]
        lines += [
            f"  ch={m.channel_id} id={m.message_id} content={m.content[:120]!r} "
            f"files={[n for n, _ in m.files]} components={len(m.components)}"
            for m in self.messages
        ]
        lines.append(f"interaction responses ({len(self.interaction_responses)}):")
        lines += [
            f"  interaction={r.interaction_id} type={r.type} data={json.dumps(r.data)[:200]}"
            for r in self.interaction_responses
        ]
        lines.append(f"followups ({len(self.followups)}):")
        lines += [
            f"  {f.action} message={f.message_id} original={f.original} content={f.content!r}"
            for f in self.followups
        ]
        lines.append(
            "commands: " + repr({k: [c["name"] for c in v] for k, v in self.commands.items()})
        )
        lines.append(f"last gateway dispatches ({len(self.gateway_events)} total):")
        lines += [f"  s={e.seq} {e.type}" for e in self.gateway_events[-10:]]
        lines.append(f"last REST calls ({len(self.rest_calls)} total):")
        lines += [f"  {c.status} {c.method} {c.path}" for c in self.rest_calls[-30:]]
        return "\n".join(lines)

    # ----------------------------------------------------------------------------------
    # Payload builders
    # ----------------------------------------------------------------------------------

    def _bot_user(self) -> JSON:
        return {
            "id": str(self.bot_user_id),
            "username": self.bot_username,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "public_flags": 0,
            "flags": 0,
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
        }

    def _member(self, user_id: int, *, with_user: bool = True) -> JSON:
        member: JSON = {
            "roles": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
        }
        if with_user:
            member["user"] = self.user_payload(user_id)
        return member

    def _text_channel(self) -> JSON:
        return {
            "id": str(self.text_channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "support",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }

    def _dm_channel(self, channel_id: int) -> JSON:
        user_id = self._dm_recipients[channel_id]
        return {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.user_payload(user_id)],
        }

    def _role(self, role_id: int, name: str, permissions: str, position: int) -> JSON:
        return {
            "id": str(role_id),
            "name": name,
            "permissions": permissions,
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
            "icon": None,
            "unicode_emoji": None,
        }

    def _guild_create(self) -> JSON:
        return {
            "id": str(self.guild_id),
            "name": "Support Test Guild",
            "icon": None,
            "splash": None,
            "owner_id": str(self.owner_user_id),
            "unavailable": False,
            "large": False,
            "member_count": 1,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "roles": [
                self._role(self.guild_id, "@everyone", _EVERYONE_PERMISSIONS, 0),
                self._role(self.support_role_id, "Support", _ADMIN_PERMISSIONS, 1),
            ],
            "channels": [self._text_channel()],
            "members": [self._member(self.bot_user_id)],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "rules_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "application_id": None,
        }

    def _application(self) -> JSON:
        flags = _APP_FLAGS_PRIVILEGED if self.privileged_intents_enabled else 0
        return {
            "id": str(self.application_id),
            "name": self.bot_username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": flags,
            "owner": self.user_payload(self.owner_user_id),
            "team": None,
            "rpc_origins": [],
            "interactions_endpoint_url": None,
            "bot": self._bot_user(),
        }

    def _channel_guild(self, channel_id: int) -> int | None:
        return self.guild_id if channel_id == self.text_channel_id else None

    def _build_message(
        self,
        channel_id: int,
        message_id: int,
        payload: JSON,
        *,
        author: JSON,
        attachments: list[JSON] | None = None,
        webhook_id: int | None = None,
        member: JSON | None = None,
    ) -> JSON:
        message: JSON = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": 0,
            "author": author,
            "content": payload.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments or [],
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "pinned": False,
            "flags": int(payload.get("flags") or 0),
        }
        guild_id = self._channel_guild(channel_id)
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
            if member is not None:
                message["member"] = member
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
            message["application_id"] = str(self.application_id)
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        if payload.get("message_reference"):
            message["message_reference"] = payload["message_reference"]
        self._message_payloads[message_id] = message
        return message

    def _upload_attachments(
        self, channel_id: int, payload: JSON, files: list[tuple[int, str, bytes]]
    ) -> list[JSON]:
        meta = {str(a.get("id")): a for a in payload.get("attachments") or []}
        result: list[JSON] = []
        for index, filename, data in files:
            described = meta.get(str(index), {})
            attachment = self.add_attachment(channel_id, described.get("filename", filename), data)
            if described.get("description"):
                attachment["description"] = described["description"]
            result.append(attachment)
        return result

    # ----------------------------------------------------------------------------------
    # Gateway test helpers
    # ----------------------------------------------------------------------------------

    def _require_session(self) -> _GatewaySession:
        if self._session is None:
            raise RuntimeError("no gateway session yet: start the client and wait until ready")
        return self._session

    async def dispatch(self, event_type: str, data: JSON) -> int:
        """Send any dispatch (op 0) and return its sequence number. Without a live socket
        the event is buffered in the session and replayed on RESUME, like Discord."""
        session = self._require_session()
        async with self._gateway_lock:
            return await self._dispatch_locked(session, event_type, data)

    async def push_dm(
        self,
        user_id: int,
        content: str,
        *,
        username: str = "jan",
        locale: str | None = None,
        attachments: Sequence[tuple[str, bytes]] | None = None,
    ) -> int:
        """MESSAGE_CREATE from ``user_id`` in its DM channel; returns the message id.

        Discord sends no locale with messages; ``locale`` is only put on the author object."""
        self.add_user(user_id, username)
        channel_id = self.dm_channel_id(user_id)
        author = self.user_payload(user_id)
        if locale is not None:
            author["locale"] = locale
        return await self._push_message(channel_id, author, content, attachments, member=None)

    async def push_guild_message(
        self,
        user_id: int,
        content: str,
        *,
        username: str = "jan",
        channel_id: int | None = None,
        attachments: Sequence[tuple[str, bytes]] | None = None,
        mention_bot: bool = False,
    ) -> int:
        """MESSAGE_CREATE from ``user_id`` in the guild's text channel; returns the id."""
        self.add_user(user_id, username)
        target = self.text_channel_id if channel_id is None else channel_id
        member = self._member(user_id, with_user=False)
        bot_member = self._member(self.bot_user_id, with_user=False)
        mentions = [{**self._bot_user(), "member": bot_member}]
        return await self._push_message(
            target,
            self.user_payload(user_id),
            content,
            attachments,
            member=member,
            mentions=mentions if mention_bot else None,
        )

    async def _push_message(
        self,
        channel_id: int,
        author: JSON,
        content: str,
        attachments: Sequence[tuple[str, bytes]] | None,
        *,
        member: JSON | None,
        mentions: list[JSON] | None = None,
    ) -> int:
        message_id = self.snowflake()
        files = [self.add_attachment(channel_id, name, data) for name, data in attachments or []]
        message = self._build_message(
            channel_id,
            message_id,
            {"content": content},
            author=author,
            attachments=files,
            member=member,
        )
        message["channel_type"] = 0 if member is not None else 1
        if mentions:
            message["mentions"] = mentions
        await self.dispatch("MESSAGE_CREATE", message)
        return message_id

    def _interaction(
        self,
        interaction_type: int,
        user_id: int,
        data: JSON,
        *,
        locale: str | None,
        in_guild: bool,
        message: JSON | None = None,
    ) -> InteractionRecord:
        interaction_id = self.snowflake()
        token = f"interaction-{interaction_id}-{secrets.token_hex(8)}"
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "data": data,
            "token": token,
            "version": 1,
            "app_permissions": _ADMIN_PERMISSIONS,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if locale is not None:
            payload["locale"] = locale
        if in_guild:
            channel_id = self.text_channel_id
            payload.update(
                guild_id=str(self.guild_id),
                guild={"id": str(self.guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel_id=str(channel_id),
                channel=self._text_channel(),
                member={**self._member(user_id), "permissions": _EVERYONE_PERMISSIONS},
                context=0,
                authorizing_integration_owners={"0": str(self.guild_id)},
            )
        else:
            channel_id = self.dm_channel_id(user_id)
            payload.update(
                channel_id=str(channel_id),
                channel=self._dm_channel(channel_id),
                user=self.user_payload(user_id),
                context=1,
                authorizing_integration_owners={"0": str(self.guild_id)},
            )
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            type=interaction_type,
            user_id=user_id,
            channel_id=channel_id,
            guild_id=self.guild_id if in_guild else None,
            payload=payload,
            message_id=int(message["id"]) if message is not None else None,
        )
        self.interactions[interaction_id] = record
        return record

    async def push_slash_command(
        self,
        user_id: int,
        name: str = "ticket",
        subcommand: str | None = "new",
        options: Mapping[str, object] | Sequence[JSON] | None = None,
        *,
        locale: str | None = "pl",
        guild: bool = True,
        username: str = "jan",
    ) -> int:
        """INTERACTION_CREATE type 2 for ``/name subcommand``; returns the interaction id.

        ``subcommand`` may be ``"group sub"`` for a sub-command group. ``options`` is either
        ``{name: value}`` (str/int/float/bool, types inferred) or raw option dicts."""
        self.add_user(user_id, username)
        command = (self.command(name, self.guild_id) if guild else None) or self.command(name)
        command_id = int(command["id"]) if command is not None else self.snowflake()
        inner = _command_options(options)
        if subcommand:
            parts = subcommand.split()
            inner = [{"name": parts[-1], "type": 1, "options": inner}]
            if len(parts) == 2:
                inner = [{"name": parts[0], "type": 2, "options": inner}]
        data: JSON = {"id": str(command_id), "name": name, "type": 1, "options": inner}
        if command is not None and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        record = self._interaction(
            INTERACTION_APPLICATION_COMMAND, user_id, data, locale=locale, in_guild=guild
        )
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record.id

    def _component_message(self, channel_id: int, message_id: int | None) -> JSON:
        if message_id is not None and message_id in self._message_payloads:
            return self._message_payloads[message_id]
        return self._build_message(
            channel_id,
            message_id or self.snowflake(),
            {"content": ""},
            author=self._bot_user(),
        )

    async def push_component(
        self,
        user_id: int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        message_id: int | None = None,
        locale: str | None = "pl",
        in_dm: bool = True,
        username: str = "jan",
    ) -> int:
        """INTERACTION_CREATE type 3 (button, or select with ``values``) on ``message_id``
        (a message the bot sent, or a made-up bot message); returns the interaction id."""
        self.add_user(user_id, username)
        channel_id = self.dm_channel_id(user_id) if in_dm else self.text_channel_id
        message = self._component_message(channel_id, message_id)
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        record = self._interaction(
            INTERACTION_MESSAGE_COMPONENT,
            user_id,
            data,
            locale=locale,
            in_guild=not in_dm,
            message=message,
        )
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record.id

    async def push_modal_submit(
        self,
        user_id: int,
        custom_id: str,
        fields: Mapping[str, str],
        *,
        locale: str | None = "pl",
        in_dm: bool = True,
        message_id: int | None = None,
        labels: bool = False,
        username: str = "jan",
    ) -> int:
        """INTERACTION_CREATE type 5 with text inputs ``{custom_id: value}``; returns the id.

        Inputs come in action rows (type 1), or in Label components (type 18) with
        ``labels=True``, as Discord sends them back for modals built with labels."""
        self.add_user(user_id, username)
        components: list[JSON] = []
        for index, (input_id, value) in enumerate(fields.items(), start=1):
            text_input = {"type": 4, "id": index * 2, "custom_id": input_id, "value": value}
            if labels:
                components.append({"type": 18, "id": index * 2 - 1, "component": text_input})
            else:
                components.append({"type": 1, "id": index * 2 - 1, "components": [text_input]})
        message = None
        if message_id is not None:
            channel_id = self.dm_channel_id(user_id) if in_dm else self.text_channel_id
            message = self._component_message(channel_id, message_id)
        record = self._interaction(
            INTERACTION_MODAL_SUBMIT,
            user_id,
            {"custom_id": custom_id, "components": components},
            locale=locale,
            in_guild=not in_dm,
            message=message,
        )
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record.id

    async def replay(self, ref: int | str) -> int:
        """Dispatch an already-sent event again under a new sequence number (a duplicate).

        ``ref`` is a sequence number of the current session, or the id of the event's
        object (a message id, an interaction id). Returns the new sequence number."""
        session = self._require_session()
        original = next((e for e in session.events if e.seq == ref), None)
        if original is None:
            original = next(
                (e for e in reversed(session.events) if str(e.data.get("id")) == str(ref)),
                None,
            )
        if original is None:
            raise LookupError(f"no dispatched event with seq or id {ref!r}")
        async with self._gateway_lock:
            return await self._dispatch_locked(
                session, original.type, original.data, replay_of=original.seq
            )

    async def force_reconnect(
        self,
        op7: bool = True,
        *,
        close_code: int = CLOSE_UNKNOWN_ERROR,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> None:
        """Make the client reconnect: send op 7 RECONNECT, or (``op7=False``) close the
        socket with a resumable ``close_code``. With ``wait``, return once the client has
        RESUMEd (or re-IDENTIFYed). Events pushed meanwhile are replayed on RESUME.

        discord.py sleeps 5 s before any non-initial IDENTIFY (``before_identify_hook``);
        override that hook in tests that make the client re-IDENTIFY."""
        session = self._require_session()
        resumes, identifies = self.resume_count, self.identify_count
        async with self._gateway_lock:
            conn = session.connection
            if conn is None:
                raise RuntimeError("no live gateway connection to reconnect")
            session.connection = None
            if op7:
                await self._send(conn, {"op": OP_RECONNECT, "d": None, "s": None, "t": None})
            else:
                message = b"stand-in forced a reconnect"
                conn.close_task = asyncio.create_task(
                    conn.ws.close(code=close_code, message=message)
                )
        if conn.close_task is not None:
            await conn.close_task
        if wait:
            await self.wait_for(
                lambda: self.resume_count > resumes or self.identify_count > identifies,
                timeout=timeout,
            )

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; with ``resumable=False`` the client must IDENTIFY
        (pushes raise until it has), after discord.py's 5 s ``before_identify_hook``."""
        session = self._require_session()
        async with self._gateway_lock:
            conn = session.connection
            if conn is None:
                raise RuntimeError("no live gateway connection")
            if not resumable:
                self._session = None
            session.connection = None
            frame = {"op": OP_INVALID_SESSION, "d": resumable, "s": None, "t": None}
            await self._send(conn, frame)

    # ----------------------------------------------------------------------------------
    # Gateway
    # ----------------------------------------------------------------------------------

    async def _send(self, conn: _GatewayConnection, payload: JSON) -> bool:
        if conn.ws.closed:
            return False
        try:
            await conn.ws.send_str(json.dumps(payload))
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def _dispatch_locked(
        self,
        session: _GatewaySession,
        event_type: str,
        data: JSON,
        *,
        replay_of: int | None = None,
    ) -> int:
        session.seq += 1
        event = GatewayEvent(session.seq, event_type, data, time.time(), replay_of)
        session.events.append(event)
        self.gateway_events.append(event)
        conn = session.connection
        if conn is not None:
            frame = {"op": OP_DISPATCH, "t": event_type, "s": event.seq, "d": data}
            if not await self._send(conn, frame):
                session.connection = None
        return event.seq

    async def _handle_gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _GatewayConnection(ws, request.path, request.query_string)
        self._connections.append(conn)
        self.gateway_paths.append(request.path)
        hello = {
            "op": OP_HELLO,
            "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["stand-in"]},
            "s": None,
            "t": None,
        }
        await self._send(conn, hello)
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                if not await self._on_gateway_payload(conn, payload):
                    break
        finally:
            if conn.close_task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(conn.close_task), timeout=2.0)
            session = self._session
            if session is not None and session.connection is conn:
                session.connection = None
            self._connections.remove(conn)
        return ws

    async def _on_gateway_payload(self, conn: _GatewayConnection, payload: JSON) -> bool:
        """Handle one client frame; False ends the connection."""
        op = payload.get("op")
        data = payload.get("d")
        recorded = dict(payload)
        if isinstance(data, dict) and "token" in data:
            recorded["d"] = {**data, "token": "<redacted>"}
        self.gateway_received.append(recorded)
        if op == OP_HEARTBEAT:
            self.heartbeat_count += 1
            await self._send(conn, {"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == OP_IDENTIFY and isinstance(data, dict):
            return await self._identify(conn, data)
        elif op == OP_RESUME and isinstance(data, dict):
            await self._resume(conn, data)
        elif op == OP_REQUEST_GUILD_MEMBERS and isinstance(data, dict):
            await self._members_chunk(data)
        return True

    async def _identify(self, conn: _GatewayConnection, data: JSON) -> bool:
        self.identify_count += 1
        self.last_identify = {**data, "token": "<redacted>"}
        if data.get("token") != self.token:
            message = b"Authentication failed."
            await conn.ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=message)
            return False
        intents = int(data.get("intents") or 0)
        if not self.privileged_intents_enabled and intents & PRIVILEGED_INTENTS:
            await conn.ws.close(code=CLOSE_DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return False
        session = _GatewaySession(session_id=secrets.token_hex(16), intents=intents)
        async with self._gateway_lock:
            self._session = session
            session.connection = conn
            ready = {
                "v": 10,
                "user": self._bot_user(),
                "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.resume_gateway_url,
                "application": {
                    "id": str(self.application_id),
                    "flags": self._application()["flags"],
                },
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "_trace": ["stand-in"],
            }
            await self._dispatch_locked(session, "READY", ready)
            await self._dispatch_locked(session, "GUILD_CREATE", self._guild_create())
        return True

    async def _resume(self, conn: _GatewayConnection, data: JSON) -> None:
        session = self._session
        valid = (
            session is not None
            and data.get("token") == self.token
            and data.get("session_id") == session.session_id
        )
        if session is None or not valid:
            await self._send(conn, {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        last_seq = int(data.get("seq") or 0)
        async with self._gateway_lock:
            self.resume_count += 1
            for event in [e for e in session.events if e.seq > last_seq]:
                self.replayed_count += 1
                frame = {"op": OP_DISPATCH, "t": event.type, "s": event.seq, "d": event.data}
                await self._send(conn, frame)
            session.connection = conn
            await self._dispatch_locked(session, "RESUMED", {"_trace": ["stand-in"]})

    async def _members_chunk(self, data: JSON) -> None:
        session = self._session
        if session is None:
            return
        members = [self._member(self.bot_user_id)] + [
            self._member(user_id) for user_id in self._users
        ]
        chunk: JSON = {
            "guild_id": str(self.guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        async with self._gateway_lock:
            await self._dispatch_locked(session, "GUILD_MEMBERS_CHUNK", chunk)

    # ----------------------------------------------------------------------------------
    # REST plumbing
    # ----------------------------------------------------------------------------------

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], _Handler]]:
        snowflake = r"(?P<{}>\d+)"
        channel = snowflake.format("channel_id")
        message = snowflake.format("message_id")
        app = snowflake.format("application_id")
        guild = snowflake.format("guild_id")
        command = snowflake.format("command_id")
        webhook = rf"/webhooks/{app}/(?P<token>[^/]+)"
        table: list[tuple[str, str, _Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("GET", r"/users/(?P<user_id>\d+)", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", f"/channels/{channel}", self._get_channel),
            ("POST", f"/channels/{channel}/typing", self._typing),
            ("POST", f"/channels/{channel}/messages", self._create_message),
            ("GET", f"/channels/{channel}/messages/{message}", self._get_message),
            ("PATCH", f"/channels/{channel}/messages/{message}", self._edit_message),
            ("DELETE", f"/channels/{channel}/messages/{message}", self._delete_message),
            (
                "POST",
                r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
                self._interaction_callback,
            ),
            ("POST", webhook, self._webhook_execute),
            ("PATCH", webhook, self._webhook_edit_self),
            ("GET", webhook + r"/messages/(?P<message_id>\d+|@original)", self._webhook_get),
            ("PATCH", webhook + r"/messages/(?P<message_id>\d+|@original)", self._webhook_edit),
            (
                "DELETE",
                webhook + r"/messages/(?P<message_id>\d+|@original)",
                self._webhook_delete,
            ),
            ("GET", f"/applications/{app}/commands", self._get_commands),
            ("PUT", f"/applications/{app}/commands", self._put_commands),
            ("POST", f"/applications/{app}/commands", self._post_command),
            ("GET", f"/applications/{app}/commands/{command}", self._get_command),
            ("DELETE", f"/applications/{app}/commands/{command}", self._delete_command),
            ("GET", f"/applications/{app}/guilds/{guild}/commands", self._get_commands),
            ("PUT", f"/applications/{app}/guilds/{guild}/commands", self._put_commands),
            ("POST", f"/applications/{app}/guilds/{guild}/commands", self._post_command),
            (
                "GET",
                f"/applications/{app}/guilds/{guild}/commands/{command}",
                self._get_command,
            ),
            (
                "DELETE",
                f"/applications/{app}/guilds/{guild}/commands/{command}",
                self._delete_command,
            ),
        ]
        return [(method, re.compile(pattern + "$"), handler) for method, pattern, handler in table]

    @staticmethod
    def _needs_bot_auth(path: str) -> bool:
        # Interaction callbacks and interaction webhooks are authorised by their token.
        return not (path.startswith("/interactions/") or path.startswith("/webhooks/"))

    def _take_rate_limit(self, method: str, path: str) -> RateLimitRule | None:
        key = f"{method} {path}"
        for rule in self.rate_limit_rules:
            if rule.remaining > 0 and rule.route_substring in key:
                rule.remaining -= 1
                rule.hits += 1
                return rule
        return None

    @staticmethod
    def _rate_limited(rule: RateLimitRule) -> web.Response:
        headers = {
            # Without Via, discord.py takes a 429 for a Cloudflare ban and raises.
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(rule.retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
            "X-RateLimit-Bucket": "stand-in-" + rule.route_substring.strip("/ ").replace("/", "-"),
            "X-RateLimit-Scope": "global" if rule.is_global else "user",
        }
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": rule.retry_after,
            "global": rule.is_global,
        }
        return _json_response(body, status=429, headers=headers)

    async def _handle_api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        call = RestCall(request.method, path, query=dict(request.query))
        self.rest_calls.append(call)
        response = await self._route(request, path)
        call.status = response.status
        return response

    async def _route(self, request: web.Request, path: str) -> web.Response:
        authorised = request.headers.get("Authorization") == f"Bot {self.token}"
        if self._needs_bot_auth(path) and not authorised:
            return _error(401, 0, "401: Unauthorized")
        path_matched = False
        for method, pattern, handler in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            path_matched = True
            if method != request.method:
                continue
            rule = self._take_rate_limit(request.method, path)
            if rule is not None:
                self.rate_limited_count += 1
                return self._rate_limited(rule)
            try:
                return await handler(request, found.groupdict())
            except json.JSONDecodeError:
                return _error(400, 50109, "The request body contains invalid JSON.")
            except Exception as exc:  # a stand-in bug: fail fast, discord.py retries 5xx
                self.handler_errors.append(f"{request.method} {path}: {exc!r}")
                return _error(400, 0, f"stand-in handler crashed: {exc!r}")
        if path_matched:
            return _error(405, 0, "405: Method Not Allowed")
        return _error(404, 0, "404: Not Found")

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[int, str, bytes]]]:
        """The JSON payload and the uploaded ``files[n]`` as (n, filename, bytes)."""
        if request.content_type.startswith("multipart/"):
            payload: Any = {}
            files: list[tuple[int, str, bytes]] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                name = part.name or ""
                data = bytes(await part.read(decode=False))
                if name == "payload_json":
                    payload = json.loads(data)
                elif found := re.fullmatch(r"files\[(\d+)\]", name):
                    files.append((int(found.group(1)), part.filename or name, data))
            return payload, files
        raw = await request.read()
        return (json.loads(raw) if raw else {}), []

    # ----------------------------------------------------------------------------------
    # REST handlers: users, application, gateway, channels
    # ----------------------------------------------------------------------------------

    async def _get_me(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return _json_response(self._bot_user())

    async def _get_user(self, request: web.Request, params: dict[str, str]) -> web.Response:
        user_id = int(params["user_id"])
        if user_id != self.bot_user_id and user_id not in self._users:
            return _error(404, 10013, "Unknown User")
        return _json_response(self.user_payload(user_id))

    async def _create_dm(self, request: web.Request, params: dict[str, str]) -> web.Response:
        body, _ = await self._read_body(request)
        recipient = body.get("recipient_id") if isinstance(body, dict) else None
        if recipient is None:
            detail = {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
            return _error(400, 50035, "Invalid Form Body", {"recipient_id": {"_errors": [detail]}})
        return _json_response(self._dm_channel(self.dm_channel_id(int(recipient))))

    async def _get_application(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return _json_response(self._application())

    async def _get_gateway(self, request: web.Request, params: dict[str, str]) -> web.Response:
        return _json_response({"url": self.gateway_url.rstrip("/")})

    async def _get_gateway_bot(self, request: web.Request, params: dict[str, str]) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        body = {"url": self.gateway_url.rstrip("/"), "shards": 1, "session_start_limit": limit}
        return _json_response(body)

    def _channel_payload(self, channel_id: int) -> JSON | None:
        if channel_id == self.text_channel_id:
            return self._text_channel()
        if channel_id in self._dm_recipients:
            return self._dm_channel(channel_id)
        return None

    async def _get_channel(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel = self._channel_payload(int(params["channel_id"]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        return _json_response(channel)

    async def _typing(self, request: web.Request, params: dict[str, str]) -> web.Response:
        if self._channel_payload(int(params["channel_id"])) is None:
            return _error(404, 10003, "Unknown Channel")
        return web.Response(status=204)

    def _validate_message(
        self, payload: JSON, files: Sequence[object], *, creating: bool
    ) -> web.Response | None:
        content = payload.get("content")
        if content is not None and len(content) > MAX_CONTENT_LENGTH:
            return _too_long("content", MAX_CONTENT_LENGTH)
        embeds = payload.get("embeds") or []
        if len(embeds) > 10:
            return _too_long("embeds", 10)
        has_body = any(
            payload.get(key) for key in ("content", "embeds", "components", "sticker_ids", "poll")
        )
        if creating and not has_body and not files:
            return _error(400, 50006, "Cannot send an empty message")
        return None

    async def _create_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel_id = int(params["channel_id"])
        if self._channel_payload(channel_id) is None:
            return _error(404, 10003, "Unknown Channel")
        payload, files = await self._read_body(request)
        if not isinstance(payload, dict):
            return _error(400, 50109, "The request body contains invalid JSON.")
        problem = self._validate_message(payload, files, creating=True)
        if problem is not None:
            return problem
        if self._dm_recipients.get(channel_id) in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        message_id = self.snowflake()
        attachments = self._upload_attachments(channel_id, payload, files)
        bot_member = self._member(self.bot_user_id, with_user=False)
        message = self._build_message(
            channel_id,
            message_id,
            payload,
            author=self._bot_user(),
            attachments=attachments,
            member=bot_member,
        )
        self.messages.append(
            MessageRecord(
                channel_id=channel_id,
                message_id=message_id,
                content=payload.get("content") or "",
                components=payload.get("components") or [],
                embeds=payload.get("embeds") or [],
                allowed_mentions=payload.get("allowed_mentions"),
                files=[(name, data) for _, name, data in files],
                at=time.time(),
                payload=payload,
                flags=int(payload.get("flags") or 0),
                message_reference=payload.get("message_reference"),
            )
        )
        return _json_response(message)

    def _find_record(self, channel_id: int, message_id: int) -> MessageRecord | None:
        return next(
            (
                m
                for m in self.messages
                if m.message_id == message_id and m.channel_id == channel_id and not m.deleted
            ),
            None,
        )

    def _apply_edit(self, message: JSON, payload: JSON, attachments: list[JSON]) -> None:
        for key in ("content", "embeds", "components", "flags"):
            if key in payload:
                message[key] = payload[key] if payload[key] is not None else message.get(key)
        if "attachments" in payload or attachments:
            kept_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
            kept = [a for a in message.get("attachments", []) if a["id"] in kept_ids]
            message["attachments"] = kept + attachments
        message["edited_timestamp"] = _now_iso()

    async def _get_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        message = self._message_payloads.get(int(params["message_id"]))
        if message is None or message["channel_id"] != params["channel_id"]:
            return _error(404, 10008, "Unknown Message")
        return _json_response(message)

    async def _edit_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        channel_id, message_id = int(params["channel_id"]), int(params["message_id"])
        record = self._find_record(channel_id, message_id)
        if record is None:
            return _error(404, 10008, "Unknown Message")
        payload, files = await self._read_body(request)
        problem = self._validate_message(payload, files, creating=False)
        if problem is not None:
            return problem
        self._edit_record(record, payload, files)
        return _json_response(self._message_payloads[message_id])

    def _edit_record(
        self, record: MessageRecord, payload: JSON, files: list[tuple[int, str, bytes]]
    ) -> None:
        attachments = self._upload_attachments(record.channel_id, payload, files)
        self._apply_edit(self._message_payloads[record.message_id], payload, attachments)
        record.edits.append(payload)
        if "content" in payload:
            record.content = payload.get("content") or ""
        if "components" in payload:
            record.components = payload.get("components") or []
        if "embeds" in payload:
            record.embeds = payload.get("embeds") or []
        record.files += [(name, data) for _, name, data in files]

    async def _delete_message(self, request: web.Request, params: dict[str, str]) -> web.Response:
        record = self._find_record(int(params["channel_id"]), int(params["message_id"]))
        if record is None:
            return _error(404, 10008, "Unknown Message")
        record.deleted = True
        return web.Response(status=204)

    # ----------------------------------------------------------------------------------
    # REST handlers: interactions and their webhooks
    # ----------------------------------------------------------------------------------

    async def _interaction_callback(
        self, request: web.Request, params: dict[str, str]
    ) -> web.Response:
        interaction = self.interactions.get(int(params["interaction_id"]))
        if interaction is None or interaction.token != params["token"]:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callback_type is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body, files = await self._read_body(request)
        callback_type = body.get("type") if isinstance(body, dict) else None
        if callback_type not in _CALLBACK_TYPES:
            detail = {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of the choices."}
            return _error(400, 50035, "Invalid Form Body", {"type": {"_errors": [detail]}})
        data: JSON = body.get("data") or {}
        if callback_type in (CALLBACK_CHANNEL_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            problem = self._validate_message(
                data, files, creating=callback_type == CALLBACK_CHANNEL_MESSAGE
            )
            if problem is not None:
                return problem
        interaction.callback_type = callback_type
        self.interaction_responses.append(
            InteractionResponseRecord(
                interaction_id=interaction.id,
                token=interaction.token,
                type=callback_type,
                data=data,
                files=[(name, content) for _, name, content in files],
                at=time.time(),
            )
        )
        message = self._callback_message(interaction, callback_type, data, files)
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        flags = int(data.get("flags") or 0)
        result: JSON = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_loading": callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(flags & EPHEMERAL_FLAG),
            }
        }
        if message is not None:
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": callback_type, "message": message}
        return _json_response(result)

    def _callback_message(
        self,
        interaction: InteractionRecord,
        callback_type: int,
        data: JSON,
        files: list[tuple[int, str, bytes]],
    ) -> JSON | None:
        """Create or update the message a callback stands for; None when there is none."""
        if callback_type in (CALLBACK_CHANNEL_MESSAGE, CALLBACK_DEFERRED_CHANNEL_MESSAGE):
            message_id = self.snowflake()
            attachments = self._upload_attachments(interaction.channel_id, data, files)
            if callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
                data = {"flags": int(data.get("flags") or 0) | (1 << 7)}  # LOADING
            message = self._build_message(
                interaction.channel_id,
                message_id,
                data,
                author=self._bot_user(),
                attachments=attachments,
                webhook_id=self.application_id,
            )
            interaction.original_message_id = message_id
            return message
        if callback_type in (CALLBACK_UPDATE_MESSAGE, CALLBACK_DEFERRED_UPDATE_MESSAGE):
            interaction.original_message_id = interaction.message_id
            if interaction.message_id is None:
                return None
            if callback_type == CALLBACK_UPDATE_MESSAGE:
                record = self._find_record(interaction.channel_id, interaction.message_id)
                if record is not None:
                    self._edit_record(record, data, files)
                else:
                    attachments = self._upload_attachments(interaction.channel_id, data, files)
                    message = self._message_payloads[interaction.message_id]
                    self._apply_edit(message, data, attachments)
            return self._message_payloads.get(interaction.message_id)
        return None

    def _webhook_interaction(self, params: dict[str, str]) -> InteractionRecord | None:
        if int(params["application_id"]) != self.application_id:
            return None
        found = next((i for i in self.interactions.values() if i.token == params["token"]), None)
        if found is None or found.callback_type is None:
            return None  # Discord only opens the webhook once the interaction is answered.
        return found

    def _webhook_message_id(
        self, interaction: InteractionRecord, ref: str
    ) -> tuple[int | None, bool]:
        if ref == "@original":
            return interaction.original_message_id, True
        return int(ref), int(ref) == interaction.original_message_id

    async def _webhook_execute(self, request: web.Request, params: dict[str, str]) -> web.Response:
        interaction = self._webhook_interaction(params)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        payload, files = await self._read_body(request)
        problem = self._validate_message(payload, files, creating=True)
        if problem is not None:
            return problem
        message_id = self.snowflake()
        attachments = self._upload_attachments(interaction.channel_id, payload, files)
        message = self._build_message(
            interaction.channel_id,
            message_id,
            payload,
            author=self._bot_user(),
            attachments=attachments,
            webhook_id=self.application_id,
        )
        self.followups.append(
            FollowupRecord(
                action="create",
                application_id=self.application_id,
                token=interaction.token,
                message_id=message_id,
                original=False,
                payload=payload,
                files=[(name, data) for _, name, data in files],
                at=time.time(),
            )
        )
        if request.query.get("wait") in ("1", "true", "True"):
            return _json_response(message)
        return web.Response(status=204)

    async def _webhook_edit_self(
        self, request: web.Request, params: dict[str, str]
    ) -> web.Response:
        if self._webhook_interaction(params) is None:
            return _error(404, 10015, "Unknown Webhook")
        body = {
            "id": params["application_id"],
            "type": 3,
            "name": self.bot_username,
            "avatar": None,
            "application_id": str(self.application_id),
        }
        return _json_response(body)

    async def _webhook_get(self, request: web.Request, params: dict[str, str]) -> web.Response:
        interaction = self._webhook_interaction(params)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        message_id, _ = self._webhook_message_id(interaction, params["message_id"])
        message = self._message_payloads.get(message_id) if message_id else None
        if message is None:
            return _error(404, 10008, "Unknown Message")
        return _json_response(message)

    async def _webhook_edit(self, request: web.Request, params: dict[str, str]) -> web.Response:
        interaction = self._webhook_interaction(params)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        message_id, original = self._webhook_message_id(interaction, params["message_id"])
        message = self._message_payloads.get(message_id) if message_id else None
        if message_id is None or message is None:
            return _error(404, 10008, "Unknown Message")
        payload, files = await self._read_body(request)
        problem = self._validate_message(payload, files, creating=False)
        if problem is not None:
            return problem
        record = self._find_record(interaction.channel_id, message_id)
        if record is not None:
            self._edit_record(record, payload, files)
        else:
            attachments = self._upload_attachments(interaction.channel_id, payload, files)
            self._apply_edit(message, payload, attachments)
            if original and message.get("flags", 0) & (1 << 7):
                message["flags"] &= ~(1 << 7)  # the deferred "thinking" state ends
        self.followups.append(
            FollowupRecord(
                action="edit",
                application_id=self.application_id,
                token=interaction.token,
                message_id=message_id,
                original=original,
                payload=payload,
                files=[(name, data) for _, name, data in files],
                at=time.time(),
            )
        )
        return _json_response(message)

    async def _webhook_delete(self, request: web.Request, params: dict[str, str]) -> web.Response:
        interaction = self._webhook_interaction(params)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        message_id, original = self._webhook_message_id(interaction, params["message_id"])
        if message_id is None or self._message_payloads.pop(message_id, None) is None:
            return _error(404, 10008, "Unknown Message")
        self.followups.append(
            FollowupRecord(
                action="delete",
                application_id=self.application_id,
                token=interaction.token,
                message_id=message_id,
                original=original,
                payload={},
                files=[],
                at=time.time(),
            )
        )
        return web.Response(status=204)

    # ----------------------------------------------------------------------------------
    # REST handlers: application commands
    # ----------------------------------------------------------------------------------

    def _command_scope(self, params: dict[str, str]) -> tuple[int | None, web.Response | None]:
        if int(params["application_id"]) != self.application_id:
            return None, _error(403, 50001, "Missing Access")
        guild = params.get("guild_id")
        if guild is not None and int(guild) != self.guild_id:
            return None, _error(404, 10004, "Unknown Guild")
        return (int(guild) if guild is not None else None), None

    def _stored_command(self, scope: int | None, body: JSON) -> JSON | None:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            return None
        command_type = int(body.get("type") or 1)
        key = (scope, command_type, name)
        command_id = self._command_ids.setdefault(key, self.snowflake())
        stored: JSON = {
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "description": "",
            "options": [],
            **body,
            "id": str(command_id),
            "application_id": str(self.application_id),
            "type": command_type,
            "version": str(self.snowflake()),
        }
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    @staticmethod
    def _bad_command(index: int | None) -> web.Response:
        detail = {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 32 in length."}
        errors: JSON = {"name": {"_errors": [detail]}}
        if index is not None:
            errors = {str(index): errors}
        return _error(400, 50035, "Invalid Form Body", errors)

    async def _get_commands(self, request: web.Request, params: dict[str, str]) -> web.Response:
        scope, problem = self._command_scope(params)
        return problem or _json_response(self.commands.get(scope, []))

    async def _put_commands(self, request: web.Request, params: dict[str, str]) -> web.Response:
        scope, problem = self._command_scope(params)
        if problem is not None:
            return problem
        body, _ = await self._read_body(request)
        if not isinstance(body, list):
            return _error(400, 50035, "Invalid Form Body")
        stored: list[JSON] = []
        for index, item in enumerate(body):
            command = self._stored_command(scope, item)
            if command is None:
                return self._bad_command(index)
            stored.append(command)
        self.commands[scope] = stored
        return _json_response(stored)

    async def _post_command(self, request: web.Request, params: dict[str, str]) -> web.Response:
        scope, problem = self._command_scope(params)
        if problem is not None:
            return problem
        body, _ = await self._read_body(request)
        command = self._stored_command(scope, body) if isinstance(body, dict) else None
        if command is None:
            return self._bad_command(None)
        existing = [c for c in self.commands.get(scope, []) if c["id"] != command["id"]]
        self.commands[scope] = [*existing, command]
        return _json_response(command, status=201)

    async def _get_command(self, request: web.Request, params: dict[str, str]) -> web.Response:
        scope, problem = self._command_scope(params)
        if problem is not None:
            return problem
        found = next(
            (c for c in self.commands.get(scope, []) if c["id"] == params["command_id"]), None
        )
        if found is None:
            return _error(404, 10063, "Unknown application command")
        return _json_response(found)

    async def _delete_command(self, request: web.Request, params: dict[str, str]) -> web.Response:
        scope, problem = self._command_scope(params)
        if problem is not None:
            return problem
        before = self.commands.get(scope, [])
        after = [c for c in before if c["id"] != params["command_id"]]
        if len(after) == len(before):
            return _error(404, 10063, "Unknown application command")
        self.commands[scope] = after
        return web.Response(status=204)

    # ----------------------------------------------------------------------------------
    # Attachments
    # ----------------------------------------------------------------------------------

    async def _handle_attachment(self, request: web.Request) -> web.Response:
        found = re.fullmatch(r"\d+/(\d+)/.+", request.match_info["tail"])
        stored = self._attachments.get(int(found.group(1))) if found else None
        if stored is None:
            return web.Response(status=404, text="Not Found")
        data, content_type = stored
        return web.Response(body=data, content_type=content_type)


@contextlib.contextmanager
def point_discord_at(stand_in: DiscordStandIn) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at the stand-in, then restore them."""
    route = discord.http.Route
    websocket = discord.gateway.DiscordWebSocket
    saved_base, saved_gateway = route.BASE, websocket.DEFAULT_GATEWAY
    route.BASE = stand_in.api_base
    websocket.DEFAULT_GATEWAY = yarl.URL(stand_in.gateway_url)
    try:
        yield
    finally:
        route.BASE = saved_base
        websocket.DEFAULT_GATEWAY = saved_gateway
