"""What the store's single writer remembers between write batches.

Every customer event reads the same three things before it writes anything: the customer's
row, where their conversation stands, and their active tickets. Those reads were a third of
an event's SQL. This process has one writer and it is the only code that changes these rows
through ``Tx``, so it can remember what it read and wrote, with three ways to go stale and a
rule for each:

* another program commits to the file (a CLI command, a restore): ``PRAGMA data_version``
  changes, checked at the start of every batch, and everything is forgotten;
* an event rolls back (its savepoint, or the whole batch): what it changed is forgotten;
* the store's own raw-SQL modules (privacy erasure) take the connection: everything is
  forgotten.

Each map is bounded: when it is full it is emptied, and refills from the store as events come.
8,192 customers cost about 10 MB (5,000 customers writing in turn, as in the latency benchmark,
never hit a cache of 4,096); a larger crowd only means more reads, never a wrong answer.
"""

from __future__ import annotations

from datetime import datetime

from storage.records import ActiveTicket, CustomerRecord

_Identity = tuple[str, str]  # (platform, platform user id)
ActiveTickets = tuple[ActiveTicket, ...]  # a customer's active tickets, newest first

# A customer's active tickets are remembered only when the query found fewer than this many:
# then the list is complete, and any shorter LIMIT can be answered from it.
ACTIVE_KEPT = 16


class WriterCache:
    __slots__ = (
        "active",
        "active_owner",
        "capacity",
        "conversations",
        "customers",
        "data_version",
        "identities",
        "next_ids",
    )

    def __init__(self, capacity: int = 8192) -> None:
        self.capacity = capacity
        self.customers: dict[_Identity, CustomerRecord] = {}
        self.identities: dict[int, _Identity] = {}  # customer id -> identity
        # customer id -> (state, data as stored JSON) or None for "no conversation row"; the
        # text, not the dict, so each reader gets a fresh dict it may change.
        self.conversations: dict[int, tuple[str, str] | None] = {}
        self.active: dict[int, ActiveTickets] = {}  # customer id -> active tickets
        self.active_owner: dict[int, int] = {}  # ticket id in ``active`` -> its customer id
        self.data_version: int | None = None
        # table -> the id its next held-back row gets (storage/tx.py); forgotten whenever
        # anything else may have added a row: another program, a rollback, a careful run.
        self.next_ids: dict[str, int] = {}

    def clear(self) -> None:
        self.customers.clear()
        self.identities.clear()
        self.conversations.clear()
        self.active.clear()
        self.active_owner.clear()
        self.next_ids.clear()

    # -- customers -----------------------------------------------------------------------------
    def customer(self, platform: str, user_id: str) -> CustomerRecord | None:
        return self.customers.get((platform, user_id))

    def customer_by_id(self, customer_id: int) -> CustomerRecord | None:
        identity = self.identities.get(customer_id)
        return self.customers.get(identity) if identity is not None else None

    def keep_customer(self, customer: CustomerRecord) -> None:
        if len(self.customers) >= self.capacity:
            self.customers.clear()
            self.identities.clear()
        identity = (customer.platform, customer.platform_user_id)
        self.customers[identity] = customer
        self.identities[customer.id] = identity

    def forget_customer(self, customer_id: int) -> None:
        identity = self.identities.pop(customer_id, None)
        if identity is not None:
            self.customers.pop(identity, None)

    # -- conversations -------------------------------------------------------------------------
    def keep_conversation(self, customer_id: int, state_and_data: tuple[str, str] | None
                          ) -> None:
        if len(self.conversations) >= self.capacity:
            self.conversations.clear()
        self.conversations[customer_id] = state_and_data

    # -- active tickets ------------------------------------------------------------------------
    def keep_active(self, customer_id: int, tickets: ActiveTickets) -> None:
        if len(self.active) >= self.capacity:
            self.active.clear()
            self.active_owner.clear()
        self.forget_active(customer_id)
        self.active[customer_id] = tickets
        for ticket in tickets:
            self.active_owner[ticket.id] = customer_id

    def forget_active(self, customer_id: int) -> None:
        for ticket in self.active.pop(customer_id, ()):
            self.active_owner.pop(ticket.id, None)

    def customer_wrote(self, ticket_id: int, moment: datetime) -> None:
        owner = self.active_owner.get(ticket_id)
        if owner is not None:
            self.active[owner] = tuple(
                ActiveTicket(ticket.id, ticket.status, moment) if ticket.id == ticket_id
                else ticket for ticket in self.active[owner])
