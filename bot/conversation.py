"""One customer's side of one event: who they are, their language, where they stand.

The steps of a conversation (intake, self-service, follow-ups, ticket views, feedback) share
this object. Its state and data are a row in the store, saved in the event's transaction.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.actions import Button, Text
from bot.config import EngineConfig
from bot.model import AuthorKind
from bot.turn import Actor, Turn
from storage.records import CustomerRecord, TicketRecord

log = logging.getLogger(__name__)


class Step(Protocol):
    """A part of the conversation that knows how to remind a customer of its states."""

    def prompt(self, state: str) -> tuple[Text, ...] | None: ...

    def buttons(self, state: str) -> tuple[Button, ...] | None: ...


def parse_number(text: str | int | None) -> int | None:
    """A positive number a person or a button gave, or None (SQLite ints stop at 2**63)."""
    try:
        number = text if isinstance(text, int) else int(str(text).strip().lstrip("#"))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


class Conversation:
    def __init__(self, config: EngineConfig, turn: Turn, customer: CustomerRecord,
                 language: str) -> None:
        self.config = config
        self.turn = turn
        self.tx = turn.tx
        self.customer = customer
        self.lang = language
        self.actor = Actor(AuthorKind.CUSTOMER, str(customer.id), customer.display_name)
        record = self.tx.conversation(customer.id)
        self.state: str | None = record.state if record else None
        self.data: dict[str, Any] = record.data if record else {}
        self.steps: list[Step] = []

    # -- saying things -------------------------------------------------------------------------
    def say(self, *texts: Text, buttons: tuple[Button, ...] = (),
            ticket_id: int | None = None) -> None:
        self.turn.say(self.customer, self.lang, *texts, buttons=buttons, ticket_id=ticket_id)

    def reprompt(self, *before: Text) -> None:
        """Say something, then remind the customer of the step they are on."""
        self.say(*before, *self.prompt(), buttons=self.buttons())

    def menu_buttons(self) -> tuple[Button, ...]:
        return (
            Button(Text("button-new-ticket"), "m:new"),
            Button(Text("button-my-tickets"), "m:tickets"),
            Button(Text("button-articles"), "m:articles"),
            Button(Text("button-language"), "m:lang"),
        )

    def prompt(self) -> tuple[Text, ...]:
        """Texts that remind the customer of the step they are on (none when idle)."""
        if self.state is not None:
            for step in self.steps:
                texts = step.prompt(self.state)
                if texts is not None:
                    return texts
        return ()

    def buttons(self) -> tuple[Button, ...]:
        if self.state is not None:
            for step in self.steps:
                buttons = step.buttons(self.state)
                if buttons is not None:
                    return buttons
        return ()

    # -- state ---------------------------------------------------------------------------------
    def set_state(self, state: str | None, data: dict[str, Any] | None = None) -> None:
        self.state, self.data = state, data if data is not None else {}
        if state is None:
            self.tx.clear_conversation(self.customer.id)
        else:
            self.tx.save_conversation(self.customer.id, state, self.data, self.turn.now)

    # -- the customer's world ------------------------------------------------------------------
    def own_ticket(self, ticket_id: int | None) -> TicketRecord | None:
        """A ticket of this customer; someone else's number is treated as a missing one."""
        if ticket_id is None:
            return None
        ticket = self.tx.ticket(ticket_id)
        if ticket is not None and ticket.customer_id != self.customer.id:
            # Answered exactly like a missing number; logged for whoever watches for probing.
            log.warning("customer %s asked for ticket #%s, which is another customer's: "
                        "answered as not found", self.customer.id, ticket_id)
            return None
        return ticket

    def local(self, moment: datetime) -> datetime:
        """A time as the customer's clock shows it, when their app tells us their zone."""
        if self.customer.timezone:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                return moment.astimezone(ZoneInfo(self.customer.timezone))
        return moment

    def not_found(self, number: int | str | None) -> None:
        self.say(Text("ticket-not-found", {"id": number or "?"}), buttons=self.menu_buttons())
