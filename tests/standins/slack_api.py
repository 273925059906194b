"""A test stand-in for Slack, served on 127.0.0.1 with aiohttp.

It plays both sides of Slack for a bot under test:

* the Web API (``/api/<method>``) that the real ``slack_sdk`` ``AsyncWebClient`` calls, with
  ``apps.connections.open`` and a Socket Mode websocket (``/link/``);
* the file upload URL used by ``files_upload_v2`` and ``url_private_download`` file downloads;
* ``response_url`` endpoints (``/response/<id>``) that record what the bot posts there;
* the sender side of the Events API, interactivity and slash commands: signed HTTP requests
  to the bot's endpoint, or envelopes pushed over the Socket Mode connection.

Usage::

    async with SlackStandIn() as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.posts[0].text == "hi"

Behaviour copied from Slack: ``ts`` values are unique and increasing strings such as
``"1700000000.000100"``; text over 40,000 characters is truncated; more than 50 blocks (or a
section text over 3,000 characters) is ``invalid_blocks``; a 429 carries ``Retry-After``;
``url_private_download`` without a valid bearer token redirects to an HTML sign-in page that
answers 200 (so a bot must check what it got, not only the status).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import mimetypes
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

JSONDict = dict[str, Any]
T = TypeVar("T")

MAX_TEXT_CHARS = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT_CHARS = 3_000
TS_BASE_MICROS = 1_700_000_000 * 1_000_000
TS_STEP_MICROS = 100
VERIFICATION_TOKEN = "legacy-verification-token"


# --------------------------------------------------------------------------------------------
# Records


@dataclass
class Message:
    """A message the bot posted (``posts`` keeps it as posted; ``messages_in`` as it stands)."""

    channel: str
    ts: str
    text: str
    blocks: list[JSONDict] | None
    thread_ts: str | None
    user: str
    bot_id: str
    params: JSONDict = field(default_factory=dict)
    edited: bool = False

    def to_api(self, team_id: str) -> JSONDict:
        """The message object as Slack returns it in API responses."""
        data: JSONDict = {
            "type": "message",
            "user": self.user,
            "bot_id": self.bot_id,
            "text": self.text,
            "ts": self.ts,
            "team": team_id,
        }
        if self.blocks is not None:
            data["blocks"] = self.blocks
        if self.thread_ts is not None:
            data["thread_ts"] = self.thread_ts
        if self.edited:
            data["edited"] = {"user": self.user, "ts": self.ts}
        return data


@dataclass(frozen=True)
class Update:
    """A chat.update call (or a ``replace_original`` through a response_url)."""

    channel: str
    ts: str
    text: str | None
    blocks: list[JSONDict] | None
    params: JSONDict
    via: str = "chat.update"


@dataclass(frozen=True)
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[JSONDict] | None
    thread_ts: str | None
    message_ts: str


class Reaction(NamedTuple):
    channel: str
    ts: str
    name: str


@dataclass(frozen=True)
class ViewRecord:
    """A views.open / views.update / views.push / views.publish call."""

    method: str
    view_id: str
    view: JSONDict
    trigger_id: str | None
    user_id: str | None = None


@dataclass
class StoredFile:
    id: str
    filename: str
    title: str
    mimetype: str
    content: bytes | None
    user: str
    alt_txt: str | None = None


@dataclass(frozen=True)
class Upload:
    """A file completed with files.completeUploadExternal (the files_upload_v2 flow)."""

    file_id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    channels: list[str]
    thread_ts: str | None
    initial_comment: str | None


@dataclass(frozen=True)
class ResponseRecord:
    """A body the bot POSTed to a response_url; ``origin`` says what issued the URL."""

    response_id: str
    body: JSONDict
    origin: JSONDict


@dataclass
class _Fault:
    kind: str  # "ratelimit" or "error"
    remaining: int
    retry_after: int = 1
    error: str = "internal_error"
    status: int = 200


class _ApiError(Exception):
    def __init__(self, error: str, *, status: int = 200, extra: JSONDict | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra or {}


_ApiHandler = Callable[[JSONDict], Awaitable[JSONDict]]


# --------------------------------------------------------------------------------------------
# Small helpers


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, (str, int)) and str(value).lower() in {"1", "true"})


def _json_param(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _require(params: JSONDict, key: str, error: str = "invalid_arguments") -> str:
    value = params.get(key)
    if value is None or value == "":
        raise _ApiError(error)
    return str(value)


def _json_response(
    data: JSONDict, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data),
        content_type="application/json",
        headers=dict(headers or {}),
    )


def _validate_blocks(raw: Any) -> list[JSONDict] | None:
    if raw is None or raw == "":
        return None
    blocks = _json_param(raw)
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise _ApiError("invalid_blocks_format")
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"must provide an array with no more than {MAX_BLOCKS} items "
                      "[json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        if "type" not in block:
            errors.append(f"missing required field: type [json-pointer:/blocks/{i}]")
        text = block.get("text")
        too_long = (
            block.get("type") == "section"
            and isinstance(text, dict)
            and len(str(text.get("text", ""))) > MAX_SECTION_TEXT_CHARS
        )
        if too_long:
            errors.append(f"must be less than {MAX_SECTION_TEXT_CHARS + 1} characters "
                          f"[json-pointer:/blocks/{i}/text/text]")
    if errors:
        raise _ApiError(
            "invalid_blocks",
            extra={"errors": errors, "response_metadata": {"messages": errors}},
        )
    return blocks


def _plain(text: str) -> JSONDict:
    return {"type": "plain_text", "text": text, "emoji": True}


# --------------------------------------------------------------------------------------------
# The stand-in


class SlackStandIn:
    """Slack Web API + Events/interactivity sender + Socket Mode server, on 127.0.0.1."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        bot_user_id: str = "UBOT",
        team_id: str = "T1",
        bot_id: str = "BBOT",
        app_id: str = "AAPP",
        team_domain: str = "standin",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.team_domain = team_domain

        # Test-filled directories.
        self.channel_members: dict[str, Iterable[str]] = {}
        self.users: dict[str, JSONDict] = {}
        self.channels: dict[str, JSONDict] = {}

        # Records.
        self.calls: list[tuple[str, JSONDict]] = []
        self.posts: list[Message] = []
        self.updates: list[Update] = []
        self.deletes: list[tuple[str, str]] = []
        self.ephemerals: list[Ephemeral] = []
        self.reactions: list[Reaction] = []
        self.views: list[ViewRecord] = []
        self.uploads: list[Upload] = []
        self.responses: list[ResponseRecord] = []
        self.downloads: list[tuple[str, bool]] = []  # (file id, authorized)
        self.sent_requests: list[tuple[str, int, str]] = []  # (url, status, body) we POSTed
        self.socket_sent: list[JSONDict] = []
        self.socket_acks: list[JSONDict] = []
        self.socket_received: list[JSONDict] = []  # non-ack frames from the client
        self.socket_connect_count = 0
        self.rate_limited: Counter[str] = Counter()  # 429s sent, per method
        self.failures_sent: Counter[str] = Counter()  # fail_next() errors sent, per method

        self._messages: dict[tuple[str, str], Message] = {}
        self._files: dict[str, StoredFile] = {}
        self._views_by_id: dict[str, JSONDict] = {}
        self._response_origins: dict[str, JSONDict] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._ids = itertools.count(1)
        self._ts_counter = itertools.count(1)

        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None
        self._methods: dict[str, _ApiHandler] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "conversations.members": self._conversations_members,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
            "apps.connections.open": self._apps_connections_open,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=1024**3)
        app.add_routes([
            web.route("*", "/api/{method}", self._handle_api),
            web.post("/upload/v1/{file_id}", self._handle_upload),
            web.get("/files-pri/{team_file}/download/{name}", self._handle_download),
            web.get("/files-pri/{team_file}/{name}", self._handle_download),
            web.get("/signin", self._handle_signin),
            web.post("/response/{response_id}", self._handle_response_url),
            web.get("/link/", self._handle_socket),
        ])
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession(trust_env=False)

    async def stop(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackStandIn:
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
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SlackStandIn is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:P`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Pass as ``AsyncWebClient(base_url=...)``: ``http://127.0.0.1:P/api/``."""
        return f"{self.base_url}/api/"

    # ---------------------------------------------------------------- faults

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` get HTTP 429 + ``Retry-After``."""
        self._faults.setdefault(method, []).append(
            _Fault(kind="ratelimit", remaining=times, retry_after=retry_after)
        )

    def fail_next(
        self, method: str, error: str = "internal_error", status: int = 200, times: int = 1
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        self._faults.setdefault(method, []).append(
            _Fault(kind="error", remaining=times, error=error, status=status)
        )

    @property
    def rate_limited_total(self) -> int:
        return sum(self.rate_limited.values())

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method, [])
        while queue and queue[0].remaining <= 0:
            queue.pop(0)
        if not queue:
            return None
        queue[0].remaining -= 1
        return queue[0]

    # ---------------------------------------------------------------- queries

    def calls_of(self, method: str) -> list[JSONDict]:
        """The params of every call of ``method``, in order (rejected calls included)."""
        return [params for name, params in self.calls if name == method]

    def messages_in(self, channel: str, thread_ts: str | None = None) -> list[Message]:
        """Messages as they stand now (updates applied, deletions gone), oldest first.

        With ``thread_ts`` None: every message in the channel, replies included.
        With ``thread_ts``: the replies in that thread (not the parent).
        """
        found = [
            m for (ch, _), m in self._messages.items()
            if ch == channel and (thread_ts is None or m.thread_ts == thread_ts)
        ]
        return sorted(found, key=lambda m: m.ts)

    def message(self, channel: str, ts: str) -> Message | None:
        return self._messages.get((channel, ts))

    def file_content(self, file_id: str) -> bytes | None:
        stored = self._files.get(file_id)
        return None if stored is None else stored.content

    def clear_records(self) -> None:
        """Forget recorded calls and posts (directories, files and faults stay)."""
        for records in (
            self.calls, self.posts, self.updates, self.deletes, self.ephemerals, self.views,
            self.uploads, self.responses, self.downloads, self.sent_requests, self.socket_sent,
            self.socket_acks, self.socket_received,
        ):
            records.clear()
        self.reactions.clear()
        self._messages.clear()
        self.rate_limited.clear()
        self.failures_sent.clear()

    async def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 5.0,
        *,
        what: str = "",
    ) -> T:
        """Poll ``predicate`` until truthy and return its value; AssertionError with a dump."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if asyncio.get_running_loop().time() >= deadline:
                label = f" ({what})" if what else ""
                raise AssertionError(
                    f"condition not met within {timeout}s{label}\n{self.dump()}"
                )
            await asyncio.sleep(0.01)

    def dump(self) -> str:
        """A readable summary of what the stand-in saw, for assertion messages."""
        lines = [f"calls ({len(self.calls)}):"]
        lines += [f"  {name} {json.dumps(params, default=str)[:300]}"
                  for name, params in self.calls[-40:]]
        lines.append(f"posts ({len(self.posts)}):")
        lines += [f"  {m.channel} ts={m.ts} thread_ts={m.thread_ts} text={m.text[:120]!r}"
                  for m in self.posts[-40:]]
        lines.append(f"updates: {len(self.updates)}, ephemerals: {len(self.ephemerals)}, "
                     f"reactions: {self.reactions}, views: {len(self.views)}, "
                     f"uploads: {[(u.filename, u.channel) for u in self.uploads]}")
        lines.append(f"responses: {[r.body for r in self.responses]}")
        lines.append(f"socket: connects={self.socket_connect_count} open={len(self._sockets)} "
                     f"sent={[e.get('envelope_id') for e in self.socket_sent]} "
                     f"acks={self.socket_acks}")
        lines.append(f"429s: {dict(self.rate_limited)}, failures: {dict(self.failures_sent)}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- id makers

    def _next_ts(self) -> str:
        micros = TS_BASE_MICROS + next(self._ts_counter) * TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_ts(self) -> str:
        """A fresh ts from the same increasing sequence the stand-in gives messages."""
        return self._next_ts()

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _new_response_url(self, origin: JSONDict) -> str:
        response_id = uuid.uuid4().hex
        self._response_origins[response_id] = origin
        return f"{self.base_url}/response/{response_id}"

    # ---------------------------------------------------------------- Web API plumbing

    async def _read_params(self, request: web.Request) -> JSONDict:
        params: JSONDict = dict(request.query)
        if request.method != "POST":
            return params
        if request.content_type == "application/json":
            raw = await request.text()
            if raw.strip():
                body = json.loads(raw)
                if isinstance(body, dict):
                    params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
                elif isinstance(value, (bytes, bytearray)):
                    params[key] = bytes(value)
                else:
                    params[key] = value.file.read()
        return params

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token == expected:
            return None
        if token in (self.app_token, self.bot_token):
            return "not_allowed_token_type"
        return "invalid_auth"

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except json.JSONDecodeError:
            self.calls.append((method, {}))
            return _json_response({"ok": False, "error": "invalid_json"})
        auth = request.headers.get("Authorization", "")
        token: str | None = auth[7:].strip() if auth.startswith("Bearer ") else None
        body_token = params.pop("token", None)
        if token is None and isinstance(body_token, str):
            token = body_token
        self.calls.append((method, params))

        auth_error = self._auth_error(method, token)
        if auth_error is not None:
            return _json_response({"ok": False, "error": auth_error})
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "ratelimit":
            self.rate_limited[method] += 1
            return _json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
            )
        if fault is not None:
            self.failures_sent[method] += 1
            return _json_response({"ok": False, "error": fault.error}, status=fault.status)
        handler = self._methods.get(method)
        if handler is None:
            return _json_response({"ok": False, "error": "unknown_method"})
        try:
            result = await handler(params)
        except _ApiError as err:
            return _json_response({"ok": False, "error": err.error, **err.extra},
                                  status=err.status)
        headers = {"X-OAuth-Scopes": "chat:write,channels:history,files:write,users:read"}
        return _json_response({"ok": True, **result}, headers=headers)

    # ---------------------------------------------------------------- Web API methods

    async def _api_test(self, params: JSONDict) -> JSONDict:
        return {"args": params}

    async def _auth_test(self, params: JSONDict) -> JSONDict:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": "bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _channel_for_post(self, params: JSONDict) -> str:
        channel = _require(params, "channel", "channel_not_found")
        if channel[:1] in ("U", "W"):  # posting to a user ID goes to the bot's DM with them
            return f"D{channel}"
        return channel

    def _text_and_blocks(self, params: JSONDict) -> tuple[str, list[JSONDict] | None]:
        blocks = _validate_blocks(params.get("blocks"))
        text = params.get("text")
        text = "" if text is None else str(text)
        if not text and not blocks and not params.get("attachments"):
            raise _ApiError("no_text")
        return text[:MAX_TEXT_CHARS], blocks

    async def _chat_post_message(self, params: JSONDict) -> JSONDict:
        channel = self._channel_for_post(params)
        text, blocks = self._text_and_blocks(params)
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            text=text,
            blocks=blocks,
            thread_ts=_str_or_none(params.get("thread_ts")),
            user=self.bot_user_id,
            bot_id=self.bot_id,
            params=params,
        )
        self.posts.append(message)
        self._messages[(channel, message.ts)] = dataclasses.replace(message)
        return {"channel": channel, "ts": message.ts, "message": message.to_api(self.team_id)}

    def _existing(self, channel: str, ts: str) -> Message:
        message = self._messages.get((channel, ts))
        if message is None:
            raise _ApiError("message_not_found")
        return message

    def _apply_update(
        self, message: Message, text: str | None, blocks: list[JSONDict] | None,
        params: JSONDict, via: str,
    ) -> None:
        if text is not None:
            message.text = text[:MAX_TEXT_CHARS]
        if blocks is not None:
            message.blocks = blocks
        message.edited = True
        self.updates.append(Update(message.channel, message.ts, text, blocks, params, via))

    async def _chat_update(self, params: JSONDict) -> JSONDict:
        channel = _require(params, "channel", "channel_not_found")
        ts = _require(params, "ts", "message_not_found")
        message = self._existing(channel, ts)
        blocks = _validate_blocks(params.get("blocks"))
        text = params.get("text")
        self._apply_update(message, None if text is None else str(text), blocks, params,
                           "chat.update")
        return {"channel": channel, "ts": ts, "text": message.text,
                "message": message.to_api(self.team_id)}

    async def _chat_delete(self, params: JSONDict) -> JSONDict:
        channel = _require(params, "channel", "channel_not_found")
        ts = _require(params, "ts", "message_not_found")
        self._existing(channel, ts)
        del self._messages[(channel, ts)]
        self.deletes.append((channel, ts))
        return {"channel": channel, "ts": ts}

    async def _chat_post_ephemeral(self, params: JSONDict) -> JSONDict:
        channel = self._channel_for_post(params)
        user = _require(params, "user", "user_not_found")
        members = self.channel_members.get(channel)
        if members is not None and user not in set(members):
            raise _ApiError("user_not_in_channel")
        text, blocks = self._text_and_blocks(params)
        message_ts = self._next_ts()
        self.ephemerals.append(Ephemeral(
            channel=channel, user=user, text=text, blocks=blocks,
            thread_ts=_str_or_none(params.get("thread_ts")), message_ts=message_ts,
        ))
        return {"message_ts": message_ts}

    async def _chat_get_permalink(self, params: JSONDict) -> JSONDict:
        channel = _require(params, "channel", "channel_not_found")
        ts = _require(params, "message_ts", "message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        message = self._messages.get((channel, ts))
        if message is not None and message.thread_ts and message.thread_ts != ts:
            link += "?" + urlencode({"thread_ts": message.thread_ts, "cid": channel})
        return {"channel": channel, "permalink": link}

    def _reaction_of(self, params: JSONDict) -> Reaction:
        channel = _require(params, "channel", "channel_not_found")
        ts = _require(params, "timestamp", "no_item_specified")
        name = _require(params, "name", "invalid_name").strip(":")
        return Reaction(channel, ts, name)

    async def _reactions_add(self, params: JSONDict) -> JSONDict:
        reaction = self._reaction_of(params)
        if reaction in self.reactions:
            raise _ApiError("already_reacted")
        self.reactions.append(reaction)
        return {}

    async def _reactions_remove(self, params: JSONDict) -> JSONDict:
        reaction = self._reaction_of(params)
        if reaction not in self.reactions:
            raise _ApiError("no_reaction")
        self.reactions.remove(reaction)
        return {}

    async def _conversations_members(self, params: JSONDict) -> JSONDict:
        channel = _require(params, "channel", "channel_not_found")
        if channel not in self.channel_members:
            raise _ApiError("channel_not_found")
        raw = self.channel_members[channel]
        members = list(raw) if isinstance(raw, (list, tuple)) else sorted(raw)
        limit = int(params.get("limit") or 100) or 100
        start = int(params.get("cursor") or 0)
        page = members[start:start + limit]
        next_cursor = str(start + limit) if start + limit < len(members) else ""
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    async def _conversations_open(self, params: JSONDict) -> JSONDict:
        if params.get("channel"):
            return {"channel": {"id": str(params["channel"])}, "already_open": True}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise _ApiError("users_list_not_supplied")
        channel_id = f"D{users[0]}" if len(users) == 1 else "G" + "".join(sorted(users))
        return {"channel": {"id": channel_id}, "no_op": False, "already_open": False}

    async def _conversations_info(self, params: JSONDict) -> JSONDict:
        channel = _require(params, "channel", "channel_not_found")
        info: JSONDict = {
            "id": channel,
            "name": channel.lower(),
            "is_channel": channel.startswith("C"),
            "is_group": channel.startswith("G"),
            "is_im": channel.startswith("D"),
            "is_private": channel[:1] in ("G", "D"),
            "is_member": True,
            "is_archived": False,
            "is_ext_shared": False,
            "context_team_id": self.team_id,
        }
        if channel.startswith("D"):
            info["user"] = channel[1:]
        if _truthy(params.get("include_num_members")) and channel in self.channel_members:
            info["num_members"] = len(list(self.channel_members[channel]))
        info.update(self.channels.get(channel, {}))
        return {"channel": info}

    async def _users_info(self, params: JSONDict) -> JSONDict:
        user_id = _require(params, "user", "user_not_found")
        if user_id in self.users:
            given = dict(self.users[user_id])
        elif user_id == self.bot_user_id:
            given = {"name": "bot", "real_name": "Bot", "is_bot": True}
        else:
            raise _ApiError("user_not_found")
        name = str(given.get("name", user_id.lower()))
        real_name = str(given.get("real_name", name))
        locale = given.pop("locale", "en-US")
        user: JSONDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": False,
            "is_admin": False,
            "tz": "Europe/Warsaw",
            "tz_offset": 3600,
            "profile": {"real_name": real_name, "display_name": name, "team": self.team_id},
        }
        user.update(given)
        if _truthy(params.get("include_locale")):
            user["locale"] = locale
        return {"user": user}

    def _view_param(self, params: JSONDict) -> JSONDict:
        view = _json_param(params.get("view"))
        if not isinstance(view, dict):
            raise _ApiError("invalid_arguments")
        _validate_blocks(view.get("blocks"))
        return view

    def _store_view(self, view: JSONDict, view_id: str | None = None) -> JSONDict:
        view_id = view_id or self._new_id("V")
        stored: JSONDict = {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "state": {"values": {}},
            "hash": uuid.uuid4().hex[:16],
            "root_view_id": view_id,
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **view,
        }
        stored["id"] = view_id
        self._views_by_id[view_id] = stored
        return stored

    async def _views_open(self, params: JSONDict, method: str = "views.open") -> JSONDict:
        trigger_id = _require(params, "trigger_id", "invalid_trigger_id")
        stored = self._store_view(self._view_param(params))
        self.views.append(ViewRecord(method, stored["id"], stored, trigger_id))
        return {"view": stored}

    async def _views_push(self, params: JSONDict) -> JSONDict:
        return await self._views_open(params, "views.push")

    async def _views_update(self, params: JSONDict) -> JSONDict:
        view = self._view_param(params)
        view_id = _str_or_none(params.get("view_id"))
        external_id = _str_or_none(params.get("external_id"))
        if view_id is None and external_id is not None:
            view_id = next((v["id"] for v in self._views_by_id.values()
                            if v.get("external_id") == external_id), None)
        if view_id is None or view_id not in self._views_by_id:
            raise _ApiError("not_found")
        expected_hash = params.get("hash")
        if expected_hash and expected_hash != self._views_by_id[view_id]["hash"]:
            raise _ApiError("hash_conflict")
        stored = self._store_view(view, view_id)
        self.views.append(ViewRecord("views.update", view_id, stored, None))
        return {"view": stored}

    async def _views_publish(self, params: JSONDict) -> JSONDict:
        user_id = _require(params, "user_id", "user_not_found")
        stored = self._store_view(self._view_param(params))
        self.views.append(ViewRecord("views.publish", stored["id"], stored, None, user_id))
        return {"view": stored}

    def add_file(
        self,
        content: bytes | str,
        filename: str = "file.txt",
        *,
        mimetype: str | None = None,
        title: str | None = None,
        user: str = "U1",
    ) -> JSONDict:
        """Register a file (as if a user uploaded it); returns its Slack file object.

        Put the result in ``message_event(..., files=[...])``; the bot can download it from
        ``url_private_download`` with ``Authorization: Bearer <bot_token>``.
        """
        data = content.encode() if isinstance(content, str) else content
        stored = StoredFile(
            id=self._new_id("F"),
            filename=filename,
            title=title or filename,
            mimetype=mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream",
            content=data,
            user=user,
        )
        self._files[stored.id] = stored
        return self._file_object(stored)

    def _file_object(self, stored: StoredFile) -> JSONDict:
        name = quote(stored.filename)
        private = f"{self.base_url}/files-pri/{self.team_id}-{stored.id}/{name}"
        return {
            "id": stored.id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": stored.filename,
            "title": stored.title,
            "mimetype": stored.mimetype,
            "filetype": stored.filename.rsplit(".", 1)[-1] if "." in stored.filename else "",
            "user": stored.user,
            "size": len(stored.content or b""),
            "mode": "hosted",
            "is_external": False,
            "url_private": private,
            "url_private_download": (
                f"{self.base_url}/files-pri/{self.team_id}-{stored.id}/download/{name}"
            ),
            "permalink": f"https://{self.team_domain}.slack.com/files/{stored.user}/{stored.id}",
        }

    async def _files_get_upload_url_external(self, params: JSONDict) -> JSONDict:
        filename = _require(params, "filename")
        length = int(_require(params, "length"))
        stored = StoredFile(
            id=self._new_id("F"),
            filename=filename,
            title=filename,
            mimetype=mimetypes.guess_type(filename)[0] or "application/octet-stream",
            content=None,
            user=self.bot_user_id,
            alt_txt=_str_or_none(params.get("alt_txt")),
        )
        del length  # Slack does not enforce it against the uploaded bytes either
        self._files[stored.id] = stored
        return {"upload_url": f"{self.base_url}/upload/v1/{stored.id}", "file_id": stored.id}

    async def _files_complete_upload_external(self, params: JSONDict) -> JSONDict:
        entries = _json_param(params.get("files"))
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        channel = _str_or_none(params.get("channel_id"))
        channels = [c for c in str(params.get("channels") or "").split(",") if c]
        thread_ts = _str_or_none(params.get("thread_ts"))
        comment = _str_or_none(params.get("initial_comment"))
        completed: list[JSONDict] = []
        for entry in entries:
            stored = self._files.get(str(entry.get("id")))
            if stored is None or stored.content is None:
                raise _ApiError("file_not_found")
            if entry.get("title"):
                stored.title = str(entry["title"])
            self.uploads.append(Upload(
                file_id=stored.id, filename=stored.filename, title=stored.title,
                content=stored.content, channel=channel, channels=channels,
                thread_ts=thread_ts, initial_comment=comment,
            ))
            completed.append(self._file_object(stored))
        return {"files": completed}

    async def _files_info(self, params: JSONDict) -> JSONDict:
        stored = self._files.get(_require(params, "file", "file_not_found"))
        if stored is None:
            raise _ApiError("file_not_found")
        return {"file": self._file_object(stored)}

    async def _apps_connections_open(self, params: JSONDict) -> JSONDict:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        query = urlencode({"ticket": ticket, "app_id": self.app_id})
        return {"url": f"ws://127.0.0.1:{self.port}/link/?{query}"}

    # ---------------------------------------------------------------- non-API routes

    async def _handle_upload(self, request: web.Request) -> web.Response:
        stored = self._files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="file not found")
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read() if isinstance(part, aiohttp.BodyPartReader) else b""
        else:
            data = await request.read()
        stored.content = bytes(data)
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        _, _, file_id = request.match_info["team_file"].partition("-")
        auth = request.headers.get("Authorization", "")
        authorized = auth == f"Bearer {self.bot_token}"
        self.downloads.append((file_id, authorized))
        if not authorized:
            raise web.HTTPFound(f"/signin?{urlencode({'redir': request.path})}")
        stored = self._files.get(file_id)
        if stored is None or stored.content is None:
            return web.Response(status=404, text="file not found")
        return web.Response(
            body=stored.content,
            content_type=stored.mimetype,
            headers={"Content-Disposition": f'attachment; filename="{stored.filename}"'},
        )

    async def _handle_signin(self, request: web.Request) -> web.Response:
        page = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"
        return web.Response(text=page, content_type="text/html")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        origin = self._response_origins.get(response_id)
        if origin is None:
            return web.Response(status=404, text="no_active_hooks")
        raw = await request.text()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        self.responses.append(ResponseRecord(response_id, body, origin))
        channel, ts = origin.get("channel"), origin.get("message_ts")
        message = self._messages.get((channel, ts)) if channel and ts else None
        if message is not None and _truthy(body.get("delete_original")):
            del self._messages[(message.channel, message.ts)]
            self.deletes.append((message.channel, message.ts))
        elif message is not None and _truthy(body.get("replace_original")):
            text = body.get("text")
            self._apply_update(message, None if text is None else str(text),
                               body.get("blocks"), body, "response_url")
        return _json_response({"ok": True})

    # ---------------------------------------------------------------- Socket Mode

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connect_count += 1
        await ws.send_str(json.dumps({
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {
                "host": "applink-standin",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }))
        try:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(frame.data)
                except json.JSONDecodeError:
                    self.socket_received.append({"raw": frame.data})
                    continue
                if isinstance(data, dict) and "envelope_id" in data:
                    self.socket_acks.append(data)
                else:
                    self.socket_received.append(data if isinstance(data, dict) else {"raw": data})
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    async def wait_socket_connected(
        self,
        timeout: float = 5.0,
        *,
        at_least: int = 1,
    ) -> int:
        """Wait for an open Socket Mode connection, the ``at_least``-th one made so far.

        After ``socket_disconnect()`` pass ``at_least=previous + 1`` to wait for the reconnect.
        Returns ``socket_connect_count``.
        """
        await self.wait_for(
            lambda: self.socket_connected and self.socket_connect_count >= at_least,
            timeout,
            what=f"socket mode connection #{at_least}",
        )
        return self.socket_connect_count

    async def socket_send(
        self,
        envelope_type: str,
        payload: JSONDict,
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        wait_ack: bool = True,
        timeout: float = 5.0,
    ) -> JSONDict | None:
        """Push an envelope (``events_api``, ``interactive``, ``slash_commands``) to the client.

        With ``wait_ack`` returns the client's ack (``{"envelope_id": ..., "payload"?: ...}``);
        raises AssertionError if none comes within ``timeout`` (bolt sends no ack at all when no
        listener matched, because it answers 404).
        """
        live = [ws for ws in self._sockets if not ws.closed]
        if not live:
            raise AssertionError(f"no Socket Mode connection\n{self.dump()}")
        envelope_id = envelope_id or str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive"
                and payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope: JSONDict = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        self.socket_sent.append(envelope)
        sent_before = sum(1 for e in self.socket_sent if e["envelope_id"] == envelope_id)
        await live[-1].send_str(json.dumps(envelope))
        if not wait_ack:
            return None

        def ack() -> JSONDict | None:
            acks = [a for a in self.socket_acks if a.get("envelope_id") == envelope_id]
            return acks[-1] if len(acks) >= sent_before else None

        return await self.wait_for(ack, timeout, what=f"ack of envelope {envelope_id}")

    async def socket_send_event(
        self,
        event: JSONDict,
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        wait_ack: bool = True,
        timeout: float = 5.0,
    ) -> JSONDict | None:
        """``socket_send("events_api", event_callback(event))``."""
        return await self.socket_send(
            "events_api", self.event_callback(event, event_id=event_id),
            retry_attempt=retry_attempt, retry_reason=retry_reason,
            wait_ack=wait_ack, timeout=timeout,
        )

    async def socket_disconnect(self, *, hard: bool = False,
                                reason: str = "refresh_requested") -> None:
        """Make the client reconnect.

        Soft (default): send Slack's ``{"type": "disconnect"}`` message; the SDK then opens a
        new connection (calling apps.connections.open again) and closes the old one.
        ``hard=True``: close the websocket from the server side without warning.
        """
        for ws in [ws for ws in self._sockets if not ws.closed]:
            if hard:
                await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)
            else:
                await ws.send_str(json.dumps({
                    "type": "disconnect",
                    "reason": reason,
                    "debug_info": {"host": "applink-standin"},
                }))

    # ---------------------------------------------------------------- payload builders

    def event_callback(self, event: JSONDict, *, event_id: str | None = None) -> JSONDict:
        """Wrap an event in the Events API ``event_callback`` envelope."""
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self._new_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [{
                "enterprise_id": None,
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event.get('type', 'event')}-{self.team_id}",
        }

    def message_event(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        channel_type: str = "channel",
        files: list[JSONDict] | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
    ) -> JSONDict:
        """A ``message`` event (files given and no subtype: subtype ``file_share``)."""
        ts = ts or self._next_ts()
        event: JSONDict = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": channel_type,
            "team": self.team_id,
        }
        if subtype is None and files:
            subtype = "file_share"
        if subtype is None and bot_id is None:
            event["client_msg_id"] = str(uuid.uuid4())
        if subtype is not None:
            event["subtype"] = subtype
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        if files:
            event["files"] = files
            event["upload"] = False
        if bot_id is not None:
            event["bot_id"] = bot_id
        return event

    def _user_object(self, user: str) -> JSONDict:
        name = str(self.users.get(user, {}).get("name", user.lower()))
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def block_actions(
        self,
        user: str,
        action_id: str,
        value: str | None,
        *,
        channel: str,
        message_ts: str,
        selected_option: str | JSONDict | None = None,
        trigger_id: str | None = None,
        block_id: str = "actions",
    ) -> JSONDict:
        """A ``block_actions`` payload for a button (or a static_select if selected_option)."""
        action: JSONDict = {
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if selected_option is None:
            action.update({"type": "button", "text": _plain(action_id), "value": value})
        else:
            option = (
                selected_option if isinstance(selected_option, dict)
                else {"text": _plain(selected_option), "value": selected_option}
            )
            action.update({"type": "static_select", "selected_option": option})
        stored = self._messages.get((channel, message_ts))
        message = (
            stored.to_api(self.team_id) if stored is not None
            else {"type": "message", "ts": message_ts, "text": "", "user": self.bot_user_id}
        )
        return {
            "type": "block_actions",
            "user": self._user_object(user),
            "api_app_id": self.app_id,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": trigger_id or f"{next(self._ids)}.{uuid.uuid4().hex[:12]}",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": channel.lower()},
            "message": message,
            "state": {"values": {}},
            "response_url": self._new_response_url({
                "kind": "block_actions", "channel": channel, "message_ts": message_ts,
                "user": user,
            }),
            "actions": [action],
        }

    def view_submission(
        self,
        user: str,
        callback_id: str,
        values: Mapping[str, Mapping[str, Any]],
        private_metadata: str = "",
        *,
        view_id: str | None = None,
        trigger_id: str | None = None,
    ) -> JSONDict:
        """A ``view_submission`` payload.

        ``values`` is ``{block_id: {action_id: state}}``; a plain string state becomes
        ``{"type": "plain_text_input", "value": s}``.
        """
        state = {
            block_id: {
                action_id: (
                    {"type": "plain_text_input", "value": v} if isinstance(v, str) else dict(v)
                )
                for action_id, v in actions.items()
            }
            for block_id, actions in values.items()
        }
        base = self._views_by_id.get(view_id or "", {})
        view: JSONDict = {
            "id": view_id or self._new_id("V"),
            "team_id": self.team_id,
            "type": "modal",
            "title": base.get("title", _plain("Form")),
            "blocks": base.get("blocks", []),
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state},
            "hash": base.get("hash", uuid.uuid4().hex[:16]),
            "root_view_id": view_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "external_id": base.get("external_id", ""),
        }
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user_object(user),
            "api_app_id": self.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id or f"{next(self._ids)}.{uuid.uuid4().hex[:12]}",
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def url_verification(self, challenge: str) -> JSONDict:
        return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}

    def slash_command(
        self,
        command: str = "/ticket",
        text: str = "",
        user_id: str = "U1",
        channel_id: str = "C1",
        *,
        trigger_id: str | None = None,
    ) -> dict[str, str]:
        """The form fields of a slash command (response_url points at this stand-in)."""
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_id.lower(),
            "user_id": user_id,
            "user_name": str(self.users.get(user_id, {}).get("name", user_id.lower())),
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": self._new_response_url({
                "kind": "slash_command", "command": command, "channel": channel_id,
                "user": user_id,
            }),
            "trigger_id": trigger_id or f"{next(self._ids)}.{uuid.uuid4().hex[:12]}",
        }

    # ---------------------------------------------------------------- HTTP senders

    async def post_signed(
        self,
        url: str,
        body: str,
        content_type: str,
        *,
        signing_secret: str,
        timestamp: float | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST ``body`` the way Slack does, signed with ``signing_secret``.

        ``timestamp`` overrides ``X-Slack-Request-Timestamp`` (the signature is computed over
        it, so an old one makes a correctly signed but stale request); ``signature`` replaces
        the computed ``X-Slack-Signature`` (a forged request). Returns (status, body text).
        """
        if self._session is None:
            raise RuntimeError("SlackStandIn is not started")
        ts = str(int(time.time())) if timestamp is None else str(int(float(timestamp)))
        computed = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else str(computed),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        async with self._session.post(url, data=body.encode(), headers=all_headers) as resp:
            text = await resp.text()
            self.sent_requests.append((url, resp.status, text))
            return resp.status, text

    async def send_json(
        self,
        url: str,
        payload: JSONDict,
        *,
        signing_secret: str,
        timestamp: float | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST a JSON body as is (e.g. ``url_verification(...)``)."""
        return await self.post_signed(
            url, json.dumps(payload), "application/json", signing_secret=signing_secret,
            timestamp=timestamp, signature=signature, headers=headers,
        )

    async def send_event(
        self,
        url: str,
        event: JSONDict,
        *,
        signing_secret: str,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: float | str | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """POST ``event`` wrapped in an ``event_callback`` envelope (a re-delivery when
        ``retry_num`` is given: ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason``)."""
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return await self.send_json(
            url, self.event_callback(event, event_id=event_id), signing_secret=signing_secret,
            timestamp=timestamp, signature=signature, headers=headers,
        )

    async def send_interaction(
        self,
        url: str,
        payload: JSONDict,
        *,
        signing_secret: str,
        timestamp: float | str | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """POST an interaction payload as form-encoded ``payload=<json>``."""
        return await self.post_signed(
            url, urlencode({"payload": json.dumps(payload)}),
            "application/x-www-form-urlencoded", signing_secret=signing_secret,
            timestamp=timestamp, signature=signature,
        )

    async def send_command(
        self,
        url: str,
        command: str = "/ticket",
        text: str = "",
        user_id: str = "U1",
        channel_id: str = "C1",
        *,
        signing_secret: str,
        trigger_id: str | None = None,
        timestamp: float | str | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """POST a form-encoded slash command; what the bot sends to its response_url lands
        in ``responses``."""
        form = self.slash_command(command, text, user_id, channel_id, trigger_id=trigger_id)
        return await self.post_signed(
            url, urlencode(form), "application/x-www-form-urlencoded",
            signing_secret=signing_secret, timestamp=timestamp, signature=signature,
        )
