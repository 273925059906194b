"""Rows of the ticket store as typed, immutable records, and the time format they use."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

# The last moment formatted, with its text: one event stores its "now" several times (the
# dedup row, the message, the outbox rows), and formatting is most of a row's Python cost.
# One tuple, replaced whole, so a reader in another thread never sees half of a pair.
_last_formatted: tuple[datetime | None, str] = (None, "")


def to_iso(moment: datetime) -> str:
    """Store times as UTC ISO-8601 so they sort as text."""
    global _last_formatted
    last = _last_formatted
    if last[0] is moment:
        return last[1]
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    text = moment.astimezone(UTC).isoformat(timespec="microseconds")
    _last_formatted = (moment, text)
    return text


def json_text(value: Any) -> str:
    """``value`` as the JSON text stored in JSON columns and outbox payloads: compact, UTF-8
    as it is. (orjson: the standard library's encoder took ~5 µs for a desk notice, most of
    it setting itself up again for each call, on every follow-up.)"""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    platform: str
    platform_user_id: str
    chat_id: str
    display_name: str
    locale: str | None
    language: str | None
    blocked: bool
    created_at: datetime
    rate_tokens: float | None = None
    rate_updated_at: datetime | None = None
    throttled_at: datetime | None = None
    timezone: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CustomerRecord:
        return cls(
            id=row["id"],
            platform=row["platform"],
            platform_user_id=row["platform_user_id"],
            chat_id=row["chat_id"],
            display_name=row["display_name"],
            locale=row["locale"],
            language=row["language"],
            blocked=bool(row["blocked"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            rate_tokens=row["rate_tokens"],
            rate_updated_at=from_iso(row["rate_updated_at"]),
            throttled_at=from_iso(row["throttled_at"]),
            timezone=row["timezone"],
        )


class ActiveTicket(NamedTuple):
    """What routing a customer's message needs of one of their active tickets."""

    id: int
    status: str
    customer_wrote_at: datetime | None  # the customer's last message in it


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: int
    customer_id: int
    category: str
    subject: str
    fields: dict[str, Any]
    status: str
    priority: str
    assignee_id: str | None
    assignee_name: str | None
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue_at: datetime | None = None
    escalated_at: datetime | None = None
    reminded_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    related_ticket_id: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TicketRecord:
        return cls(
            id=row["id"],
            customer_id=row["customer_id"],
            category=row["category"],
            subject=row["subject"],
            fields=json.loads(row["fields"]),
            status=row["status"],
            priority=row["priority"],
            assignee_id=row["assignee_id"],
            assignee_name=row["assignee_name"],
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
            first_response_due=from_iso(row["first_response_due"]),
            first_response_at=from_iso(row["first_response_at"]),
            resolved_at=from_iso(row["resolved_at"]),
            closed_at=from_iso(row["closed_at"]),
            overdue_at=from_iso(row["overdue_at"]),
            escalated_at=from_iso(row["escalated_at"]),
            reminded_at=from_iso(row["reminded_at"]),
            rating=row["rating"],
            rating_comment=row["rating_comment"],
            related_ticket_id=row["related_ticket_id"],
        )


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    ticket_id: int
    author_kind: str
    author_id: str
    author_name: str
    internal: bool
    body: str
    attachments: str  # JSON list, decoded by bot.actions.attachments_from_json
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MessageRecord:
        return cls(
            id=row["id"],
            ticket_id=row["ticket_id"],
            author_kind=row["author_kind"],
            author_id=row["author_id"],
            author_name=row["author_name"],
            internal=bool(row["internal"]),
            body=row["body"],
            attachments=row["attachments"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class TicketEventRecord:
    id: int
    ticket_id: int
    actor_kind: str
    actor_id: str
    actor_name: str
    kind: str
    old_value: str | None
    new_value: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TicketEventRecord:
        return cls(
            id=row["id"],
            ticket_id=row["ticket_id"],
            actor_kind=row["actor_kind"],
            actor_id=row["actor_id"],
            actor_name=row["actor_name"],
            kind=row["kind"],
            old_value=row["old_value"],
            new_value=row["new_value"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: int
    destination: str
    recipient: str
    ticket_id: int | None
    payload: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime | None = None  # for the delivery latency metric

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxRecord:
        return cls(
            id=row["id"],
            destination=row["destination"],
            recipient=row["recipient"],
            ticket_id=row["ticket_id"],
            payload=row["payload"],
            attempts=row["attempts"],
            next_attempt_at=from_iso(row["next_attempt_at"]),
            created_at=from_iso(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    state: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeskThreadRecord:
    ticket_id: int
    desk: str
    channel: str
    thread_ref: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DeskThreadRecord:
        return cls(row["ticket_id"], row["desk"], row["channel"], row["thread_ref"])


@dataclass(frozen=True, slots=True)
class TimerRecord:
    id: int
    ticket_id: int
    kind: str
    due_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TimerRecord:
        return cls(row["id"], row["ticket_id"], row["kind"],
                   datetime.fromisoformat(row["due_at"]))
