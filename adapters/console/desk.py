"""The agents' desk as printed lines, for the console channel."""

from __future__ import annotations

from bot.actions import DeskEvent, DeskNotice, Text, attachments_from_json
from bot.i18n import Translator
from bot.labels import category_text, field_label, priority_text, status_text
from bot.model import ACTIVE_STATUSES
from bot.views import TicketView, load_ticket_view
from storage.records import MessageRecord
from storage.store import Store


class ConsoleDesk:
    def __init__(self, translator: Translator, store: Store, language: str) -> None:
        self.translator = translator
        self.store = store
        self.language = language

    def t(self, key: str, **params: object) -> str:
        return self.translator.render(Text(key, params), self.language)  # type: ignore[arg-type]

    def usage(self) -> str:
        return self.t("desk-usage")

    async def render(self, notice: DeskNotice) -> list[str]:
        if notice.event is DeskEvent.DELIVERED:
            return []  # in one terminal the agent sees the customer's copy already
        if notice.event in (DeskEvent.ALERT, DeskEvent.DELIVERY_FAILED) and notice.text:
            return [self.t("desk-alert", id=notice.ticket_id,
                           text=self.translator.render(notice.text, self.language))]
        view = await load_ticket_view(self.store, notice.ticket_id)
        if view is None:
            return [self.t("desk-no-such-ticket", id=notice.ticket_id)]
        if notice.event is DeskEvent.CREATED:
            return self.created(view)
        if notice.message_id is not None:
            message = next((m for m in view.messages if m.id == notice.message_id), None)
            if message is not None:
                return [self.message_line(view, message)]
        lines = [self.updated(view)]
        if notice.text is not None:
            lines.append(self.translator.render(notice.text, self.language))
        return lines

    def created(self, view: TicketView) -> list[str]:
        ticket = view.ticket
        lines = [self.t(
            "desk-created", id=ticket.id, category=category_text(ticket.category),
            priority=priority_text(ticket.priority), customer=view.customer.display_name,
            platform=view.customer.platform, language=view.customer_language,
            subject=ticket.subject, due=ticket.first_response_due,
        )]
        if view.description:
            lines.append(self.t("desk-field", label=field_label("description"),
                                value=view.description))
        lines += [self.t("desk-field", label=field_label(name), value=value)
                  for name, value in ticket.fields.items()]
        for attachment in view.attachments:
            lines.append(f"📎 {attachment.name or attachment.file_ref}")
        return lines

    def message_line(self, view: TicketView, message: MessageRecord) -> str:
        files = len(attachments_from_json(message.attachments))
        if message.author_kind == "customer":
            return self.t("desk-customer-message", id=view.ticket.id,
                          name=view.customer.display_name, text=message.body, files=files)
        key = "desk-note" if message.internal else "desk-agent-message"
        return self.t(key, id=view.ticket.id, name=message.author_name, text=message.body)

    def updated(self, view: TicketView) -> str:
        ticket = view.ticket
        return self.t("desk-updated", id=ticket.id, status=status_text(ticket.status),
                      priority=priority_text(ticket.priority),
                      assignee=ticket.assignee_name or Text("desk-unassigned"))

    async def ticket_list(self) -> list[str]:
        tickets = await self.store.list_tickets(statuses=[s.value for s in ACTIVE_STATUSES])
        if not tickets:
            return [self.t("desk-no-tickets")]
        lines = []
        for ticket in tickets:
            customer = await self.store.customer(ticket.customer_id)
            lines.append(self.t("desk-ticket-line", id=ticket.id,
                                priority=priority_text(ticket.priority),
                                status=status_text(ticket.status), subject=ticket.subject,
                                customer=customer.display_name if customer else "?"))
        return lines

    async def ticket_details(self, ticket_id: int) -> list[str]:
        view = await load_ticket_view(self.store, ticket_id)
        if view is None:
            return [self.t("desk-no-such-ticket", id=ticket_id)]
        return [*self.created(view), self.updated(view),
                *(self.message_line(view, m) for m in view.messages[1:])]
