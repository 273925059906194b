"""Outbound actions: what the bot says or does, as message keys and parameters.

Actions are stored in the outbox as JSON before they are delivered, so they must round-trip
through ``to_json`` / ``from_json``. Rendering into a person's language happens at the edge.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.events import Attachment
from storage.records import json_text


@dataclass(frozen=True, slots=True)
class Text:
    """A localisable text: a message key and its parameters.

    A parameter may itself be a ``Text`` (a status or category name, say): it is rendered in
    the same language first, because Fluent terms cannot take variables as arguments.
    """

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)


Param = str | int | float | bool | datetime | Text | None


@dataclass(frozen=True, slots=True)
class Button:
    label: Text
    data: str  # short and stateless, so it still means the same after a restart


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    platform: str
    chat_id: str
    language: str
    texts: tuple[Text, ...]
    buttons: tuple[Button, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    ticket_id: int | None = None
    message_id: int | None = None  # the ticket message this relays (an agent's reply)


@dataclass(frozen=True, slots=True)
class EditCustomerMessage:
    """Change what the customer already received (``ref`` is the platform's message id)."""

    platform: str
    chat_id: str
    language: str
    ref: str
    texts: tuple[Text, ...]
    ticket_id: int | None = None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class DeleteCustomerMessage:
    platform: str
    chat_id: str
    ref: str
    ticket_id: int | None = None
    message_id: int | None = None


class DeskEvent(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_MESSAGE = "agent_message"
    NOTE = "note"
    ALERT = "alert"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"  # a relayed agent message reached the customer


@dataclass(frozen=True, slots=True)
class DeskNotice:
    """Something the agents' desk must show; the desk reads the ticket itself to render it."""

    ticket_id: int
    event: DeskEvent
    message_id: int | None = None
    text: Text | None = None


Action = CustomerMessage | EditCustomerMessage | DeleteCustomerMessage | DeskNotice
CustomerAction = CustomerMessage | EditCustomerMessage | DeleteCustomerMessage


def _encode_param(value: Param) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, Text):
        return {"$text": _text_to_dict(value)}
    return value


def _decode_param(raw: Any) -> Param:
    if isinstance(raw, dict):
        if "$dt" in raw:
            return datetime.fromisoformat(raw["$dt"])
        return _text_from_dict(raw["$text"])
    return raw  # type: ignore[no-any-return]


def _encode_params(params: Mapping[str, Param]) -> dict[str, Any]:
    return {k: _encode_param(v) for k, v in params.items()}


def _decode_params(raw: Mapping[str, Any]) -> dict[str, Param]:
    return {k: _decode_param(v) for k, v in raw.items()}


def _text_to_dict(text: Text) -> dict[str, Any]:
    return {"key": text.key, "params": _encode_params(text.params)}


def _text_from_dict(raw: Mapping[str, Any]) -> Text:
    return Text(raw["key"], _decode_params(raw.get("params", {})))


def attachment_to_dict(a: Attachment) -> dict[str, Any]:
    return {"kind": a.kind, "file_ref": a.file_ref, "name": a.name, "mime_type": a.mime_type,
            "size": a.size, "source": a.source}


def attachment_from_dict(raw: Mapping[str, Any]) -> Attachment:
    return Attachment(raw["kind"], raw["file_ref"], raw.get("name", ""),
                      raw.get("mime_type", ""), raw.get("size", 0), raw.get("source", ""))


def attachments_to_json(attachments: tuple[Attachment, ...]) -> str:
    if not attachments:
        return "[]"  # nearly every message: no need to run the encoder
    return json_text([attachment_to_dict(a) for a in attachments])


def attachments_from_json(raw: str | None) -> tuple[Attachment, ...]:
    return tuple(attachment_from_dict(a) for a in json.loads(raw or "[]"))


def to_json(action: Action) -> str:
    body: dict[str, Any]
    match action:
        case CustomerMessage():
            body = {
                "type": "customer_message",
                "platform": action.platform,
                "chat_id": action.chat_id,
                "language": action.language,
                "texts": [_text_to_dict(t) for t in action.texts],
                "buttons": [{"label": _text_to_dict(b.label), "data": b.data}
                            for b in action.buttons],
                "attachments": [attachment_to_dict(a) for a in action.attachments],
                "ticket_id": action.ticket_id,
                "message_id": action.message_id,
            }
        case EditCustomerMessage():
            body = {
                "type": "edit_customer_message",
                "platform": action.platform,
                "chat_id": action.chat_id,
                "language": action.language,
                "ref": action.ref,
                "texts": [_text_to_dict(t) for t in action.texts],
                "ticket_id": action.ticket_id,
                "message_id": action.message_id,
            }
        case DeleteCustomerMessage():
            body = {
                "type": "delete_customer_message",
                "platform": action.platform,
                "chat_id": action.chat_id,
                "ref": action.ref,
                "ticket_id": action.ticket_id,
                "message_id": action.message_id,
            }
        case DeskNotice():
            body = {
                "type": "desk_notice",
                "ticket_id": action.ticket_id,
                "event": action.event.value,
                "message_id": action.message_id,
                "text": _text_to_dict(action.text) if action.text else None,
            }
    return json_text(body)


def from_json(raw: str) -> Action:
    body = json.loads(raw)
    kind = body.get("type")
    if kind == "customer_message":
        return CustomerMessage(
            platform=body["platform"],
            chat_id=body["chat_id"],
            language=body["language"],
            texts=tuple(_text_from_dict(t) for t in body["texts"]),
            buttons=tuple(Button(_text_from_dict(b["label"]), b["data"])
                          for b in body["buttons"]),
            attachments=tuple(attachment_from_dict(a) for a in body["attachments"]),
            ticket_id=body.get("ticket_id"),
            message_id=body.get("message_id"),
        )
    if kind == "edit_customer_message":
        return EditCustomerMessage(
            platform=body["platform"],
            chat_id=body["chat_id"],
            language=body["language"],
            ref=body["ref"],
            texts=tuple(_text_from_dict(t) for t in body["texts"]),
            ticket_id=body.get("ticket_id"),
            message_id=body.get("message_id"),
        )
    if kind == "delete_customer_message":
        return DeleteCustomerMessage(
            platform=body["platform"],
            chat_id=body["chat_id"],
            ref=body["ref"],
            ticket_id=body.get("ticket_id"),
            message_id=body.get("message_id"),
        )
    if kind == "desk_notice":
        return DeskNotice(
            ticket_id=body["ticket_id"],
            event=DeskEvent(body["event"]),
            message_id=body.get("message_id"),
            text=_text_from_dict(body["text"]) if body.get("text") else None,
        )
    raise ValueError(f"unknown outbox action type: {kind!r}")
