"""Read models for the agents' desk: a ticket with everything a desk shows about it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.actions import attachments_from_json
from bot.events import Attachment
from bot.i18n import resolve_language
from storage.records import CustomerRecord, MessageRecord, TicketEventRecord, TicketRecord
from storage.store import Store


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: TicketRecord
    customer: CustomerRecord
    customer_language: str
    messages: tuple[MessageRecord, ...]
    events: tuple[TicketEventRecord, ...]

    @property
    def description(self) -> str:
        first = self.messages[0] if self.messages else None
        return first.body if first is not None and first.author_kind == "customer" else ""

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(a for m in self.messages for a in attachments_from_json(m.attachments))


async def load_ticket_view(store: Store, ticket_id: int, *,
                           default_language: str = "pl") -> TicketView | None:
    ticket = await store.ticket(ticket_id)
    if ticket is None:
        return None
    customer = await store.customer(ticket.customer_id)
    if customer is None:
        return None
    return TicketView(
        ticket=ticket,
        customer=customer,
        customer_language=resolve_language(customer.language, customer.locale,
                                           default_language),
        messages=tuple(await store.ticket_messages(ticket_id)),
        events=tuple(await store.ticket_events(ticket_id)),
    )
