"""The agents' side: replies, notes and actions on a ticket, whatever desk they come from.

Every change is recorded with who and when, shown on the desk, and told to the customer in
the customer's own language.
"""

from __future__ import annotations

from dataclasses import replace

from bot.actions import (
    Button,
    CustomerMessage,
    DeleteCustomerMessage,
    DeskEvent,
    EditCustomerMessage,
    Text,
    attachments_to_json,
    from_json,
    to_json,
)
from bot.config import EngineConfig
from bot.events import (
    AgentAction,
    AgentAvailability,
    AgentDelete,
    AgentEdit,
    AgentEvent,
    AgentNote,
    AgentReply,
    Attachment,
)
from bot.i18n import resolve_language
from bot.labels import priority_text, status_text
from bot.model import ALLOWED_TRANSITIONS, AgentOp, AuthorKind, Priority, Status
from bot.text import clean_text
from bot.timers import AUTO_CLOSE
from bot.turn import Actor, Turn
from storage.records import CustomerRecord, TicketRecord

# The status each action moves a ticket to.
_TARGET_STATUS = {
    AgentOp.ASK_INFO: Status.WAITING,
    AgentOp.RESOLVE: Status.RESOLVED,
    AgentOp.REOPEN: Status.OPEN,
    AgentOp.CLOSE: Status.CLOSED,
}


class AgentDesk:
    def __init__(self, config: EngineConfig, turn: Turn) -> None:
        self.config = config
        self.turn = turn
        self.tx = turn.tx

    def handle(self, event: AgentEvent) -> None:
        self.tx.upsert_agent(event.agent.user_id, event.agent.name)
        if isinstance(event, AgentAvailability):
            self.tx.set_agent_available(event.agent.user_id, event.available)
            return
        ticket = self.tx.ticket(event.ticket_id)
        if ticket is None:
            self.turn.tell_desk(event.ticket_id, DeskEvent.ALERT,
                                text=Text("desk-no-such-ticket", {"id": event.ticket_id}))
            return
        actor = Actor(AuthorKind.AGENT, event.agent.user_id, event.agent.name)
        match event:
            case AgentReply():
                self.reply(ticket, actor, clean_text(event.text), event.event_id,
                           event.attachments)
            case AgentNote():
                self.note(ticket, actor, clean_text(event.text), event.event_id)
            case AgentAction():
                self.act(ticket, actor, event.op, clean_text(event.value), event.event_id)
            case AgentEdit() | AgentDelete():
                self.edit(ticket, actor, event)

    # -- the customer ----------------------------------------------------------------------------
    def customer_of(self, ticket: TicketRecord) -> tuple[CustomerRecord, str]:
        customer = self.tx.customer(ticket.customer_id)
        assert customer is not None  # tickets reference customers by foreign key
        language = resolve_language(customer.language, customer.locale,
                                    self.config.default_language)
        return customer, language

    def shown_name(self, actor: Actor) -> str:
        return actor.name if self.config.show_agent_names and actor.name \
            else self.config.team_name

    def refuse(self, ticket: TicketRecord, key: str, **params: str | int | Text) -> None:
        self.turn.tell_desk(ticket.id, DeskEvent.ALERT, text=Text(key, params))

    # -- replies and notes -----------------------------------------------------------------------
    def reply(self, ticket: TicketRecord, actor: Actor, text: str, event_id: str,
              attachments: tuple[Attachment, ...] = ()) -> None:
        if not text and not attachments:
            self.refuse(ticket, "desk-empty-reply", id=ticket.id)
            return
        message_id = self.tx.add_message(
            ticket_id=ticket.id, author_kind=AuthorKind.AGENT, author_id=actor.id,
            author_name=actor.name, body=text,
            attachments_json=attachments_to_json(attachments),
            event_id=event_id, now=self.turn.now,
        )
        self.mark_first_response(ticket)
        if ticket.status in (Status.NEW, Status.WAITING):
            self.turn.set_status(ticket, Status.OPEN, actor)
        customer, language = self.customer_of(ticket)
        self.turn.say(customer, language, self.reply_text(ticket, actor, text),
                      attachments=attachments, ticket_id=ticket.id,
                      message_id=message_id)
        self.turn.tell_desk(ticket.id, DeskEvent.AGENT_MESSAGE, message_id=message_id)

    def reply_text(self, ticket: TicketRecord, actor: Actor, text: str) -> Text:
        return Text("agent-reply", {"id": ticket.id, "name": self.shown_name(actor),
                                    "text": text})

    def edit(self, ticket: TicketRecord, actor: Actor, event: AgentEdit | AgentDelete) -> None:
        """Apply an agent's change to a reply: to what is queued, or to what was received."""
        message = self.tx.message_by_event(ticket.id, event.original_event_id)
        if message is None or message.author_kind != AuthorKind.AGENT:
            return  # an edit of something never relayed (a note, a desk command): nothing to do
        if message.internal and isinstance(event, AgentEdit):
            self.tx.update_message(message.id, body=clean_text(event.text))
            return
        if self.turn.now - message.created_at > self.config.agent_edit_window:
            self.refuse(ticket, "desk-edit-too-late", id=ticket.id,
                        minutes=int(self.config.agent_edit_window.total_seconds() // 60))
            return
        customer, language = self.customer_of(ticket)
        deleting = isinstance(event, AgentDelete)
        new_text = clean_text(event.text) if isinstance(event, AgentEdit) else ""
        self.turn.record(ticket, actor, "message_deleted" if deleting else "message_edited",
                         message.body, new_text or None)
        self.tx.update_message(message.id, body=None if deleting else new_text,
                               internal=True if deleting else None)
        for row in self.tx.relays_of(message.id):
            if row["delivered_at"] is None and row["failed_at"] is None:
                if deleting:
                    self.tx.cancel_outbox(row["id"], "withdrawn by the agent", self.turn.now)
                else:
                    original = from_json(row["payload"])
                    assert isinstance(original, CustomerMessage)
                    self.tx.replace_payload(row["id"], to_json(replace(
                        original, texts=(self.reply_text(ticket, actor, new_text),))))
            elif row["delivered_ref"] and row["failed_at"] is None:
                ref = str(row["delivered_ref"])
                if deleting:
                    self.turn.send(customer, DeleteCustomerMessage(
                        customer.platform, customer.chat_id, ref, ticket.id, message.id))
                else:
                    self.turn.send(customer, EditCustomerMessage(
                        customer.platform, customer.chat_id, language, ref,
                        (self.reply_text(ticket, actor, new_text),), ticket.id, message.id))

    def note(self, ticket: TicketRecord, actor: Actor, text: str, event_id: str) -> None:
        if not text:
            self.refuse(ticket, "desk-empty-reply", id=ticket.id)
            return
        message_id = self.tx.add_message(
            ticket_id=ticket.id, author_kind=AuthorKind.AGENT, author_id=actor.id,
            author_name=actor.name, body=text, internal=True, event_id=event_id,
            now=self.turn.now,
        )
        self.turn.tell_desk(ticket.id, DeskEvent.NOTE, message_id=message_id)

    def mark_first_response(self, ticket: TicketRecord) -> None:
        if ticket.first_response_at is None:
            self.tx.update_ticket(ticket.id, self.turn.now, first_response_at=self.turn.now)

    # -- actions ---------------------------------------------------------------------------------
    def act(self, ticket: TicketRecord, actor: Actor, op: AgentOp, value: str,
            event_id: str) -> None:
        match op:
            case AgentOp.CLAIM:
                self.assign(ticket, actor, actor.id, actor.name)
            case AgentOp.ASSIGN:
                if not value:
                    self.refuse(ticket, "desk-assign-needs-name", id=ticket.id)
                    return
                self.assign(ticket, actor, value, value)
            case AgentOp.RELEASE:
                self.assign(ticket, actor, None, None)
            case AgentOp.PRIORITY:
                self.set_priority(ticket, actor, value)
            case AgentOp.BLOCK | AgentOp.UNBLOCK:
                self.set_blocked(ticket, actor, op is AgentOp.BLOCK)
            case AgentOp.CANNED:
                self.canned(ticket, actor, value, event_id)
            case _:
                self.change_status(ticket, actor, _TARGET_STATUS[op], value)

    def canned(self, ticket: TicketRecord, actor: Actor, name: str, event_id: str) -> None:
        customer, language = self.customer_of(ticket)
        text = self.config.canned.render(name, language, {
            "customer_name": customer.display_name, "ticket_id": ticket.id,
            "agent_name": self.shown_name(actor),
        })
        if text is None:
            self.refuse(ticket, "desk-unknown-canned", id=ticket.id, name=name,
                        names=", ".join(self.config.canned.names))
            return
        self.reply(ticket, actor, text, event_id)

    def assign(self, ticket: TicketRecord, actor: Actor, agent_id: str | None,
               agent_name: str | None) -> None:
        if ticket.assignee_id == agent_id:
            self.refuse(ticket, "desk-already-assigned", id=ticket.id,
                        name=agent_name or "-")
            return
        self.tx.update_ticket(ticket.id, self.turn.now, assignee_id=agent_id,
                              assignee_name=agent_name)
        self.turn.record(ticket, actor, "assignee", ticket.assignee_name, agent_name)
        if ticket.status == Status.NEW and agent_id is not None:
            self.turn.set_status(ticket, Status.OPEN, actor)
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED)
        if agent_id is not None:
            customer, language = self.customer_of(ticket)
            shown = agent_name if self.config.show_agent_names and agent_name \
                else self.config.team_name
            self.turn.say(customer, language,
                          Text("notice-assigned", {"id": ticket.id, "name": shown}),
                          ticket_id=ticket.id)

    def set_priority(self, ticket: TicketRecord, actor: Actor, value: str) -> None:
        try:
            priority = Priority(value.lower())
        except ValueError:
            self.refuse(ticket, "desk-bad-priority", id=ticket.id, value=value)
            return
        if priority == ticket.priority:
            return
        self.tx.update_ticket(ticket.id, self.turn.now, priority=priority.value)
        self.turn.record(ticket, actor, "priority", ticket.priority, priority.value)
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED)
        customer, language = self.customer_of(ticket)
        self.turn.say(customer, language, Text("notice-priority", {
            "id": ticket.id, "priority": priority_text(priority),
        }), ticket_id=ticket.id)

    def change_status(self, ticket: TicketRecord, actor: Actor, target: Status,
                      text: str) -> None:
        current = Status(ticket.status)
        if target not in ALLOWED_TRANSITIONS[current]:
            self.refuse(ticket, "desk-bad-transition", id=ticket.id,
                        current=status_text(current), target=status_text(target))
            return
        self.turn.set_status(ticket, target, actor)
        customer, language = self.customer_of(ticket)
        if target is Status.WAITING:
            if text:
                self.tx.add_message(ticket_id=ticket.id, author_kind=AuthorKind.AGENT,
                                    author_id=actor.id, author_name=actor.name, body=text,
                                    now=self.turn.now)
            self.mark_first_response(ticket)
            key = "notice-waiting-question" if text else "notice-waiting"
            self.turn.say(customer, language, Text(key, {
                "id": ticket.id, "name": self.shown_name(actor), "text": text,
            }), ticket_id=ticket.id)
        elif target is Status.RESOLVED:
            self.tx.add_timer(ticket.id, AUTO_CLOSE, self.turn.now + self.config.auto_close_after,
                              self.turn.now)
            stars = tuple(Button(Text("button-rate", {"stars": n}), f"rate:{ticket.id}:{n}")
                          for n in range(1, 6))
            self.turn.say(customer, language, Text("notice-resolved", {"id": ticket.id}),
                          Text("rating-ask"),
                          buttons=(*stars, Button(Text("button-reopen-ticket"),
                                                  f"reopen:{ticket.id}")),
                          ticket_id=ticket.id)
        elif target is Status.OPEN:
            self.turn.say(customer, language, Text("notice-reopened", {"id": ticket.id}),
                          ticket_id=ticket.id)
        else:
            self.turn.say(customer, language, Text("notice-closed", {"id": ticket.id}),
                          ticket_id=ticket.id)
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED)

    def set_blocked(self, ticket: TicketRecord, actor: Actor, blocked: bool) -> None:
        customer, language = self.customer_of(ticket)
        if customer.blocked == blocked:
            return
        self.tx.set_customer_blocked(customer.id, blocked)
        self.turn.record(ticket, actor, "blocked", str(customer.blocked).lower(),
                         str(blocked).lower())
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED)
        self.turn.say(customer, language, Text("notice-blocked" if blocked
                                               else "notice-unblocked"), ticket_id=ticket.id)
