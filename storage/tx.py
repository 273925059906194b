"""Synchronous access to the store inside one write transaction.

The engine applies a whole inbound event through one ``Tx`` in the writer thread: dedup row,
conversation step, ticket change and outbox rows commit together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from storage.records import (
    ActiveTicket,
    ConversationRecord,
    CustomerRecord,
    MessageRecord,
    TicketEventRecord,
    TicketRecord,
    TimerRecord,
    from_iso,
    json_text,
    to_iso,
)
from storage.writer_cache import ACTIVE_KEPT, WriterCache

PRIORITY_RANK_SQL = (
    "CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END"
)
ACTIVE_STATUSES_SQL = "('new', 'open', 'waiting')"

TICKET_BY_ID = "SELECT * FROM tickets WHERE id = ?"
CUSTOMER_BY_ID = "SELECT * FROM customers WHERE id = ?"
CUSTOMER_BY_IDENTITY = "SELECT * FROM customers WHERE platform = ? AND platform_user_id = ?"
MESSAGES_OF_TICKET = "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id"
EVENTS_OF_TICKET = "SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id"

# The rows every follow-up adds. In a batch's first try (see ``Tx.defer``) they are held back
# and written at the end, one ``executemany`` per table: a table's rows then go into its B-trees
# one after another instead of interleaved with five other tables' (about 40 % less SQLite time
# for these rows on this machine). The id column is given: ``None`` lets SQLite pick it.
_INSERT_MESSAGE = (
    "INSERT INTO ticket_messages (id, ticket_id, author_kind, author_id, author_name, "
    "internal, body, attachments, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_OUTBOX = (
    "INSERT INTO outbox (id, destination, recipient, ticket_id, message_id, payload, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
_CUSTOMER_WROTE = "UPDATE tickets SET customer_wrote_at = ?, updated_at = ? WHERE id = ?"
_CUSTOMER_RATE = ("UPDATE customers SET rate_tokens = ?, rate_updated_at = ?, throttled_at = ? "
                  "WHERE id = ?")

_TICKET_COLUMNS = frozenset({
    "category", "subject", "fields", "status", "priority", "assignee_id", "assignee_name",
    "first_response_due", "first_response_at", "resolved_at", "closed_at", "overdue_at",
    "escalated_at", "reminded_at", "rating", "rating_comment", "related_ticket_id",
})


def _sql_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, dict):
        return json_text(value)
    return value


class Tx:
    """One open write transaction; valid only inside ``Store.write``."""

    __slots__ = ("_cache", "_conn", "_held", "_messages", "_outbox", "_rates", "_touches",
                 "added_messages", "defer")

    def __init__(self, conn: sqlite3.Connection, cache: WriterCache, *,
                 defer: bool = False) -> None:
        self._conn = conn
        # The writer's memory of customers, conversations and active tickets (see
        # storage/writer_cache.py); every method here that changes them keeps it true.
        self._cache = cache
        # Hold back new messages, outbox rows, "the customer wrote" marks and fair-use tokens
        # until ``flush`` (ids are then given here, after the largest in the table). Any
        # statement that reads or changes those rows first writes what is held (``_synced``),
        # so nothing in the transaction ever sees them missing.
        self.defer = defer
        self._held = False
        self._messages: list[tuple[Any, ...]] = []
        self._outbox: list[tuple[Any, ...]] = []
        self._touches: list[tuple[Any, ...]] = []
        self._rates: list[tuple[Any, ...]] = []
        # Set when a message was inserted: the writer then indexes the batch's new messages.
        self.added_messages = False

    def flush(self) -> None:
        """Write the rows held back so far."""
        self._held = False
        for sql, rows in ((_INSERT_MESSAGE, self._messages), (_INSERT_OUTBOX, self._outbox),
                          (_CUSTOMER_WROTE, self._touches), (_CUSTOMER_RATE, self._rates)):
            if rows:
                self._conn.executemany(sql, rows)
                rows.clear()

    @property
    def _synced(self) -> sqlite3.Connection:
        """The connection, once the rows held back are written: for statements on tickets,
        their messages or the outbox."""
        if self._held:
            self.flush()
        return self._conn

    def _insert(self, table: str, sql: str, held: list[tuple[Any, ...]],
                values: tuple[Any, ...]) -> int:
        """Add a row, returning its id: held back with the id SQLite would give (the largest
        plus one) when deferring, written at once otherwise."""
        if not self.defer:
            cur = self._conn.execute(sql, (None, *values))
            assert cur.lastrowid is not None
            return cur.lastrowid
        next_ids = self._cache.next_ids
        row_id = next_ids.get(table)
        if row_id is None:
            # The writer holds the write lock, so nobody else adds a row meanwhile, and the
            # next id is remembered from batch to batch like the rest of the writer's cache.
            row_id = int(self._conn.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"
                                            ).fetchone()[0])
        next_ids[table] = row_id + 1
        held.append((row_id, *values))
        self._held = True
        return row_id

    def raw_connection(self) -> sqlite3.Connection:
        """The connection itself, for storage's own query modules (privacy, metrics). What they
        change is not tracked, so the writer's cache is forgotten."""
        self._cache.clear()
        return self._synced

    # -- inbound dedup -------------------------------------------------------------------------
    def mark_processed(self, event_id: str, now: datetime) -> bool:
        """Record an inbound event id; False when it was already processed."""
        cur = self._conn.execute(
            "INSERT OR IGNORE INTO processed_events (event_id, processed_at) VALUES (?, ?)",
            (event_id, to_iso(now)),
        )
        return cur.rowcount == 1

    def forget_processed(self, before: datetime, limit: int = 5000) -> int:
        """Drop dedup rows older than ``before`` (a bounded batch per call)."""
        cur = self._conn.execute(
            "DELETE FROM processed_events WHERE event_id IN (SELECT event_id FROM "
            "processed_events WHERE processed_at < ? LIMIT ?)",
            (to_iso(before), limit),
        )
        return cur.rowcount

    # -- customers -----------------------------------------------------------------------------
    def customer(self, customer_id: int) -> CustomerRecord | None:
        known = self._cache.customer_by_id(customer_id)
        if known is not None:
            return known
        row = self._synced.execute(CUSTOMER_BY_ID, (customer_id,)).fetchone()
        return self._keep_customer(row) if row else None

    def customer_by_identity(self, platform: str, user_id: str) -> CustomerRecord | None:
        known = self._cache.customer(platform, user_id)
        if known is not None:
            return known
        row = self._synced.execute(CUSTOMER_BY_IDENTITY, (platform, user_id)).fetchone()
        return self._keep_customer(row) if row else None

    def _keep_customer(self, row: sqlite3.Row) -> CustomerRecord:
        customer = CustomerRecord.from_row(row)
        self._cache.keep_customer(customer)
        return customer

    def upsert_customer(
        self,
        *,
        platform: str,
        user_id: str,
        chat_id: str,
        display_name: str,
        locale: str | None,
        now: datetime,
        timezone: str | None = None,
    ) -> CustomerRecord:
        """The customer behind an event, created on first contact and kept up to date (an
        empty name or a missing locale or time zone never erases a known one)."""
        # Read first: the row rarely changes, and an upsert would rewrite it every event.
        customer = self.customer_by_identity(platform, user_id)
        if customer is None:
            return self._keep_customer(self._conn.execute(
                "INSERT INTO customers (platform, platform_user_id, chat_id, display_name, "
                "locale, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (platform, user_id, chat_id, display_name, locale, timezone, to_iso(now)),
            ).fetchone())
        known = (customer.chat_id, customer.display_name, customer.locale, customer.timezone)
        wanted = (chat_id, display_name or known[1], locale or known[2], timezone or known[3])
        if wanted == known:
            return customer
        return self._keep_customer(self._synced.execute(
            "UPDATE customers SET chat_id = ?, display_name = ?, locale = ?, timezone = ? "
            "WHERE id = ? RETURNING *", (*wanted, customer.id)).fetchone())

    def set_customer_language(self, customer_id: int, language: str) -> None:
        self._conn.execute(
            "UPDATE customers SET language = ? WHERE id = ?", (language, customer_id)
        )
        self._cache.forget_customer(customer_id)

    def set_customer_blocked(self, customer_id: int, blocked: bool) -> None:
        self._conn.execute(
            "UPDATE customers SET blocked = ? WHERE id = ?", (int(blocked), customer_id)
        )
        self._cache.forget_customer(customer_id)

    def set_customer_rate(self, customer_id: int, tokens: float, updated_at: datetime,
                          throttled_at: datetime | None) -> None:
        updated_text = to_iso(updated_at)
        throttled_text = to_iso(throttled_at) if throttled_at else None
        row = (tokens, updated_text, throttled_text, customer_id)
        if self.defer:
            self._rates.append(row)
            self._held = True
        else:
            self._conn.execute(_CUSTOMER_RATE, row)
        known = self._cache.customer_by_id(customer_id)
        if known is not None:
            # Every message changes these, so the remembered row is brought up to date (as
            # the store would read it back) rather than read again next time.
            self._cache.keep_customer(CustomerRecord(
                known.id, known.platform, known.platform_user_id, known.chat_id,
                known.display_name, known.locale, known.language, known.blocked,
                known.created_at, tokens, updated_at.astimezone(UTC),
                throttled_at.astimezone(UTC) if throttled_at else None, known.timezone))

    def count_active_tickets(self, customer_id: int) -> int:
        row = self._conn.execute(
            f"SELECT COUNT(*) FROM tickets WHERE customer_id = ? AND status IN "
            f"{ACTIVE_STATUSES_SQL}",
            (customer_id,),
        ).fetchone()
        return int(row[0])

    def hold_message(self, customer_id: int, body: str, attachments_json: str,
                     event_id: str | None, now: datetime) -> None:
        self._conn.execute(
            "INSERT INTO held_messages (customer_id, body, attachments, event_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (customer_id, body, attachments_json, event_id, to_iso(now)),
        )

    # -- conversation state --------------------------------------------------------------------
    def conversation(self, customer_id: int) -> ConversationRecord | None:
        conversations = self._cache.conversations
        if customer_id in conversations:
            stored = conversations[customer_id]
        else:
            row = self._conn.execute(
                "SELECT state, data FROM conversations WHERE customer_id = ?", (customer_id,)
            ).fetchone()
            stored = (row[0], row[1]) if row else None
            self._cache.keep_conversation(customer_id, stored)
        return ConversationRecord(stored[0], json.loads(stored[1])) if stored else None

    def save_conversation(
        self, customer_id: int, state: str, data: dict[str, Any], now: datetime
    ) -> None:
        text = json_text(data)
        self._conn.execute(
            """
            INSERT INTO conversations (customer_id, state, data, updated_at)
            VALUES (?, ?, ?, ?)
            ON CONFLICT (customer_id) DO UPDATE SET
                state = excluded.state, data = excluded.data, updated_at = excluded.updated_at
            """,
            (customer_id, state, text, to_iso(now)),
        )
        self._cache.keep_conversation(customer_id, (state, text))

    def clear_conversation(self, customer_id: int) -> None:
        self._conn.execute("DELETE FROM conversations WHERE customer_id = ?", (customer_id,))
        self._cache.keep_conversation(customer_id, None)

    # -- tickets -------------------------------------------------------------------------------
    def insert_ticket(
        self,
        *,
        customer_id: int,
        category: str,
        subject: str,
        fields: dict[str, Any],
        status: str,
        priority: str,
        first_response_due: datetime | None,
        now: datetime,
    ) -> int:
        cur = self._conn.execute(
            """
            INSERT INTO tickets (customer_id, category, subject, fields, status, priority,
                                 created_at, updated_at, first_response_due)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                customer_id, category, subject, json_text(fields), status,
                priority, to_iso(now), to_iso(now),
                to_iso(first_response_due) if first_response_due else None,
            ),
        )
        assert cur.lastrowid is not None
        self._cache.forget_active(customer_id)
        return cur.lastrowid

    def ticket(self, ticket_id: int) -> TicketRecord | None:
        row = self._synced.execute(TICKET_BY_ID, (ticket_id,)).fetchone()
        return TicketRecord.from_row(row) if row else None

    def update_ticket(self, ticket_id: int, now: datetime, **changes: Any) -> None:
        unknown = set(changes) - _TICKET_COLUMNS
        if unknown:
            raise ValueError(f"not ticket columns: {sorted(unknown)}")
        assignments = "".join(f"{name} = ?, " for name in changes)
        values = [_sql_value(v) for v in changes.values()]
        self._synced.execute(
            f"UPDATE tickets SET {assignments}updated_at = ? WHERE id = ?",
            (*values, to_iso(now), ticket_id),
        )
        if "status" in changes:
            owner = self._cache.active_owner.get(ticket_id)
            if owner is None and self._cache.active:
                # A ticket not among the remembered active ones may be becoming active
                # (reopened): whoever owns it has their list forgotten.
                row = self._conn.execute("SELECT customer_id FROM tickets WHERE id = ?",
                                         (ticket_id,)).fetchone()
                owner = int(row[0]) if row else None
            if owner is not None:
                self._cache.forget_active(owner)

    def customer_wrote(self, ticket_id: int, now: datetime) -> None:
        """The customer added a message to the ticket (it is updated, and a burst of follow-ups
        is confirmed once)."""
        text = to_iso(now)
        if self.defer:
            self._touches.append((text, text, ticket_id))
            self._held = True
        else:
            self._conn.execute(_CUSTOMER_WROTE, (text, text, ticket_id))
        self._cache.customer_wrote(ticket_id, now.astimezone(UTC))

    def customer_tickets(
        self, customer_id: int, *, active_only: bool = False, limit: int = 100, offset: int = 0
    ) -> list[TicketRecord]:
        where = f" AND status IN {ACTIVE_STATUSES_SQL}" if active_only else ""
        rows = self._synced.execute(
            f"SELECT * FROM tickets WHERE customer_id = ?{where} ORDER BY id DESC "
            "LIMIT ? OFFSET ?",
            (customer_id, limit, offset),
        ).fetchall()
        return [TicketRecord.from_row(r) for r in rows]

    def active_tickets(self, customer_id: int, *, limit: int) -> list[ActiveTicket]:
        """A customer's active tickets, newest first, as much as routing a message needs: a
        whole record costs more to build than the query costs to run."""
        known = self._cache.active.get(customer_id)
        if known is None:
            rows = self._synced.execute(
                f"SELECT id, status, customer_wrote_at FROM tickets WHERE customer_id = ? "
                f"AND status IN {ACTIVE_STATUSES_SQL} ORDER BY id DESC LIMIT ?",
                (customer_id, max(limit, ACTIVE_KEPT))).fetchall()
            known = tuple(ActiveTicket(int(row[0]), str(row[1]), from_iso(row[2]))
                          for row in rows)
            if len(known) < ACTIVE_KEPT:  # complete: every shorter LIMIT is answered from it
                self._cache.keep_active(customer_id, known)
        return list(known[:limit])

    def count_customer_tickets(self, customer_id: int) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE customer_id = ?", (customer_id,)
        ).fetchone()
        return int(row[0])

    # -- ticket history ------------------------------------------------------------------------
    def add_message(
        self,
        *,
        ticket_id: int,
        author_kind: str,
        author_id: str,
        author_name: str,
        body: str,
        attachments_json: str = "[]",
        internal: bool = False,
        event_id: str | None = None,
        now: datetime,
    ) -> int:
        self.added_messages = True
        return self._insert("ticket_messages", _INSERT_MESSAGE, self._messages, (
            ticket_id, author_kind, author_id, author_name, int(internal), body,
            attachments_json, event_id, to_iso(now)))

    def add_ticket_event(
        self,
        *,
        ticket_id: int,
        actor_kind: str,
        actor_id: str,
        actor_name: str,
        kind: str,
        old_value: str | None,
        new_value: str | None,
        now: datetime,
    ) -> None:
        self._conn.execute(
            """
            INSERT INTO ticket_events (ticket_id, actor_kind, actor_id, actor_name, kind,
                                       old_value, new_value, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (ticket_id, actor_kind, actor_id, actor_name, kind, old_value, new_value,
             to_iso(now)),
        )

    def ticket_messages(self, ticket_id: int) -> list[MessageRecord]:
        rows = self._synced.execute(MESSAGES_OF_TICKET, (ticket_id,)).fetchall()
        return [MessageRecord.from_row(r) for r in rows]

    def visible_history(self, ticket_id: int, limit: int
                        ) -> tuple[list[MessageRecord], list[TicketEventRecord], int]:
        """The newest ``limit`` customer-visible messages and status changes of a ticket, and
        how many there are in all: a long ticket's history is not read whole to show a page."""
        messages = self._synced.execute(
            "SELECT * FROM ticket_messages WHERE ticket_id = ? AND internal = 0 "
            "ORDER BY id DESC LIMIT ?", (ticket_id, limit)).fetchall()
        events = self._conn.execute(
            "SELECT * FROM ticket_events WHERE ticket_id = ? AND kind = 'status' "
            "ORDER BY id DESC LIMIT ?", (ticket_id, limit)).fetchall()
        total = self._conn.execute(
            "SELECT (SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = ? AND internal = 0)"
            " + (SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND kind = 'status')",
            (ticket_id, ticket_id)).fetchone()[0]
        return ([MessageRecord.from_row(r) for r in reversed(messages)],
                [TicketEventRecord.from_row(r) for r in reversed(events)], int(total))

    def ticket_events(self, ticket_id: int) -> list[TicketEventRecord]:
        rows = self._conn.execute(EVENTS_OF_TICKET, (ticket_id,)).fetchall()
        return [TicketEventRecord.from_row(r) for r in rows]

    # -- outbox --------------------------------------------------------------------------------
    def enqueue(
        self,
        *,
        destination: str,
        recipient: str,
        payload: str,
        ticket_id: int | None,
        now: datetime,
        message_id: int | None = None,
    ) -> int:
        return self._insert("outbox", _INSERT_OUTBOX, self._outbox,
                            (destination, recipient, ticket_id, message_id, payload,
                             to_iso(now)))

    def message_by_event(self, ticket_id: int, event_id: str) -> MessageRecord | None:
        row = self._synced.execute(
            "SELECT * FROM ticket_messages WHERE event_id = ? AND ticket_id = ?",
            (event_id, ticket_id),
        ).fetchone()
        return MessageRecord.from_row(row) if row else None

    def relays_of(self, message_id: int) -> list[sqlite3.Row]:
        """Outbox rows that carry a ticket message to the customer, oldest first."""
        return self._synced.execute(
            "SELECT * FROM outbox WHERE message_id = ? AND destination != 'desk' ORDER BY id",
            (message_id,),
        ).fetchall()

    def replace_payload(self, outbox_id: int, payload: str) -> bool:
        """Change an outbox row not yet delivered; False when it is too late for that."""
        cur = self._synced.execute(
            "UPDATE outbox SET payload = ? WHERE id = ? AND delivered_at IS NULL "
            "AND failed_at IS NULL",
            (payload, outbox_id),
        )
        return cur.rowcount == 1

    def cancel_outbox(self, outbox_id: int, reason: str, now: datetime) -> bool:
        cur = self._synced.execute(
            "UPDATE outbox SET failed_at = ?, error = ? WHERE id = ? AND delivered_at IS NULL "
            "AND failed_at IS NULL",
            (to_iso(now), reason, outbox_id),
        )
        return cur.rowcount == 1

    def update_message(self, message_id: int, *, body: str | None = None,
                       internal: bool | None = None) -> None:
        conn = self._synced
        if body is not None:
            conn.execute("UPDATE ticket_messages SET body = ? WHERE id = ?", (body, message_id))
        if internal is not None:
            conn.execute("UPDATE ticket_messages SET internal = ? WHERE id = ?",
                         (int(internal), message_id))

    def mark_delivered(self, outbox_id: int, ref: str | None, now: datetime) -> None:
        self._synced.execute(
            "UPDATE outbox SET delivered_at = ?, delivered_ref = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (to_iso(now), ref, outbox_id),
        )

    def reschedule(self, outbox_id: int, next_attempt_at: datetime, error: str) -> None:
        self._synced.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ? "
            "WHERE id = ?",
            (to_iso(next_attempt_at), error, outbox_id),
        )

    def mark_failed(self, outbox_id: int, error: str, now: datetime) -> None:
        self._synced.execute(
            "UPDATE outbox SET attempts = attempts + 1, failed_at = ?, error = ? WHERE id = ?",
            (to_iso(now), error, outbox_id),
        )

    # -- timers --------------------------------------------------------------------------------
    def add_timer(self, ticket_id: int, kind: str, due_at: datetime, now: datetime) -> None:
        self._conn.execute(
            "INSERT INTO timers (ticket_id, kind, due_at, created_at) VALUES (?, ?, ?, ?)",
            (ticket_id, kind, to_iso(due_at), to_iso(now)),
        )

    def due_timers(self, now: datetime, limit: int = 200) -> list[TimerRecord]:
        rows = self._conn.execute(
            "SELECT * FROM timers WHERE fired_at IS NULL AND due_at <= ? ORDER BY due_at, id "
            "LIMIT ?",
            (to_iso(now), limit),
        ).fetchall()
        return [TimerRecord.from_row(r) for r in rows]

    def settle_timer(self, timer_id: int, now: datetime) -> bool:
        """Mark a timer fired; False when it already was (so nothing fires twice)."""
        cur = self._conn.execute(
            "UPDATE timers SET fired_at = ? WHERE id = ? AND fired_at IS NULL",
            (to_iso(now), timer_id),
        )
        return cur.rowcount == 1

    def cancel_timers(self, ticket_id: int, kind: str, now: datetime) -> None:
        self._conn.execute(
            "UPDATE timers SET fired_at = ? WHERE ticket_id = ? AND kind = ? "
            "AND fired_at IS NULL",
            (to_iso(now), ticket_id, kind),
        )

    # -- agents --------------------------------------------------------------------------------
    def upsert_agent(self, agent_id: str, name: str) -> None:
        self._conn.execute(
            "INSERT INTO agents (id, name) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            (agent_id, name),
        )

    def set_agent_available(self, agent_id: str, available: bool) -> None:
        self._conn.execute("UPDATE agents SET available = ? WHERE id = ?",
                           (int(available), agent_id))

    def next_available_agent(self, now: datetime) -> tuple[str, str] | None:
        """The available agent who was assigned least recently (round robin), now taken."""
        row = self._conn.execute(
            "SELECT id, name FROM agents WHERE available = 1 "
            "ORDER BY last_assigned_at IS NOT NULL, last_assigned_at, id LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        self._conn.execute("UPDATE agents SET last_assigned_at = ? WHERE id = ?",
                           (to_iso(now), row["id"]))
        return str(row["id"]), str(row["name"])

    # -- agents' desk threads ------------------------------------------------------------------
    def set_desk_thread(self, ticket_id: int, desk: str, channel: str, thread_ref: str) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO desk_threads (ticket_id, desk, channel, thread_ref) "
            "VALUES (?, ?, ?, ?)",
            (ticket_id, desk, channel, thread_ref),
        )
