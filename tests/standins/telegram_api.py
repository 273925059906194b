"""A local stand-in for the Telegram Bot API, for tests that drive the real python-telegram-bot.

The server speaks the Bot API's HTTP dialect (``/bot<token>/<method>`` with JSON, form-urlencoded
or multipart bodies, Telegram-shaped ``{"ok": ...}`` answers) and enforces the rules a real
user would notice: message and caption length, callback_data size, flood limits (429 with
``retry_after``), blocked users (403), "message is not modified" on identical edits, and the
offset-based confirmation of ``getUpdates``. Tests push user activity with ``push_*`` and read
what the bot did from ``sent`` / ``edits`` / ``callback_answers`` / ``commands``.

Where Telegram's behaviour is undocumented the stand-in errs on the strict side: it should never
accept something the real API refuses, so a green test means something.
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import logging
import math
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Self, TypeVar

import aiohttp
from aiohttp import web

__all__ = [
    "ApiCall",
    "ApiError",
    "EditRecord",
    "SentMessage",
    "StoredFile",
    "TelegramStandIn",
    "WebhookState",
    "visible_text",
]

_LOG = logging.getLogger(__name__)

JSONDict = dict[str, Any]
ChatId = int | str
T = TypeVar("T")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_COMMANDS = 100
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Methods whose success puts a new message into a chat; only these count toward flood limits.
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendVideo"})

# Without an explicit allowed_updates Telegram leaves these types out (Bot API, getUpdates).
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TAG_RE = re.compile(r"<[^>]*>")
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)

# kind -> (folder in file_path, default extension, default mime type, file_id prefix)
_MEDIA_KINDS: dict[str, tuple[str, str, str, str]] = {
    "photo": ("photos", "jpg", "image/jpeg", "AgAC"),
    "document": ("documents", "bin", "application/octet-stream", "BQAC"),
    "voice": ("voice", "oga", "audio/ogg", "AwAC"),
    "video": ("videos", "mp4", "video/mp4", "BAAC"),
    "sticker": ("stickers", "webp", "image/webp", "CAAC"),
}

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


def visible_text(text: str, parse_mode: str | None) -> str:
    """Return the text a user would see, which is what Telegram's 4096 limit is measured on.

    HTML tags are stripped and entities unescaped. For Markdown modes only backslash escapes are
    removed; markup characters still count, so the check errs on the strict side. Length is in
    code points (Python ``len``). Public reports disagree; a live probe reported in
    FerroxLabs/wayland#934 had 4096 astral characters (8192 UTF-16 units) accepted, 4097 refused.
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        return html.unescape(_TAG_RE.sub("", text))
    if mode in ("markdown", "markdownv2"):
        return _ESCAPE_RE.sub(r"\1", text)
    return text


class ApiError(Exception):
    """An error answer of the Bot API; raised inside method handlers, turned into JSON."""

    def __init__(self, status: int, description: str, *, retry_after: float | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class SentMessage:
    """One message the bot successfully put into a chat (sendMessage, sendPhoto, ...)."""

    chat_id: ChatId
    message_id: int
    method: str
    text: str | None
    caption: str | None
    reply_markup: JSONDict | None
    parse_mode: str | None
    file_name: str | None
    file_bytes: bytes | None
    at: float
    file_id: str | None = None
    mime_type: str | None = None
    params: JSONDict = field(default_factory=dict, repr=False)

    @property
    def visible_text(self) -> str | None:
        """Text or caption as the user sees it (markup of ``parse_mode`` removed)."""
        raw = self.text if self.text is not None else self.caption
        return None if raw is None else visible_text(raw, self.parse_mode)


@dataclass
class EditRecord:
    """A successful editMessageText / editMessageReplyMarkup."""

    chat_id: ChatId | None
    message_id: int | None
    method: str
    text: str | None
    reply_markup: JSONDict | None
    parse_mode: str | None
    at: float
    inline_message_id: str | None = None


@dataclass
class ApiCall:
    """Every request the stand-in answered (or dropped), for debugging and assertions."""

    method: str
    params: JSONDict
    status: int
    description: str | None
    at: float


@dataclass
class StoredFile:
    """A file known to the stand-in: uploaded by the bot or attached to a pushed update."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    kind: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class WebhookState:
    """What the bot last configured with setWebhook; ``url == ""`` means no webhook."""

    url: str = ""
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int | None = None


@dataclass
class _Fault:
    kind: str  # "fail" or "drop"
    status: int = 500
    description: str | None = None
    retry_after: float | None = None
    after_processing: bool = False


@dataclass
class _Upload:
    content: bytes
    filename: str | None
    content_type: str | None


class _Params:
    """Request parameters with Telegram's loose typing.

    PTB sends form fields whose values are strings, with lists and objects JSON-encoded
    (``reply_markup='{"inline_keyboard": ...}'``); JSON bodies carry native types. The accessors
    accept both.
    """

    def __init__(self, values: JSONDict, files: dict[str, _Upload]):
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad_request(f'invalid parameter "{name}"') from None

    def get_float(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f'invalid parameter "{name}"') from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(error) from None
        return value

    def chat_id(self) -> ChatId:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        return _normalize_chat_id(value)

    def summary(self) -> JSONDict:
        out = dict(self.values)
        for name, upload in self.files.items():
            out[name] = f"<upload {upload.filename!r} {len(upload.content)} bytes>"
        return out


def _normalize_chat_id(value: Any) -> ChatId:
    if isinstance(value, bool):
        raise _bad_request("chat not found")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.startswith("@") and len(text) > 1:
        return text
    raise _bad_request("chat not found")


def _utf16_len(text: str) -> int:
    """Entity offsets and lengths are measured in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


Handler = Callable[[_Params], Awaitable[Any]]


class TelegramStandIn:
    """An aiohttp server emulating the parts of the Bot API a support bot uses.

    Use ``async with TelegramStandIn() as tg:`` and point PTB at ``tg.base_url`` and
    ``tg.base_file_url``. All state lives on the instance and is meant to be read by tests.
    """

    def __init__(
        self,
        token: str = "123:TEST",
        *,
        per_chat_interval: float = 1.0,
        global_per_second: int = 30,
        bot_username: str = "support_test_bot",
        retry_after_override: float | None = None,
        group_per_minute: int | None = 20,
        strict_chats: bool = False,
        bot_first_name: str = "Support Test Bot",
    ) -> None:
        """Create a stand-in (call ``start()`` or use ``async with``).

        ``retry_after_override``: report this ``retry_after`` in every 429 instead of the
        computed whole seconds. Telegram only ever sends integers >= 1; a float such as 0.2 is a
        test-speed convenience (PTB accepts it), while 0 would make PTB raise NetworkError
        instead of RetryAfter because it tests ``if retry_after:``.
        ``group_per_minute``: Telegram's 20 messages/minute limit for group chats (negative ids);
        ``None`` disables it. ``strict_chats``: refuse sends to chats that never wrote to the
        bot, like Telegram does (403 for users, 400 "chat not found" otherwise).
        """
        self.token = token
        self.per_chat_interval = per_chat_interval
        self.global_per_second = global_per_second
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.retry_after_override = retry_after_override
        self.group_per_minute = group_per_minute
        self.strict_chats = strict_chats
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123

        # Records for tests.
        self.sent: list[SentMessage] = []
        self.edits: list[EditRecord] = []
        self.deleted: list[tuple[ChatId, int]] = []
        self.callback_answers: list[tuple[str, str | None]] = []
        self.chat_actions: list[tuple[ChatId, str]] = []
        self.requests: list[ApiCall] = []
        self.downloads: list[str] = []
        self.get_updates_log: list[tuple[int | None, list[int]]] = []
        self.webhook = WebhookState()
        self.scoped_commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.blocked_chats: set[ChatId] = set()
        self.rejected_429 = 0
        self.rejected_429_per_chat: Counter[ChatId] = Counter()
        self.files: dict[str, StoredFile] = {}
        self.delivered_ids: list[int] = []
        self.filtered_updates: list[JSONDict] = []

        # Update queue (getUpdates semantics).
        self._update_ids = itertools.count(100_001)
        self._pending: list[JSONDict] = []
        self._history: dict[int, JSONDict] = {}
        self._redelivery: set[int] = set()
        self._confirmed_offset = 0
        self._allowed_updates: list[str] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._current_poll: asyncio.Future[None] | None = None

        # Chats, messages, callbacks, files.
        self._chats: dict[ChatId, JSONDict] = {}
        self._messages: dict[tuple[ChatId, int], JSONDict] = {}
        self._message_ids: dict[ChatId, itertools.count[int]] = {}
        self._callbacks_open: set[str] = set()
        self._callbacks_by_update: dict[int, str] = {}
        self._callback_ids = itertools.count(4_827_356_000_001)
        self._file_counter = itertools.count(1)
        self._files_by_path: dict[str, StoredFile] = {}

        # Flood control.
        self._last_send: dict[ChatId, float] = {}
        self._global_sends: deque[float] = deque()
        self._group_sends: dict[ChatId, deque[float]] = {}

        self._faults: dict[str, deque[_Fault]] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("deleteWebhook", self._delete_webhook),
                ("setWebhook", self._set_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("getUpdates", self._get_updates),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("answerCallbackQuery", self._answer_callback_query),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("sendPhoto", self._media_sender("sendPhoto", "photo")),
                ("sendDocument", self._media_sender("sendDocument", "document")),
                ("sendVoice", self._media_sender("sendVoice", "voice")),
                ("sendVideo", self._media_sender("sendVideo", "video")),
                ("sendChatAction", self._send_chat_action),
                ("getFile", self._get_file),
            )
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> Self:
        """Bind 127.0.0.1 on a free port and serve."""
        if self._runner is not None:
            raise RuntimeError("TelegramStandIn already started")
        self._closing = False
        # aiohttp refuses bodies over 1 MiB by default; Telegram takes 50 MB uploads.
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        # A short shutdown_timeout: a parked long poll must not hold stop() for 60 s.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Wake parked long polls (they answer ``[]``) and shut the server down."""
        self._closing = True
        self._notify()
        if self._current_poll is not None and not self._current_poll.done():
            self._current_poll.set_result(None)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:41234``."""
        if self._port is None:
            raise RuntimeError("TelegramStandIn is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``; PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``; PTB appends the token."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        description: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error, before any processing.

        ``method="*"`` matches any API method; ``"download"`` matches file downloads.
        PTB maps 400 to BadRequest, 401/404 to InvalidToken, 403 to Forbidden, 409 to Conflict,
        anything else to NetworkError, and any answer with ``retry_after`` to RetryAfter.
        """
        if description is None:
            if status == 429:
                shown = retry_after if retry_after is not None else 1
                description = f"Too Many Requests: retry after {shown:g}"
                retry_after = shown
            else:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = "Unknown error"
        fault = _Fault("fail", status, description, retry_after)
        self._faults.setdefault(method.lower(), deque()).extend(fault for _ in range(times))

    def drop_connection_next(
        self, method: str, times: int = 1, *, after_processing: bool = False
    ) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without answering.

        By default nothing is processed (the request "never arrived"). With
        ``after_processing=True`` the call takes effect (a message is sent and recorded) and only
        the answer is lost, which is what makes a client's blind retry produce a duplicate.
        """
        fault = _Fault("drop", after_processing=after_processing)
        self._faults.setdefault(method.lower(), deque()).extend(fault for _ in range(times))

    def _take_fault(self, key: str) -> _Fault | None:
        names = (key,) if key == "download" else (key, "*")
        for name in names:
            queue = self._faults.get(name)
            if queue:
                return queue.popleft()
        return None

    def reset_rate_limits(self) -> None:
        """Forget past sends, so the next send to any chat is accepted."""
        self._last_send.clear()
        self._global_sends.clear()
        self._group_sends.clear()

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._record_and_answer(
                method, {}, ApiError(401, "Unauthorized").payload(), 401
            )
        entry = self._methods.get(method.lower())
        if entry is None:
            return self._record_and_answer(method, {}, ApiError(404, "Not Found").payload(), 404)
        name, handler = entry
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return self._record_and_answer(name, {}, exc.payload(), exc.status)

        fault = self._take_fault(name.lower())
        if fault is not None and fault.kind == "fail":
            error = ApiError(fault.status, fault.description or "", retry_after=fault.retry_after)
            return self._record_and_answer(name, params.summary(), error.payload(), error.status)
        if fault is not None and not fault.after_processing:
            return self._drop(request, name, params.summary())

        try:
            result = await handler(params)
        except ApiError as exc:
            _LOG.debug("%s -> %s %s", name, exc.status, exc.description)
            return self._record_and_answer(name, params.summary(), exc.payload(), exc.status)
        except Exception as exc:  # a stand-in bug or a payload it cannot digest: say so loudly
            _LOG.exception("stand-in failed on %s", name)
            error = ApiError(500, f"Internal Server Error: stand-in failed: {exc!r}")
            return self._record_and_answer(name, params.summary(), error.payload(), 500)
        if fault is not None:
            return self._drop(request, name, params.summary())
        return self._record_and_answer(name, params.summary(), {"ok": True, "result": result}, 200)

    def _record_and_answer(
        self, method: str, params: JSONDict, body: JSONDict, status: int
    ) -> web.Response:
        description = None if body.get("ok") else body.get("description")
        self.requests.append(ApiCall(method, params, status, description, time.monotonic()))
        return web.json_response(body, status=status)

    def _drop(self, request: web.Request, method: str, params: JSONDict) -> web.Response:
        self.requests.append(ApiCall(method, params, 0, "connection dropped", time.monotonic()))
        if request.transport is not None:
            request.transport.close()
        # aiohttp discards a response written to a closed transport; the client sees
        # "Server disconnected without sending a response" (PTB: NetworkError).
        return web.Response(status=500)

    async def _read_params(self, request: web.Request) -> _Params:
        values: JSONDict = dict(request.query)
        files: dict[str, _Upload] = {}
        if not request.body_exists:
            return _Params(values, files)
        try:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise _bad_request("parameters must be a JSON object")
                values.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = _Upload(value.file.read(), value.filename, value.content_type)
                    elif isinstance(value, bytes | bytearray):
                        values[key] = bytes(value).decode("utf-8", "replace")
                    else:
                        values[key] = value
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        except ValueError:
            raise _bad_request("can't parse JSON object") from None
        return _Params(values, files)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["file_path"]
        if request.match_info["token"] != self.token:
            return self._record_and_answer(
                "download", {"file_path": path}, ApiError(401, "Unauthorized").payload(), 401
            )
        fault = self._take_fault("download")
        if fault is not None and fault.kind == "fail":
            error = ApiError(fault.status, fault.description or "", retry_after=fault.retry_after)
            return self._record_and_answer(
                "download", {"file_path": path}, error.payload(), error.status
            )
        if fault is not None:
            return self._drop(request, "download", {"file_path": path})
        stored = self._files_by_path.get(path)
        if stored is None:
            return self._record_and_answer(
                "download", {"file_path": path}, ApiError(404, "Not Found").payload(), 404
            )
        self.downloads.append(path)
        self.requests.append(ApiCall("download", {"file_path": path}, 200, None, time.monotonic()))
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # ------------------------------------------------------------------ shared helpers

    @property
    def bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _next_message_id(self, chat_id: ChatId) -> int:
        """Message ids are per chat and shared by both directions, as in private chats."""
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _chat_object(self, chat_id: ChatId) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if self.strict_chats:
            if isinstance(chat_id, int) and chat_id > 0:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise _bad_request("chat not found")
        if isinstance(chat_id, str):
            return {"id": -1_000_000_000_001, "type": "channel", "title": chat_id}
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _chat_key(self, chat: JSONDict, requested: ChatId) -> ChatId:
        return requested if isinstance(requested, str) else int(chat["id"])

    def _check_blocked(self, chat_id: ChatId, chat: JSONDict) -> None:
        if chat_id not in self.blocked_chats:
            return
        kind = chat.get("type")
        if kind == "private":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if kind == "channel":
            raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")

    def _flood_error(self, chat_id: ChatId, wait: float) -> ApiError:
        self.rejected_429 += 1
        self.rejected_429_per_chat[chat_id] += 1
        retry_after: float
        if self.retry_after_override is not None:
            retry_after = self.retry_after_override
        else:
            retry_after = max(1, math.ceil(wait))
        return ApiError(
            429, f"Too Many Requests: retry after {retry_after:g}", retry_after=retry_after
        )

    def _check_flood(self, chat_id: ChatId, chat: JSONDict) -> None:
        """Raise 429 if this send would break a flood limit (only accepted sends count)."""
        now = time.monotonic()
        last = self._last_send.get(chat_id)
        if last is not None and now - last < self.per_chat_interval:
            raise self._flood_error(chat_id, self.per_chat_interval - (now - last))
        while self._global_sends and now - self._global_sends[0] >= 1.0:
            self._global_sends.popleft()
        if len(self._global_sends) >= self.global_per_second:
            raise self._flood_error(chat_id, 1.0 - (now - self._global_sends[0]))
        if self.group_per_minute is not None and chat.get("type") in ("group", "supergroup"):
            window = self._group_sends.setdefault(chat_id, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self.group_per_minute:
                raise self._flood_error(chat_id, 60.0 - (now - window[0]))

    def _note_send(self, chat_id: ChatId, chat: JSONDict) -> float:
        now = time.monotonic()
        self._last_send[chat_id] = now
        self._global_sends.append(now)
        if chat.get("type") in ("group", "supergroup"):
            self._group_sends.setdefault(chat_id, deque()).append(now)
        return now

    def _parse_mode(self, params: _Params) -> str | None:
        mode = params.get_str("parse_mode")
        if mode in (None, ""):
            return None
        if mode.lower() not in _PARSE_MODES:
            raise _bad_request("unsupported parse_mode")
        return mode

    def _reply_markup(self, params: _Params) -> JSONDict | None:
        error = "can't parse reply keyboard markup JSON object"
        markup = params.get_json("reply_markup", error)
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request(error)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of '
                    "Arrays"
                )
            for button in itertools.chain.from_iterable(rows):
                self._check_inline_button(button)
        return markup

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
        if not actions:
            raise _bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        data = button.get("callback_data")
        if data is not None and len(str(data).encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")

    def _text_param(self, params: _Params, parse_mode: str | None) -> str:
        text = params.get_str("text")
        if text is None or not visible_text(text, parse_mode).strip():
            raise _bad_request("message text is empty")
        if len(visible_text(text, parse_mode)) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        return text

    def _reply_target(self, params: _Params, chat_id: ChatId) -> JSONDict | None:
        reply = params.get_json("reply_parameters", "can't parse ReplyParameters JSON object")
        message_id: int | None
        allow_missing = params.get_bool("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = int(reply["message_id"]) if "message_id" in reply else None
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, ""):
                chat_id = _normalize_chat_id(reply["chat_id"])
        else:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        target = self._messages.get((chat_id, message_id))
        if target is None and not allow_missing:
            raise _bad_request("message to be replied not found")
        return None if target is None else copy.deepcopy(target)

    def _store_message(self, chat_id: ChatId, message: JSONDict) -> None:
        self._messages[(chat_id, int(message["message_id"]))] = message

    # ------------------------------------------------------------------ files

    def _store_file(
        self,
        kind: str,
        content: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        folder, ext, default_mime, prefix = _MEDIA_KINDS[kind]
        number = next(self._file_counter)
        if file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1][:10] or ext
        stored = StoredFile(
            file_id=f"{prefix}AgAD{number:06d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{number:04d}{secrets.token_urlsafe(6)}",
            file_path=f"{folder}/file_{number}.{ext}",
            content=content,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type or default_mime,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _media_object(self, stored: StoredFile, params: _Params | None = None) -> Any:
        base: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        duration = 1 if params is None else params.get_int("duration", 1)
        if stored.kind == "photo":
            # Real Telegram returns several sizes; one is enough for code using photo[-1].
            return [{**base, "width": 1280, "height": 960}]
        if stored.kind == "document":
            extra: JSONDict = {"mime_type": stored.mime_type}
            if stored.file_name:
                extra["file_name"] = stored.file_name
            return {**base, **extra}
        if stored.kind == "voice":
            return {**base, "duration": duration, "mime_type": stored.mime_type}
        if stored.kind == "video":
            return {
                **base,
                "width": 640,
                "height": 360,
                "duration": duration,
                "mime_type": stored.mime_type,
            }
        return {
            **base,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }

    def _input_file(self, params: _Params, kind: str) -> StoredFile:
        """Resolve a media parameter: an upload, ``attach://name``, a known file_id or a URL."""
        upload = params.files.get(kind)
        value = params.get_str(kind)
        if upload is None and value and value.startswith("attach://"):
            upload = params.files.get(value.removeprefix("attach://"))
        if upload is not None:
            if len(upload.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._store_file(
                kind, upload.content, file_name=upload.filename, mime_type=upload.content_type
            )
        if not value:
            raise _bad_request(f"there is no {kind} in the request")
        known = self.files.get(value)
        if known is not None:
            return known
        if value.startswith(("http://", "https://")):
            # Offline: the file is "fetched" as empty content; the URL is kept as its name.
            return self._store_file(kind, b"", file_name=value.rsplit("/", 1)[-1] or None)
        raise _bad_request("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ API methods

    async def _get_me(self, params: _Params) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.get_str("url") or ""
        if url and not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise _bad_request("secret token contains unallowed characters")
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON array")
        if params.get_bool("drop_pending_updates"):
            self._drop_pending()
        self.webhook = WebhookState(
            url=url,
            secret_token=secret if url else None,
            allowed_updates=list(allowed) if isinstance(allowed, list) else None,
            max_connections=params.get_int("max_connections", 40) if url else None,
        )
        if allowed is not None:
            self._allowed_updates = list(allowed)
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self._drop_pending()
        self.webhook = WebhookState()
        return True

    async def _get_webhook_info(self, params: _Params) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections or 40
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        """Long poll with Telegram's semantics.

        ``offset`` confirms (drops forever) every update below it; a negative offset keeps only
        the last ``-offset`` pending updates. A newer getUpdates call terminates a parked one
        with 409, as Telegram does when two bot instances poll.
        """
        if self.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset")
        limit = min(100, max(1, params.get_int("limit", 100) or 100))
        timeout = max(0.0, params.get_float("timeout", 0.0))
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON array")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if offset:
            self._confirm(offset)

        loop = asyncio.get_running_loop()
        if self._current_poll is not None and not self._current_poll.done():
            self._current_poll.set_result(None)
        mine: asyncio.Future[None] = loop.create_future()
        self._current_poll = mine
        deadline = loop.time() + timeout
        try:
            while True:
                if mine.done() and not self._closing:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                batch = self._take_batch(limit)
                remaining = deadline - loop.time()
                if batch or self._closing or remaining <= 0:
                    self.get_updates_log.append((offset, [u["update_id"] for u in batch]))
                    return batch
                await asyncio.wait(
                    {self._wakeup_future(), mine},
                    timeout=remaining,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            if self._current_poll is mine:
                self._current_poll = None

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = self._pending[offset:]
            dropped = [u for u in self._pending if u not in keep]
            self._pending = keep
            if dropped:
                last = max(u["update_id"] for u in dropped) + 1
                self._confirmed_offset = max(self._confirmed_offset, last)
            return
        self._pending = [
            u
            for u in self._pending
            if u["update_id"] >= offset or u["update_id"] in self._redelivery
        ]
        self._confirmed_offset = max(self._confirmed_offset, offset)

    def _update_type(self, update: JSONDict) -> str:
        return next((key for key in update if key != "update_id"), "")

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = self._update_type(update)
        if not self._allowed_updates:
            return kind not in _OPT_IN_UPDATE_TYPES
        return kind in self._allowed_updates

    def _take_batch(self, limit: int) -> list[JSONDict]:
        batch: list[JSONDict] = []
        keep: list[JSONDict] = []
        for update in self._pending:
            if not self._is_allowed(update):
                # Telegram would never have created it; drop it for good.
                self.filtered_updates.append(update)
                continue
            keep.append(update)
            if len(batch) < limit:
                batch.append(update)
        self._pending = keep
        for update in batch:
            self._redelivery.discard(update["update_id"])
            self.delivered_ids.append(update["update_id"])
        return copy.deepcopy(batch)

    def _wakeup_future(self) -> asyncio.Future[None]:
        if self._wakeup is None or self._wakeup.done():
            self._wakeup = asyncio.get_running_loop().create_future()
        return self._wakeup

    def _notify(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def _drop_pending(self) -> None:
        if self._pending:
            last = max(u["update_id"] for u in self._pending) + 1
            self._confirmed_offset = max(self._confirmed_offset, last)
        self._pending = []
        self._redelivery.clear()

    async def _send_message(self, params: _Params) -> JSONDict:
        requested = params.chat_id()
        chat = self._chat_object(requested)
        chat_id = self._chat_key(chat, requested)
        parse_mode = self._parse_mode(params)
        text = self._text_param(params, parse_mode)
        markup = self._reply_markup(params)
        reply_to = self._reply_target(params, chat_id)
        self._check_blocked(chat_id, chat)
        self._check_flood(chat_id, chat)
        message = self._new_bot_message(chat_id, chat, markup, reply_to)
        message["text"] = visible_text(text, parse_mode)
        at = self._note_send(chat_id, chat)
        self._store_message(chat_id, message)
        self.sent.append(
            SentMessage(
                chat_id=chat_id,
                message_id=message["message_id"],
                method="sendMessage",
                text=text,
                caption=None,
                reply_markup=markup,
                parse_mode=parse_mode,
                file_name=None,
                file_bytes=None,
                at=at,
                params=params.summary(),
            )
        )
        return copy.deepcopy(message)

    def _new_bot_message(
        self,
        chat_id: ChatId,
        chat: JSONDict,
        markup: JSONDict | None,
        reply_to: JSONDict | None,
    ) -> JSONDict:
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        if markup is not None and "inline_keyboard" in markup:
            # Only inline keyboards are part of the Message object Telegram returns.
            message["reply_markup"] = markup
        if reply_to is not None:
            reply_to.pop("reply_to_message", None)
            message["reply_to_message"] = reply_to
        return message

    def _media_sender(self, method: str, kind: str) -> Handler:
        async def send_media(params: _Params) -> JSONDict:
            requested = params.chat_id()
            chat = self._chat_object(requested)
            chat_id = self._chat_key(chat, requested)
            parse_mode = self._parse_mode(params)
            caption = params.get_str("caption")
            if caption is not None and len(visible_text(caption, parse_mode)) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
            markup = self._reply_markup(params)
            reply_to = self._reply_target(params, chat_id)
            self._check_blocked(chat_id, chat)
            stored = self._input_file(params, kind)
            self._check_flood(chat_id, chat)
            message = self._new_bot_message(chat_id, chat, markup, reply_to)
            message[kind] = self._media_object(stored, params)
            if caption:
                message["caption"] = visible_text(caption, parse_mode)
            at = self._note_send(chat_id, chat)
            self._store_message(chat_id, message)
            self.sent.append(
                SentMessage(
                    chat_id=chat_id,
                    message_id=message["message_id"],
                    method=method,
                    text=None,
                    caption=caption,
                    reply_markup=markup,
                    parse_mode=parse_mode,
                    file_name=stored.file_name,
                    file_bytes=stored.content,
                    at=at,
                    file_id=stored.file_id,
                    mime_type=stored.mime_type,
                    params=params.summary(),
                )
            )
            return copy.deepcopy(message)

        send_media.__name__ = f"_{method}"
        return send_media

    def _editable_message(self, params: _Params) -> tuple[ChatId, JSONDict] | None:
        """Find the bot message an edit targets; ``None`` for inline messages."""
        if params.has("inline_message_id"):
            return None
        requested = params.chat_id()
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        chat = self._chat_object(requested)
        chat_id = self._chat_key(chat, requested)
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        self._check_blocked(chat_id, chat)
        return chat_id, message

    async def _edit_message_text(self, params: _Params) -> JSONDict | bool:
        parse_mode = self._parse_mode(params)
        text = self._text_param(params, parse_mode)
        markup = self._reply_markup(params)
        target = self._editable_message(params)
        inline_markup = markup if markup is not None and "inline_keyboard" in markup else None
        if target is None:
            self.edits.append(
                EditRecord(
                    None,
                    None,
                    "editMessageText",
                    text,
                    markup,
                    parse_mode,
                    time.monotonic(),
                    params.get_str("inline_message_id"),
                )
            )
            return True
        chat_id, message = target
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        shown = visible_text(text, parse_mode)
        if shown == message["text"] and inline_markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        # Omitting reply_markup removes the keyboard: the edit replaces content and markup.
        message["text"] = shown
        message.pop("reply_markup", None)
        if inline_markup is not None:
            message["reply_markup"] = inline_markup
        message["edit_date"] = int(time.time())
        self.edits.append(
            EditRecord(
                chat_id,
                message["message_id"],
                "editMessageText",
                text,
                markup,
                parse_mode,
                time.monotonic(),
            )
        )
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: _Params) -> JSONDict | bool:
        markup = self._reply_markup(params)
        target = self._editable_message(params)
        inline_markup = markup if markup is not None and "inline_keyboard" in markup else None
        if target is None:
            self.edits.append(
                EditRecord(
                    None,
                    None,
                    "editMessageReplyMarkup",
                    None,
                    markup,
                    None,
                    time.monotonic(),
                    params.get_str("inline_message_id"),
                )
            )
            return True
        chat_id, message = target
        if inline_markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        message.pop("reply_markup", None)
        if inline_markup is not None:
            message["reply_markup"] = inline_markup
        message["edit_date"] = int(time.time())
        self.edits.append(
            EditRecord(
                chat_id,
                message["message_id"],
                "editMessageReplyMarkup",
                None,
                markup,
                None,
                time.monotonic(),
            )
        )
        return copy.deepcopy(message)

    async def _delete_message(self, params: _Params) -> bool:
        requested = params.chat_id()
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        chat_id = _normalize_chat_id(requested)
        if self._messages.pop((chat_id, message_id), None) is None:
            raise _bad_request("message to delete not found")
        self.deleted.append((chat_id, message_id))
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id")
        if not query_id or query_id not in self._callbacks_open:
            raise _bad_request(_QUERY_INVALID.removeprefix("Bad Request: "))
        self._callbacks_open.discard(query_id)
        self.callback_answers.append((query_id, params.get_str("text")))
        return True

    async def _send_chat_action(self, params: _Params) -> bool:
        requested = params.chat_id()
        chat = self._chat_object(requested)
        chat_id = self._chat_key(chat, requested)
        action = params.get_str("action")
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self._check_blocked(chat_id, chat)
        self.chat_actions.append((chat_id, action))
        return True

    async def _get_file(self, params: _Params) -> JSONDict:
        file_id = params.get_str("file_id")
        stored = self.files.get(file_id or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # commands ----------------------------------------------------------------

    @staticmethod
    def scope_key(scope: JSONDict | None) -> str:
        """``{"type": "chat", "chat_id": 5}`` -> ``"chat:5"``; no scope -> ``"default"``."""
        if not scope:
            return "default"
        kind = str(scope.get("type", "default"))
        if kind in ("chat", "chat_administrators"):
            return f"{kind}:{scope.get('chat_id')}"
        if kind == "chat_member":
            return f"{kind}:{scope.get('chat_id')}:{scope.get('user_id')}"
        return kind

    def _command_target(self, params: _Params) -> tuple[str, str]:
        scope = params.get_json("scope", "can't parse BotCommandScope JSON object")
        if scope is not None and not isinstance(scope, dict):
            raise _bad_request("can't parse BotCommandScope JSON object")
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE_RE.fullmatch(language):
            # Wording unverified; Telegram wants an ISO 639-1 code or nothing.
            raise _bad_request("invalid language code specified")
        return self.scope_key(scope), language

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.get_json("commands", "can't parse commands JSON array")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON array")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("too many commands specified")
        clean: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            command = str(item.get("command", ""))
            description = str(item.get("description", ""))
            if not _COMMAND_RE.fullmatch(command):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not description.strip():
                raise _bad_request("command description must be non-empty")
            if len(description) > 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command, "description": description})
        key = self._command_target(params)
        if clean:
            self.scoped_commands[key] = clean
        else:
            self.scoped_commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[dict[str, str]]:
        return copy.deepcopy(self.scoped_commands.get(self._command_target(params), []))

    async def _delete_my_commands(self, params: _Params) -> bool:
        self.scoped_commands.pop(self._command_target(params), None)
        return True

    @property
    def commands(self) -> dict[str, list[dict[str, str]]]:
        """Default-scope commands by language_code (``""`` = all languages)."""
        return {
            language: copy.deepcopy(items)
            for (scope, language), items in self.scoped_commands.items()
            if scope == "default"
        }

    def commands_for(
        self, scope: JSONDict | str | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands for a scope (dict, or a key like ``"chat:5"``) and language."""
        key = scope if isinstance(scope, str) else self.scope_key(scope)
        return copy.deepcopy(self.scoped_commands.get((key, language_code), []))

    # ------------------------------------------------------------------ update builders

    @property
    def confirmed_offset(self) -> int:
        """Highest offset the bot has confirmed: every update below it is gone for good."""
        return self._confirmed_offset

    @property
    def pending_update_ids(self) -> list[int]:
        return [u["update_id"] for u in self._pending]

    def update(self, update_id: int) -> JSONDict:
        """A copy of an update created by this stand-in (pushed or built)."""
        return copy.deepcopy(self._history[update_id])

    def callback_query_id(self, update_id: int) -> str:
        """The callback_query id carried by a callback update."""
        return self._callbacks_by_update[update_id]

    def make_update(self, kind: str, payload: JSONDict) -> JSONDict:
        """Wrap ``payload`` as ``{"update_id": <new>, kind: payload}`` without queueing it."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self._history[update_id] = update
        self._register_callback(update)
        return copy.deepcopy(update)

    def _register_callback(self, update: JSONDict) -> None:
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._callbacks_open.add(query["id"])
            self._callbacks_by_update[int(update["update_id"])] = query["id"]

    def _user(
        self, user_id: int, first_name: str, language_code: str | None, username: str | None
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _user_message(
        self,
        user_id: int,
        *,
        language_code: str | None,
        first_name: str,
        chat_type: str,
        chat_id: ChatId | None,
        username: str | None = None,
    ) -> JSONDict:
        """The common part of an incoming message; registers the chat as known."""
        if chat_type == "private":
            chat_key: ChatId = user_id if chat_id is None else chat_id
            chat: JSONDict = {"id": chat_key, "type": "private", "first_name": first_name}
            if username:
                chat["username"] = username
        else:
            default = -1_001_234_567_890 if chat_type == "supergroup" else -123_456_789
            chat_key = default if chat_id is None else chat_id
            chat = {"id": chat_key, "type": chat_type, "title": f"Test {chat_type}"}
        self._chats[chat_key] = chat
        message: JSONDict = {
            "message_id": self._next_message_id(chat_key),
            "from": self._user(user_id, first_name, language_code, username),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        self._store_message(chat_key, message)
        return message

    def make_text_update(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
        username: str | None = None,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        message = self._user_message(
            user_id,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
            username=username,
        )
        message["text"] = text
        if entities:
            message["entities"] = entities
        return self.make_update("message", message)

    def make_command_update(
        self,
        user_id: int,
        command: str,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        """``command`` is the whole text, e.g. ``"/start ref42"``; the entity covers the word."""
        if not command.startswith("/"):
            command = f"/{command}"
        word = command.split(maxsplit=1)[0]
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(word)}
        return self.make_text_update(
            user_id,
            command,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
            entities=[entity],
        )

    def make_callback_update(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        """A button press on a bot message (the latest bot message in the chat by default)."""
        chat_key: ChatId = user_id if chat_id is None else chat_id
        message = None
        if message_id is not None:
            message = self._messages.get((chat_key, message_id))
        else:
            message = next(
                (
                    m
                    for (cid, _), m in reversed(self._messages.items())
                    if cid == chat_key and m.get("from", {}).get("id") == self.bot_id
                ),
                None,
            )
        if message is None:
            chat = self._chats.get(chat_key) or {
                "id": chat_key,
                "type": "private",
                "first_name": first_name,
            }
            message = {
                "message_id": message_id or self._next_message_id(chat_key),
                "from": self.bot_user,
                "chat": chat,
                "date": int(time.time()),
                "text": "(message not sent through the stand-in)",
            }
        query = {
            "id": str(next(self._callback_ids)),
            "from": self._user(user_id, first_name, language_code, None),
            "message": copy.deepcopy(message),
            "chat_instance": f"-{abs(hash(chat_key)) % 10**18}",
            "data": data,
        }
        return self.make_update("callback_query", query)

    def _make_media_update(
        self,
        user_id: int,
        kind: str,
        content: bytes,
        *,
        caption: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int = 1,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        message = self._user_message(
            user_id,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )
        stored = self._store_file(kind, content, file_name=file_name, mime_type=mime_type)
        media = self._media_object(stored)
        if isinstance(media, dict) and "duration" in media:
            media["duration"] = duration
        message[kind] = media
        if caption is not None:
            message["caption"] = caption
        return self.make_update("message", message)

    def make_photo_update(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        return self._make_media_update(
            user_id,
            "photo",
            content,
            caption=caption,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )

    def make_document_update(
        self,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        return self._make_media_update(
            user_id,
            "document",
            content,
            caption=caption,
            file_name=file_name,
            mime_type=mime_type,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )

    def make_voice_update(
        self,
        user_id: int,
        content: bytes = b"OggS\x00fake-voice",
        *,
        duration: int = 3,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        return self._make_media_update(
            user_id,
            "voice",
            content,
            duration=duration,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )

    def make_video_update(
        self,
        user_id: int,
        content: bytes = b"\x00\x00\x00\x18ftypmp42fake-video",
        caption: str | None = None,
        *,
        duration: int = 5,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        return self._make_media_update(
            user_id,
            "video",
            content,
            caption=caption,
            duration=duration,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )

    def make_sticker_update(
        self,
        user_id: int,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        return self._make_media_update(
            user_id,
            "sticker",
            b"RIFF\x00\x00\x00\x00WEBPfake-sticker",
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )

    def make_location_update(
        self,
        user_id: int,
        latitude: float = 52.2297,
        longitude: float = 21.0122,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> JSONDict:
        message = self._user_message(
            user_id,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return self.make_update("message", message)

    # ------------------------------------------------------------------ push helpers

    def push_raw(self, update: JSONDict) -> int:
        """Queue any update dict as-is (missing ``update_id`` gets a fresh one).

        Intended for malformed or unusual payloads; nothing is validated.
        """
        update = copy.deepcopy(update)
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            update_id = next(self._update_ids)
            update = {"update_id": update_id, **update}
        else:
            current = next(self._update_ids)
            self._update_ids = itertools.count(max(current, update_id + 1))
        self._history[update_id] = update
        self._register_callback(update)
        self._pending.append(update)
        self._pending.sort(key=lambda u: int(u["update_id"]))
        self._notify()
        return update_id

    def _queue(self, update: JSONDict) -> int:
        update_id = int(update["update_id"])
        self._pending.append(self._history[update_id])
        self._notify()
        return update_id

    def push_text(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
        username: str | None = None,
    ) -> int:
        return self._queue(
            self.make_text_update(
                user_id,
                text,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
                username=username,
            )
        )

    def push_command(
        self,
        user_id: int,
        command: str,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> int:
        return self._queue(
            self.make_command_update(
                user_id,
                command,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
            )
        )

    def push_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_id: ChatId | None = None,
    ) -> int:
        """Queue a button press; ``callback_query_id(update_id)`` gives the query id."""
        return self._queue(
            self.make_callback_update(
                user_id,
                data,
                message_id=message_id,
                language_code=language_code,
                first_name=first_name,
                chat_id=chat_id,
            )
        )

    def push_button_press(
        self,
        user_id: int,
        button_text: str,
        *,
        message_id: int | None = None,
        chat_id: ChatId | None = None,
        language_code: str | None = "pl",
    ) -> int:
        """Press the visible inline button labelled ``button_text``, as a user can.

        Looks at the current keyboard (after edits) of ``message_id`` or, by default, of the
        newest bot message in the chat that has one. Raises AssertionError if no such button.
        """
        chat_key: ChatId = user_id if chat_id is None else chat_id
        candidates = [
            m
            for (cid, mid), m in reversed(self._messages.items())
            if cid == chat_key
            and "reply_markup" in m
            and (message_id is None or mid == message_id)
        ]
        for message in candidates[:1] if message_id is None else candidates:
            for button in itertools.chain.from_iterable(
                message["reply_markup"]["inline_keyboard"]
            ):
                if button.get("text") == button_text and "callback_data" in button:
                    return self.push_callback(
                        user_id,
                        str(button["callback_data"]),
                        message_id=int(message["message_id"]),
                        language_code=language_code,
                        chat_id=chat_key,
                    )
        raise AssertionError(
            f"no button {button_text!r} visible in chat {chat_key}; "
            f"buttons: {self.buttons(chat_key, message_id)}"
        )

    def push_photo(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> int:
        return self._queue(
            self.make_photo_update(
                user_id,
                content,
                caption,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
            )
        )

    def push_document(
        self,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> int:
        return self._queue(
            self.make_document_update(
                user_id,
                content,
                file_name,
                mime_type,
                caption,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
            )
        )

    def push_voice(
        self,
        user_id: int,
        content: bytes = b"OggS\x00fake-voice",
        *,
        duration: int = 3,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> int:
        return self._queue(
            self.make_voice_update(
                user_id,
                content,
                duration=duration,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
            )
        )

    def push_video(
        self,
        user_id: int,
        content: bytes = b"\x00\x00\x00\x18ftypmp42fake-video",
        caption: str | None = None,
        *,
        duration: int = 5,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> int:
        return self._queue(
            self.make_video_update(
                user_id,
                content,
                caption,
                duration=duration,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
            )
        )

    def push_sticker(
        self,
        user_id: int,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> int:
        return self._queue(
            self.make_sticker_update(
                user_id,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
            )
        )

    def push_location(
        self,
        user_id: int,
        latitude: float = 52.2297,
        longitude: float = 21.0122,
        *,
        language_code: str | None = "pl",
        first_name: str = "Jan",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
    ) -> int:
        return self._queue(
            self.make_location_update(
                user_id,
                latitude,
                longitude,
                language_code=language_code,
                first_name=first_name,
                chat_type=chat_type,
                chat_id=chat_id,
            )
        )

    def redeliver(self, update_id: int) -> int:
        """Deliver an update again, even if the bot already confirmed it.

        Telegram re-sends updates that were not confirmed (e.g. after a crash); this forces the
        duplicate. It is delivered once regardless of the bot's offset; PTB then moves its
        offset back to ``update_id + 1``, which is harmless because confirmed updates are gone.
        """
        update = self._history.get(update_id)
        if update is None:
            raise KeyError(f"unknown update_id {update_id}")
        if all(u["update_id"] != update_id for u in self._pending):
            self._pending.append(update)
            self._pending.sort(key=lambda u: int(u["update_id"]))
        self._redelivery.add(update_id)
        self._notify()
        return update_id

    # ------------------------------------------------------------------ webhook helper

    async def post_update_to(
        self, url: str, update: JSONDict, secret_token: str | None = None
    ) -> int:
        """POST ``update`` like Telegram's webhook delivery; returns the HTTP status.

        The header ``X-Telegram-Bot-Api-Secret-Token`` is sent only if ``secret_token`` is given.
        """
        headers = {} if secret_token is None else {SECRET_HEADER: secret_token}
        async with (
            aiohttp.ClientSession(trust_env=False) as session,
            session.post(url, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    # ------------------------------------------------------------------ reading state

    def messages_for(self, chat_id: ChatId) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def current_message(self, chat_id: ChatId, message_id: int) -> JSONDict | None:
        """The message as the user now sees it (after edits); ``None`` if deleted/unknown."""
        message = self._messages.get((chat_id, message_id))
        return None if message is None else copy.deepcopy(message)

    def buttons(self, chat_id: ChatId, message_id: int | None = None) -> list[list[str]]:
        """Labels of the inline keyboard currently shown under a bot message.

        Without ``message_id``: the newest bot message in the chat with a keyboard.
        """
        for (cid, mid), message in reversed(self._messages.items()):
            if cid != chat_id or (message_id is not None and mid != message_id):
                continue
            if "reply_markup" in message or message_id is not None:
                rows: Iterable[list[JSONDict]] = message.get("reply_markup", {}).get(
                    "inline_keyboard", []
                )
                return [[str(b.get("text")) for b in row] for row in rows]
        return []

    async def wait_for(self, predicate: Callable[[TelegramStandIn], T], timeout: float = 5.0) -> T:
        """Poll until ``predicate(self)`` is truthy and return its value.

        Raises AssertionError with a dump of everything recorded, so a failing test shows
        what the bot actually did.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if loop.time() >= deadline:
                raise AssertionError(f"condition not met within {timeout} s\n{self.dump()}")
            await asyncio.sleep(0.01)

    async def wait_sent(
        self, chat_id: ChatId, count: int = 1, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to ``chat_id``; return them all."""
        await self.wait_for(lambda tg: len(tg.messages_for(chat_id)) >= count, timeout)
        return self.messages_for(chat_id)

    def dump(self) -> str:
        lines = [f"sent ({len(self.sent)}):"]
        for m in self.sent:
            body = m.text if m.text is not None else f"[{m.file_name or m.method}] {m.caption}"
            lines.append(f"  chat={m.chat_id} id={m.message_id} {m.method}: {body!r:.120}")
        lines.append(f"edits ({len(self.edits)}):")
        lines.extend(
            f"  chat={e.chat_id} id={e.message_id} {e.method}: {e.text!r:.120}" for e in self.edits
        )
        lines.append(f"callback_answers: {self.callback_answers}")
        lines.append(f"chat_actions: {self.chat_actions[-10:]}")
        lines.append(
            f"pending updates: {self.pending_update_ids}; confirmed_offset="
            f"{self.confirmed_offset}; delivered: {self.delivered_ids[-20:]}"
        )
        lines.append(f"429s: {self.rejected_429} {dict(self.rejected_429_per_chat)}")
        lines.append("last requests:")
        lines.extend(
            f"  {c.method} -> {c.status} {c.description or ''} {str(c.params)[:150]}"
            for c in self.requests[-25:]
        )
        return "\n".join(lines)
