"""Fair use: a per-customer token bucket, refilled continuously, kept in the store."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.actions import DeskEvent, Text, attachments_to_json
from bot.conversation import Conversation
from bot.events import Attachment, CustomerEvent, CustomerFile, CustomerText
from bot.model import AuthorKind
from bot.text import clean_text

# A throttled customer is told (and the desk alerted) at most this often.
THROTTLE_NOTICE_EVERY = timedelta(minutes=1)


def take_token(
    tokens: float | None, updated_at: datetime | None, now: datetime, per_minute: int
) -> tuple[bool, float]:
    """Whether one more message is allowed, and the tokens left after it."""
    capacity = float(per_minute)
    if tokens is None or updated_at is None:
        available = capacity
    else:
        elapsed = max(0.0, (now - updated_at).total_seconds())
        available = min(capacity, tokens + elapsed * per_minute / 60.0)
    if available >= 1.0:
        return True, available - 1.0
    return False, available


def admit(conv: Conversation, event: CustomerEvent) -> bool:
    """Take a token from the customer's bucket; over the limit, keep what they wrote."""
    customer, now = conv.customer, conv.turn.now
    allowed, tokens = take_token(customer.rate_tokens, customer.rate_updated_at, now,
                                 conv.config.messages_per_minute)
    first_time = customer.throttled_at is None or \
        now - customer.throttled_at >= THROTTLE_NOTICE_EVERY
    throttled_at = now if not allowed and first_time else customer.throttled_at
    conv.tx.set_customer_rate(customer.id, tokens, now, throttled_at)
    if allowed:
        return True
    _keep(conv, event, announce=first_time)
    if first_time:
        conv.say(Text("throttled", {"per_minute": conv.config.messages_per_minute}))
    return False


def _keep(conv: Conversation, event: CustomerEvent, *, announce: bool) -> None:
    """Store what a throttled customer wrote: in their open ticket, or held for later."""
    text = clean_text(event.text) if isinstance(event, CustomerText) else ""
    files: tuple[Attachment, ...] = ()
    if isinstance(event, CustomerFile):
        text, files = clean_text(event.caption), (event.attachment,)
    if not text and not files:
        return  # a button press or a command: nothing the customer wrote to keep
    customer, tx, now = conv.customer, conv.tx, conv.turn.now
    active = tx.active_tickets(customer.id, limit=1)
    if not active:
        tx.hold_message(customer.id, text, attachments_to_json(files), event.event_id, now)
        return
    ticket_id = active[0].id
    message_id = tx.add_message(
        ticket_id=ticket_id, author_kind=AuthorKind.CUSTOMER, author_id=str(customer.id),
        author_name=customer.display_name, body=text,
        attachments_json=attachments_to_json(files), event_id=event.event_id, now=now)
    conv.turn.tell_desk(ticket_id, DeskEvent.CUSTOMER_MESSAGE, message_id=message_id)
    if announce:
        conv.turn.tell_desk(ticket_id, DeskEvent.ALERT, text=Text("desk-throttled", {
            "id": ticket_id, "name": customer.display_name,
            "per_minute": conv.config.messages_per_minute,
        }))
