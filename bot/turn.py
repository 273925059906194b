"""One inbound event being applied: the open transaction, the clock, and what to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.actions import (
    Button,
    CustomerAction,
    CustomerMessage,
    DeskEvent,
    DeskNotice,
    Text,
    to_json,
)
from bot.events import Attachment
from bot.model import ALLOWED_TRANSITIONS, AuthorKind, Status
from storage.records import CustomerRecord, TicketRecord
from storage.tx import Tx

DESK = "desk"


class InvalidTransition(RuntimeError):
    pass


def customer_recipient(customer: CustomerRecord) -> str:
    return f"{customer.platform}:{customer.chat_id}"


@dataclass(slots=True)
class Actor:
    """Who caused a change, as recorded in the ticket's history."""

    kind: AuthorKind
    id: str = ""
    name: str = ""


@dataclass(slots=True)
class Turn:
    tx: Tx
    now: datetime
    outbox_ids: list[int] = field(default_factory=list)
    ticket_ids: set[int] = field(default_factory=set)  # tickets this event told anyone about

    def say(
        self,
        customer: CustomerRecord,
        language: str,
        *texts: Text,
        buttons: tuple[Button, ...] = (),
        attachments: tuple[Attachment, ...] = (),
        ticket_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        """Queue a message to a customer on their own chat app."""
        message = CustomerMessage(
            platform=customer.platform,
            chat_id=customer.chat_id,
            language=language,
            texts=texts,
            buttons=buttons,
            attachments=attachments,
            ticket_id=ticket_id,
            message_id=message_id,
        )
        self.send(customer, message)

    def send(self, customer: CustomerRecord, action: CustomerAction) -> None:
        """Queue any action towards a customer, in order with everything else sent to them."""
        if action.ticket_id is not None:
            self.ticket_ids.add(action.ticket_id)
        self.outbox_ids.append(self.tx.enqueue(
            destination=customer.platform,
            recipient=customer_recipient(customer),
            payload=to_json(action),
            ticket_id=action.ticket_id,
            message_id=action.message_id,
            now=self.now,
        ))

    def tell_desk(
        self,
        ticket_id: int,
        event: DeskEvent,
        *,
        message_id: int | None = None,
        text: Text | None = None,
    ) -> None:
        """Queue a notice to the agents' desk; each ticket's notices arrive in order."""
        self.ticket_ids.add(ticket_id)
        notice = DeskNotice(ticket_id=ticket_id, event=event, message_id=message_id, text=text)
        self.outbox_ids.append(self.tx.enqueue(
            destination=DESK,
            recipient=f"{DESK}:{ticket_id}",
            payload=to_json(notice),
            ticket_id=ticket_id,
            now=self.now,
        ))

    def record(
        self,
        ticket: TicketRecord,
        actor: Actor,
        kind: str,
        old_value: str | None,
        new_value: str | None,
    ) -> None:
        self.tx.add_ticket_event(
            ticket_id=ticket.id,
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_name=actor.name,
            kind=kind,
            old_value=old_value,
            new_value=new_value,
            now=self.now,
        )

    def set_status(self, ticket: TicketRecord, status: Status, actor: Actor) -> None:
        """Move a ticket to a new status, keeping the timestamps and history that go with it."""
        if status not in ALLOWED_TRANSITIONS[Status(ticket.status)]:
            # Callers check first and tell the person; reaching this is a bug, so the event
            # rolls back whole rather than leave a ticket in a state no rule allows.
            raise InvalidTransition(f"ticket {ticket.id}: {ticket.status} -> {status}")
        changes: dict[str, object] = {"status": status.value}
        if status is Status.RESOLVED:
            changes["resolved_at"] = self.now
        elif status is Status.CLOSED:
            changes["closed_at"] = self.now
        elif status is Status.OPEN:
            changes["resolved_at"] = None
            changes["closed_at"] = None
        self.tx.update_ticket(ticket.id, self.now, **changes)
        self.record(ticket, actor, "status", ticket.status, status.value)
