"""A customer's tickets: the list (newest first, paged), one ticket with its history, and
closing or reopening their own."""

from __future__ import annotations

from datetime import datetime

from bot.actions import Button, DeskEvent, Text, attachments_from_json
from bot.conversation import Conversation, parse_number
from bot.feedback import may_remind
from bot.labels import category_text, status_text
from bot.model import AuthorKind, Status
from bot.text import shorten
from storage.records import TicketRecord

HISTORY_LIMIT = 10


class TicketViews:
    def __init__(self, conv: Conversation) -> None:
        self.conv = conv

    def show(self, argument: str) -> None:
        conv = self.conv
        number = parse_number(argument)
        if number is None:
            active = conv.tx.customer_tickets(conv.customer.id, active_only=True, limit=2)
            if len(active) != 1:
                self.show_list(page=1)
                return
            number = active[0].id
        ticket = conv.own_ticket(number)
        if ticket is None:
            conv.not_found(argument)
            return
        texts = [Text("ticket-status", {
            "id": ticket.id, "subject": ticket.subject, "status": status_text(ticket.status),
            "category": category_text(ticket.category), "created": ticket.created_at,
        })]
        if ticket.status in (Status.NEW, Status.OPEN) and ticket.first_response_at is None \
                and ticket.first_response_due is not None:
            texts.append(Text("ticket-expect-answer",
                              {"due": conv.local(ticket.first_response_due)}))
        texts.extend(self.history(ticket))
        buttons = [Button(Text("button-my-tickets"), "m:tickets")]
        if may_remind(ticket, conv.turn.now):
            buttons.insert(0, Button(Text("button-remind"), f"remind:{ticket.id}"))
        if Status(ticket.status).is_active:
            buttons.insert(0, Button(Text("button-close-ticket"), f"close:{ticket.id}"))
        else:
            buttons.insert(0, Button(Text("button-reopen-ticket"), f"reopen:{ticket.id}"))
        conv.say(*texts, buttons=tuple(buttons), ticket_id=ticket.id)

    def history(self, ticket: TicketRecord) -> list[Text]:
        """What the customer may see of a ticket's life: messages and status changes."""
        config = self.conv.config
        messages, events, total = self.conv.tx.visible_history(ticket.id, HISTORY_LIMIT)
        entries: list[tuple[datetime, int, Text]] = []
        for message in messages:
            body = shorten(message.body, 500) if message.body else ""
            if message.author_kind == AuthorKind.AGENT:
                name = message.author_name if config.show_agent_names and message.author_name \
                    else config.team_name
                entries.append((message.created_at, message.id, Text("history-agent", {
                    "at": message.created_at, "text": body, "name": name,
                })))
            else:
                files = len(attachments_from_json(message.attachments))
                entries.append((message.created_at, message.id, Text("history-customer", {
                    "at": message.created_at, "text": body, "files": files,
                })))
        for event in events:
            if event.new_value:
                entries.append((event.created_at, event.id, Text("history-status", {
                    "at": event.created_at, "status": status_text(event.new_value),
                })))
        entries.sort(key=lambda e: (e[0], e[1]))
        shown = [text for _, _, text in entries[-HISTORY_LIMIT:]]
        if total > len(shown):
            shown.insert(0, Text("history-more", {"count": total - len(shown)}))
        return [Text("history-title"), *shown] if shown else []

    def show_list(self, *, page: int) -> None:
        conv = self.conv
        size = conv.config.tickets_page_size
        total = conv.tx.count_customer_tickets(conv.customer.id)
        if total == 0:
            conv.say(Text("tickets-none"), buttons=(Button(Text("button-new-ticket"), "m:new"),))
            return
        pages = (total + size - 1) // size
        page = min(max(page, 1), pages)
        tickets = conv.tx.customer_tickets(conv.customer.id, limit=size,
                                           offset=(page - 1) * size)
        texts = [Text("tickets-header", {"count": total, "page": page, "pages": pages})]
        texts += [Text("tickets-line", {
            "id": t.id, "subject": shorten(t.subject, 60), "status": status_text(t.status),
            "updated": t.updated_at,
        }) for t in tickets]
        buttons = [Button(Text("button-ticket", {"id": t.id, "subject": shorten(t.subject, 30)}),
                          f"t:{t.id}") for t in tickets]
        if page > 1:
            buttons.append(Button(Text("button-previous"), f"tl:{page - 1}"))
        if page < pages:
            buttons.append(Button(Text("button-next"), f"tl:{page + 1}"))
        conv.say(*texts, buttons=tuple(buttons))

    def close(self, number: int | None) -> None:
        conv = self.conv
        ticket = conv.own_ticket(number)
        if ticket is None:
            conv.not_found(number)
            return
        if ticket.status == Status.CLOSED:
            conv.say(Text("ticket-already-closed", {"id": ticket.id}),
                     buttons=conv.menu_buttons())
            return
        conv.turn.set_status(ticket, Status.CLOSED, conv.actor)
        conv.turn.tell_desk(ticket.id, DeskEvent.UPDATED,
                            text=Text("desk-customer-closed", {"id": ticket.id}))
        conv.say(Text("ticket-closed-by-you", {"id": ticket.id}),
                 buttons=(Button(Text("button-reopen-ticket"), f"reopen:{ticket.id}"),),
                 ticket_id=ticket.id)

    def reopen(self, number: int | None) -> None:
        conv = self.conv
        ticket = conv.own_ticket(number)
        if ticket is None:
            conv.not_found(number)
            return
        if Status(ticket.status).is_active:
            conv.say(Text("ticket-still-open", {"id": ticket.id}), buttons=conv.menu_buttons())
            return
        conv.turn.set_status(ticket, Status.OPEN, conv.actor)
        conv.turn.tell_desk(ticket.id, DeskEvent.UPDATED,
                            text=Text("desk-customer-reopened", {"id": ticket.id}))
        conv.say(Text("ticket-reopened-by-you", {"id": ticket.id}), ticket_id=ticket.id)
