"""Translating Telegram updates into core events. Pure: no I/O, no business rule.

Each update becomes one of three things: an event for the core (``ForCore``), a message in a
group or channel (``GroupChat``: the bot serves private chats only and says so), or nothing
(``Ignored``: service messages, update kinds we do not serve). The event id is
``telegram:update:<update_id>``, the same on every re-delivery, so the core drops a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telegram import Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatType

from adapters.telegram.commands import COMMANDS
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

PLATFORM = "telegram"

# Asked of Telegram with getUpdates / setWebhook; anything else is never sent to us.
ALLOWED_UPDATES = ("message", "callback_query", "channel_post")


@dataclass(frozen=True, slots=True)
class ForCore:
    event: CustomerEvent
    callback_query_id: str | None = None  # to answer, so the button stops spinning


@dataclass(frozen=True, slots=True)
class GroupChat:
    """Someone wrote in a group or channel: tell them where to write instead."""

    chat_id: int
    locale: str | None


@dataclass(frozen=True, slots=True)
class Ignored:
    reason: str
    callback_query_id: str | None = None


Inbound = ForCore | GroupChat | Ignored


def event_id(update_id: int) -> str:
    return f"{PLATFORM}:update:{update_id}"


def translate(update: Update) -> Inbound:
    """What an update means to us (dispatch on its kind)."""
    for kind, handler in _UPDATE_KINDS:
        if getattr(update, kind, None) is not None:
            return handler(update)
    return Ignored("an update kind the bot does not serve")


# -- messages ----------------------------------------------------------------------------------
def _message(update: Update) -> Inbound:
    message = update.message
    assert message is not None
    user = message.from_user
    if message.chat.type != ChatType.PRIVATE:
        return GroupChat(message.chat.id, user.language_code if user else None)
    if user is None or user.is_bot:
        return Ignored("a message without a person behind it")
    customer = _customer(user, message.chat)
    eid = event_id(update.update_id)
    command = _command(message)
    if command is not None:
        return ForCore(CustomerCommand(eid, customer, *command))
    if message.text is not None:
        return ForCore(CustomerText(eid, customer, message.text))
    attachment = _attachment_of(message)
    if attachment is not None:
        return ForCore(CustomerFile(eid, customer, attachment, message.caption or ""))
    for attribute, kind in _UNSUPPORTED:
        if getattr(message, attribute, None):
            return ForCore(UnsupportedContent(eid, customer, kind))
    if any(getattr(message, attribute, None) for attribute in _SERVICE):
        return Ignored("a service message")
    return ForCore(UnsupportedContent(eid, customer, "other"))


def _channel_post(update: Update) -> Inbound:
    post = update.channel_post
    assert post is not None
    return GroupChat(post.chat.id, None)


def _customer(user: User, chat: Chat) -> CustomerRef:
    return CustomerRef(platform=PLATFORM, user_id=str(user.id), chat_id=str(chat.id),
                       display_name=user.full_name, locale=user.language_code)


def _command(message: Message) -> tuple[Command, str] | None:
    """``/status 12`` -> (STATUS, "12"); ``/status@our_bot 12`` too; ``/foo`` -> UNKNOWN."""
    text = message.text or ""
    entity = next((e for e in message.entities
                   if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None)
    if entity is None:
        return None
    word = message.parse_entity(entity)
    name = word.removeprefix("/").split("@", 1)[0]
    command = COMMANDS.get(name.lower())
    if command is None:
        return Command.UNKNOWN, f"/{name}"
    return command, text[len(word):].strip()


# -- files -------------------------------------------------------------------------------------
def _photo(message: Message) -> Attachment:
    best = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
    return Attachment("photo", best.file_id, f"photo_{message.message_id}.jpg", "image/jpeg",
                      best.file_size or 0, PLATFORM)


@dataclass(frozen=True, slots=True)
class _FileKind:
    """How one kind of Telegram file becomes an attachment."""

    kind: str
    default_name: str  # formatted with the message id when Telegram sends no file name
    default_mime: str

    def attachment(self, message: Message, field: str) -> Attachment:
        file = getattr(message, field)
        name = getattr(file, "file_name", None) or self.default_name.format(message.message_id)
        mime = getattr(file, "mime_type", None) or self.default_mime  # video notes have none
        return Attachment(self.kind, file.file_id, name, mime,
                          file.file_size or 0, PLATFORM)


# An animation message carries a ``document`` too, so animation is looked at first.
_FILE_KINDS: tuple[tuple[str, _FileKind], ...] = (
    ("animation", _FileKind("video", "animation_{}.mp4", "video/mp4")),
    ("video", _FileKind("video", "video_{}.mp4", "video/mp4")),
    ("video_note", _FileKind("video", "video_note_{}.mp4", "video/mp4")),
    ("voice", _FileKind("voice", "voice_{}.ogg", "audio/ogg")),
    ("audio", _FileKind("document", "audio_{}", "audio/mpeg")),
    ("document", _FileKind("document", "file_{}", "application/octet-stream")),
)


def _attachment_of(message: Message) -> Attachment | None:
    if message.photo:
        return _photo(message)
    for field, file_kind in _FILE_KINDS:
        if getattr(message, field, None) is not None:
            return file_kind.attachment(message, field)
    return None


# Content the bot cannot take into a ticket; the kind picks the wording of the polite refusal.
# A venue carries a location too, so it is looked at first.
_UNSUPPORTED: tuple[tuple[str, str], ...] = (
    ("sticker", "sticker"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("poll", "poll"),
    ("dice", "dice"),
    ("game", "game"),
    ("story", "story"),
    ("invoice", "invoice"),
    ("paid_media", "paid_media"),
    ("giveaway", "giveaway"),
)

# Service messages: Telegram telling about the chat, not the person saying something.
_SERVICE = (
    "pinned_message", "message_auto_delete_timer_changed", "write_access_allowed",
    "successful_payment", "refunded_payment", "users_shared", "chat_shared",
    "connected_website", "web_app_data", "proximity_alert_triggered", "chat_background_set",
    "boost_added", "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo",
    "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "channel_chat_created", "migrate_to_chat_id", "migrate_from_chat_id", "passport_data",
    "gift", "unique_gift",
)


# -- button presses ----------------------------------------------------------------------------
def _callback_query(update: Update) -> Inbound:
    query = update.callback_query
    assert query is not None
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type != ChatType.PRIVATE:
        return Ignored("a button outside a private chat", query.id)
    if not query.data:
        return Ignored("a button without data", query.id)
    press = ButtonPress(event_id(update.update_id), _customer(query.from_user, chat), query.data)
    return ForCore(press, query.id)


_UPDATE_KINDS: tuple[tuple[str, Callable[[Update], Inbound]], ...] = (
    ("message", _message),
    ("callback_query", _callback_query),
    ("channel_post", _channel_post),
)
