"""Follow-ups stay in the original ticket: one open ticket takes the message, several ask
which, a resolved one reopens, none leads to self-service (linked to a closed one)."""

from __future__ import annotations

from datetime import datetime

from bot.actions import (
    Button,
    DeskEvent,
    Text,
    attachment_from_dict,
    attachment_to_dict,
    attachments_to_json,
)
from bot.conversation import Conversation, parse_number
from bot.events import Attachment
from bot.intake import Intake
from bot.model import AuthorKind, Status
from bot.self_service import SelfService
from bot.text import shorten

PICK_TICKET = "pick_ticket"


class FollowUps:
    def __init__(self, conv: Conversation, intake: Intake, self_service: SelfService) -> None:
        self.conv = conv
        self.intake = intake
        self.self_service = self_service

    def route(self, text: str, attachments: tuple[Attachment, ...], event_id: str) -> None:
        """A message outside any form: put it where it belongs."""
        conv = self.conv
        active = conv.tx.active_tickets(conv.customer.id, limit=6)
        if len(active) == 1:
            ticket = active[0]
            self.add(ticket.id, ticket.status, text, attachments, event_id,
                     previous=ticket.customer_wrote_at)
            return
        if active:
            conv.set_state(PICK_TICKET, {
                "text": text, "attachments": [attachment_to_dict(a) for a in attachments],
            })
            conv.reprompt()
            return
        latest = conv.tx.customer_tickets(conv.customer.id, limit=1)
        last = latest[0] if latest else None
        if last is not None and last.status == Status.RESOLVED:
            # A reply before the quiet period ends belongs in the resolved ticket.
            conv.turn.set_status(last, Status.OPEN, conv.actor)
            conv.turn.tell_desk(last.id, DeskEvent.UPDATED,
                                text=Text("desk-customer-reopened", {"id": last.id}))
            self.add(last.id, Status.OPEN, text, attachments, event_id, reopened=True)
            return
        related = last.id if last is not None and last.status == Status.CLOSED else None
        if attachments:
            self.intake.start(prefill={"description": text} if text else {},
                              attachments=[attachment_to_dict(a) for a in attachments],
                              related=related)
        else:
            self.self_service.ask(text, related=related)

    def add(self, ticket_id: int, status: str, text: str, attachments: tuple[Attachment, ...],
            event_id: str | None, *, reopened: bool = False,
            previous: datetime | None = None) -> None:
        """Add a message to an active ticket (status: as it stands before the message;
        previous: the customer's last message in it, when known)."""
        conv = self.conv
        now = conv.turn.now
        message_id = conv.tx.add_message(
            ticket_id=ticket_id, author_kind=AuthorKind.CUSTOMER,
            author_id=str(conv.customer.id), author_name=conv.customer.display_name,
            body=text, attachments_json=attachments_to_json(attachments), event_id=event_id,
            now=now,
        )
        waiting = conv.tx.ticket(ticket_id) if status == Status.WAITING else None
        if waiting is not None:
            conv.turn.set_status(waiting, Status.OPEN, conv.actor)
        conv.tx.customer_wrote(ticket_id, now)
        conv.turn.tell_desk(ticket_id, DeskEvent.CUSTOMER_MESSAGE, message_id=message_id)
        if reopened:
            conv.say(Text("ticket-reopened-by-reply", {"id": ticket_id}), ticket_id=ticket_id)
        elif previous is None or now - previous >= conv.config.follow_up_quiet:
            # A customer often writes in bursts of short lines: the first is confirmed, the
            # rest go in silently. Ten confirmations of ten lines are noise, and on Telegram
            # each would take the chat's one message a second ahead of an agent's reply.
            conv.say(Text("follow-up-added", {"id": ticket_id}), ticket_id=ticket_id)

    def pick(self, arg: str) -> None:
        conv = self.conv
        text = conv.data.get("text", "")
        files = conv.data.get("attachments", [])
        if arg == "new":
            self.intake.start(prefill={"description": text} if text else {}, attachments=files)
            return
        ticket = conv.own_ticket(parse_number(arg))
        if ticket is None or not Status(ticket.status).is_active:
            conv.say(Text("ticket-not-found", {"id": arg}), buttons=conv.buttons())
            return
        conv.set_state(None)
        self.add(ticket.id, ticket.status, text, tuple(attachment_from_dict(a) for a in files),
                 None)

    def keep(self, text: str, attachment: Attachment | None) -> None:
        """More words or files while the customer is choosing the ticket: keep them all."""
        data = self.conv.data
        if text:
            data["text"] = f"{data.get('text', '')}\n{text}".strip()
        if attachment is not None:
            data.setdefault("attachments", []).append(attachment_to_dict(attachment))
        self.conv.set_state(PICK_TICKET, data)
        self.conv.reprompt()

    def prompt(self, state: str) -> tuple[Text, ...] | None:
        return (Text("follow-up-pick"),) if state == PICK_TICKET else None

    def buttons(self, state: str) -> tuple[Button, ...] | None:
        if state != PICK_TICKET:
            return None
        conv = self.conv
        active = conv.tx.customer_tickets(conv.customer.id, active_only=True, limit=5)
        return (*(Button(Text("button-ticket", {"id": t.id, "subject": shorten(t.subject, 30)}),
                         f"fu:{t.id}") for t in active),
                Button(Text("button-new-ticket"), "fu:new"))
