"""Core actions to Telegram calls: render, split, lay out buttons, send, and map failures.

Rendering happens here, at the edge, in the customer's language, with what people wrote
escaped for ``parse_mode=HTML``. A long text becomes several messages (buttons on the last),
then the attachments follow as files. A message sent in parts that fails half-way resumes on
the dispatcher's retry where it stopped, so the customer never sees a part twice.

The reference returned for a message lists what was sent, ``t`` for text and ``f`` for files
(``t12,t13,f14``), so an agent's edit changes the texts and a withdrawal removes everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)

from adapters.telegram.inbound import PLATFORM
from adapters.telegram.ratelimit import RateLimiter
from adapters.telegram.text import escape, split_html
from bot.actions import (
    Action,
    CustomerMessage,
    DeleteCustomerMessage,
    EditCustomerMessage,
    to_json,
)
from bot.delivery import DeliveryError
from bot.events import Attachment
from bot.i18n import Translator
from bot.runtime import UnknownFileSource

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_CALLBACK_DATA = 64  # bytes
MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO_UPLOAD = 10 * 1024 * 1024  # larger images go as documents
SHORT_LABEL = 16  # two buttons this short share a row
TINY_LABEL = 7  # five this tiny do
START_WAIT = 60.0  # how long a delivery waits for the adapter to start before giving way
_REMEMBERED = 1000  # partly sent messages kept for resuming

FetchFile = Callable[[Attachment], Awaitable[bytes]]


# -- failures ----------------------------------------------------------------------------------
def retry_seconds(exc: RetryAfter) -> float:
    # PTB 22 gives an int, or a timedelta with PTB_TIMEDELTA set; both mean seconds.
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def delivery_error(exc: TelegramError) -> DeliveryError:
    """Whether trying again can help: the dispatcher retries transient errors, in order."""
    reason = f"Telegram: {exc.message}"
    match exc:
        case RetryAfter():
            return DeliveryError(reason, permanent=False, retry_after=retry_seconds(exc))
        case Forbidden():  # blocked by the user, or the account is deactivated
            return DeliveryError(reason, permanent=True)
        case BadRequest() | ChatMigrated():
            # Telegram refuses the request as it is ("chat not found", "message can't be
            # edited"...): the same request will be refused again.
            return DeliveryError(reason, permanent=True)
        case InvalidToken():
            log.error("Telegram refuses the bot token; deliveries wait until it is fixed")
            return DeliveryError(reason, permanent=False)
        case _:  # NetworkError, TimedOut, 5xx, Conflict: worth another try
            return DeliveryError(reason, permanent=False)


def _chat_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise DeliveryError(f"not a Telegram chat id: {raw!r}", permanent=True) from None


# -- references --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SentRef:
    texts: tuple[int, ...] = ()
    files: tuple[int, ...] = ()

    def encode(self) -> str | None:
        items = [f"t{i}" for i in self.texts] + [f"f{i}" for i in self.files]
        return ",".join(items) or None

    @classmethod
    def parse(cls, ref: str) -> SentRef:
        texts: list[int] = []
        files: list[int] = []
        try:
            for item in ref.split(","):
                item = item.strip()
                if item.startswith("f"):
                    files.append(int(item[1:]))
                else:
                    texts.append(int(item.removeprefix("t")))
        except ValueError:
            raise DeliveryError(f"not a Telegram message reference: {ref!r}",
                                permanent=True) from None
        return cls(tuple(texts), tuple(files))


# -- buttons -----------------------------------------------------------------------------------
def keyboard(buttons: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """Buttons in order, as many to a row as their labels leave room for.

    Long labels get a row each, two short ones share a row, and up to five tiny ones (a 1-5
    rating) share one.
    """
    rows: list[list[InlineKeyboardButton]] = []
    row: list[tuple[str, InlineKeyboardButton]] = []
    for label, data in buttons:
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
            # Telegram would refuse the whole message; losing one button is the lesser harm.
            log.error("button %r left out: Telegram allows %d bytes of data", data,
                      MAX_CALLBACK_DATA)
            continue
        candidate = [*row, (label, InlineKeyboardButton(label, callback_data=data))]
        if len(candidate) > _row_capacity(max(len(text) for text, _ in candidate)):
            rows.append([button for _, button in row])
            candidate = candidate[-1:]
        row = candidate
    if row:
        rows.append([button for _, button in row])
    return InlineKeyboardMarkup(rows) if rows else None


def _row_capacity(longest_label: int) -> int:
    if longest_label <= TINY_LABEL:
        return 5
    return 2 if longest_label <= SHORT_LABEL else 1


# -- sending -----------------------------------------------------------------------------------
class TelegramOutbound:
    """The dispatcher's channel for platform ``telegram``."""

    def __init__(self, bot: Bot, translator: Translator, fetch_file: FetchFile,
                 limiter: RateLimiter) -> None:
        self.bot = bot
        self.translator = translator
        self.fetch_file = fetch_file
        self.limiter = limiter
        self._started = asyncio.Event()
        self._stopped = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # What was already sent of a message that failed half-way, by its outbox payload.
        # The dispatcher delivers one conversation in order, so the payload names the row.
        self._progress: dict[str, list[str]] = {}

    def open(self) -> None:
        self._started.set()

    async def close(self, timeout: float = 10.0) -> None:
        """Take no new deliveries; wait (bounded) for those under way to finish."""
        self._stopped = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("Telegram deliveries still under way at shutdown")

    async def deliver(self, action: Action) -> str | None:
        await self._ready()
        self._inflight += 1
        self._idle.clear()
        try:
            match action:
                case CustomerMessage():
                    return await self._send(action)
                case EditCustomerMessage():
                    await self._edit(action)
                    return None
                case DeleteCustomerMessage():
                    await self._delete(action)
                    return None
            raise DeliveryError(f"Telegram does not take {type(action).__name__}",
                                permanent=True)
        except TelegramError as exc:
            raise delivery_error(exc) from exc
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()

    async def notify(self, chat_id: int, html_text: str) -> None:
        """Send a text outside the outbox (the group-chat notice); failures are the caller's."""
        for part in split_html(html_text):
            await self._call(chat_id, partial(self.bot.send_message, chat_id, part,
                                              parse_mode=ParseMode.HTML))

    async def _ready(self) -> None:
        if self._stopped:
            raise DeliveryError("the Telegram adapter is stopping", permanent=False,
                                retry_after=5.0)
        if not self._started.is_set():
            try:
                await asyncio.wait_for(self._started.wait(), START_WAIT)
            except TimeoutError:
                raise DeliveryError("the Telegram adapter has not started", permanent=False,
                                    retry_after=30.0) from None

    async def _call(self, chat_id: int, request: Callable[[], Awaitable[T]]) -> T:
        """One message-sending call, paced; a 429 also holds back the chat's next ones."""
        async with self.limiter.slot(chat_id):
            try:
                return await request()
            except RetryAfter as exc:
                self.limiter.pause(chat_id, retry_seconds(exc))
                raise

    def _render(self, texts: CustomerMessage | EditCustomerMessage) -> list[str]:
        rendered = self.translator.render_all(texts.texts, texts.language, escape=escape)
        return split_html(rendered)

    # -- a new message -------------------------------------------------------------------------
    async def _send(self, message: CustomerMessage) -> str | None:
        chat_id = _chat_id(message.chat_id)
        # Files are fetched before anything is sent: a file that cannot be had sends nothing.
        files = await self._load(message.attachments)
        parts = self._render(message)
        markup = keyboard([(self.translator.render(b.label, message.language), b.data)
                           for b in message.buttons])
        steps: list[Callable[[], Awaitable[str]]] = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            steps.append(partial(self._send_text, chat_id, part, markup if last else None))
        steps.extend(partial(self._send_file, chat_id, attachment, data)
                     for attachment, data in files)
        if not steps:
            log.warning("an empty message to a Telegram chat was skipped")
            return None
        key = to_json(message)
        sent = self._progress.setdefault(key, [])
        while len(self._progress) > _REMEMBERED:
            del self._progress[next(iter(self._progress))]
        try:
            for step in steps[len(sent):]:
                sent.append(await step())
        except TelegramError as exc:
            error = delivery_error(exc)
            if error.permanent:
                self._progress.pop(key, None)
            raise error from exc
        self._progress.pop(key, None)
        return ",".join(sent)

    async def _send_text(self, chat_id: int, text: str,
                         markup: InlineKeyboardMarkup | None) -> str:
        sent = await self._call(chat_id, lambda: self.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup))
        return f"t{sent.message_id}"

    async def _load(self, attachments: Sequence[Attachment]
                    ) -> list[tuple[Attachment, bytes | None]]:
        """Bytes of each file; None for a file already on Telegram (sent again by its id)."""
        loaded: list[tuple[Attachment, bytes | None]] = []
        for attachment in attachments:
            if attachment.source == PLATFORM:
                loaded.append((attachment, None))
                continue
            try:
                data = await self.fetch_file(attachment)
            except DeliveryError:
                raise
            except UnknownFileSource as exc:
                raise DeliveryError(str(exc), permanent=True) from exc
            except Exception as exc:  # another platform's failure: worth another try
                raise DeliveryError(f"could not fetch {attachment.name!r}: {exc}",
                                    permanent=False) from exc
            if len(data) > MAX_UPLOAD:
                raise DeliveryError(f"{attachment.name!r} is over Telegram's 50 MB for bots",
                                    permanent=True)
            loaded.append((attachment, data))
        return loaded

    async def _send_file(self, chat_id: int, attachment: Attachment, data: bytes | None) -> str:
        name = attachment.name or "file"
        file = data if data is not None else attachment.file_ref
        sent: Message
        if attachment.kind == "photo" and (data is None or len(data) <= MAX_PHOTO_UPLOAD):
            try:
                sent = await self._call(chat_id, lambda: self.bot.send_photo(
                    chat_id, file, filename=name))
                return f"f{sent.message_id}"
            except BadRequest as exc:
                if data is None:
                    raise
                # An image Telegram cannot show as a photo still reaches them as a file.
                log.info("photo %r sent as a document instead: %s", name, exc.message)
        if data is None and attachment.kind == "voice":
            sent = await self._call(chat_id, lambda: self.bot.send_voice(chat_id, file))
        elif data is None and attachment.kind == "video":
            sent = await self._call(chat_id, lambda: self.bot.send_video(chat_id, file))
        else:
            sent = await self._call(chat_id, lambda: self.bot.send_document(
                chat_id, file, filename=name))
        return f"f{sent.message_id}"

    # -- changing what was sent ----------------------------------------------------------------
    async def _edit(self, action: EditCustomerMessage) -> None:
        chat_id = _chat_id(action.chat_id)
        ref = SentRef.parse(action.ref)
        parts = self._render(action)
        for index, message_id in enumerate(ref.texts):
            if index < len(parts):
                await self._edit_text(chat_id, message_id, parts[index])
            else:  # the new text is shorter: the parts it no longer needs go
                await self._delete_one(chat_id, message_id)
        for part in parts[len(ref.texts):]:  # longer: what does not fit follows as new text
            await self._send_text(chat_id, part, None)

    async def _edit_text(self, chat_id: int, message_id: int, text: str) -> None:
        try:
            await self._call(chat_id, lambda: self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML))
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():  # a retry of an edit that went through
                raise

    async def _delete(self, action: DeleteCustomerMessage) -> None:
        chat_id = _chat_id(action.chat_id)
        ref = SentRef.parse(action.ref)
        for message_id in (*ref.texts, *ref.files):
            await self._delete_one(chat_id, message_id)

    async def _delete_one(self, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.delete_message(chat_id, message_id)
        except BadRequest as exc:
            if "not found" not in exc.message.lower():  # already gone is what we wanted
                raise
