"""A customer's privacy request from the chat (GDPR / RODO): a copy of their data, or erasure.

The bot does not export or erase on the spot: the person writing may not be the person whose
data it is (a shared phone, a taken-over account), and erasure cannot be undone. It records
the request where agents work, on a ticket with a desk alert that names the admin command to
run (``supportbot customer export|forget``), and confirms to the customer. Called by the
customer flow inside the event's transaction, like every other conversation step.
"""

from __future__ import annotations

from datetime import datetime

from bot.actions import Button, DeskEvent, Text
from bot.model import AuthorKind, Priority, Status
from bot.timers import OVERDUE
from bot.turn import Actor, Turn
from storage.records import CustomerRecord, TicketRecord

EXPORT = "export"
ERASE = "erase"
KINDS = (EXPORT, ERASE)
PRIVACY_CATEGORY = "privacy"
REQUEST_EVENT = "privacy_request"  # a ticket event; its new_value is the kind
BUTTON_PREFIX = "privacy:"  # button data: privacy:export, privacy:erase
# What the admin runs for each kind (shown to the agents in the desk alert).
ADMIN_COMMANDS = {EXPORT: "export", ERASE: "forget"}
# Stored text, not a message key: the ticket list shows subjects as written, and agents and
# customers read this one in either language.
SUBJECTS = {EXPORT: "RODO/GDPR: kopia danych / data export",
            ERASE: "RODO/GDPR: usunięcie danych / erasure"}
# Words a customer may type after the command (/privacy export, /dane usuń...).
_ALIASES = {
    EXPORT: EXPORT, "eksport": EXPORT, "kopia": EXPORT, "dane": EXPORT, "copy": EXPORT,
    "data": EXPORT, ERASE: ERASE, "forget": ERASE, "delete": ERASE, "usun": ERASE,
    "usuń": ERASE, "zapomnij": ERASE,
}


def parse_kind(argument: str) -> str | None:
    """The request kind a typed argument names, or None when it names none."""
    return _ALIASES.get(argument.strip().lower())


def privacy_buttons() -> tuple[Button, ...]:
    return (Button(Text("privacy-button-export"), f"{BUTTON_PREFIX}{EXPORT}"),
            Button(Text("privacy-button-erase"), f"{BUTTON_PREFIX}{ERASE}"))


def offer_privacy_options(turn: Turn, customer: CustomerRecord, language: str) -> None:
    """Explain what the customer can ask for, with a button for each."""
    turn.say(customer, language, Text("privacy-options"), buttons=privacy_buttons())


def request_privacy(
    turn: Turn,
    customer: CustomerRecord,
    language: str,
    kind: str,
    *,
    first_response_due: datetime | None = None,
) -> None:
    """Record a privacy request for the agents and confirm it to the customer.

    It goes on the customer's newest active ticket, with a desk alert; with no active ticket
    it opens one in the "privacy" category (an alert on a closed ticket is easily missed).
    Asking again while the same request is pending only repeats the confirmation.
    ``first_response_due`` (from the response policy) makes a new ticket count as overdue
    like any other.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown privacy request kind {kind!r}")
    tx = turn.tx
    active = tx.customer_tickets(customer.id, active_only=True)
    pending = _pending_request(turn, active, kind)
    if pending is not None:
        turn.say(customer, language, Text("privacy-request-already", {
            "id": pending.id, "kind": Text(f"privacy-kind-{kind}")}), ticket_id=pending.id)
        return
    actor = Actor(AuthorKind.CUSTOMER, str(customer.id), customer.display_name)
    if active:
        ticket = active[0]  # newest first
    else:
        ticket_id = tx.insert_ticket(
            customer_id=customer.id, category=PRIVACY_CATEGORY, subject=SUBJECTS[kind],
            fields={}, status=Status.NEW, priority=Priority.NORMAL,
            first_response_due=first_response_due, now=turn.now)
        created = tx.ticket(ticket_id)
        assert created is not None
        ticket = created
        turn.record(ticket, actor, "created", None, Status.NEW)
        if first_response_due is not None:
            tx.add_timer(ticket.id, OVERDUE, first_response_due, turn.now)
        turn.tell_desk(ticket.id, DeskEvent.CREATED)
    turn.record(ticket, actor, REQUEST_EVENT, None, kind)
    turn.tell_desk(ticket.id, DeskEvent.ALERT, text=Text("desk-privacy-request", {
        "id": ticket.id,
        "kind": Text(f"desk-privacy-kind-{kind}"),
        # A string, so a customer number of 1000 or more is not grouped ("1 000") and the
        # command can be copied as shown.
        "customer": str(customer.id),
        "platform": customer.platform,
        "command": ADMIN_COMMANDS[kind],
    }))
    turn.say(customer, language, Text("privacy-request-recorded", {
        "id": ticket.id, "kind": Text(f"privacy-kind-{kind}")}), ticket_id=ticket.id)


def _pending_request(turn: Turn, active: list[TicketRecord], kind: str) -> TicketRecord | None:
    for ticket in active:
        if any(e.kind == REQUEST_EVENT and e.new_value == kind
               for e in turn.tx.ticket_events(ticket.id)):
            return ticket
    return None
