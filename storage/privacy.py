"""Privacy requests (GDPR): export what is stored about a customer, erase it, and retention.

Customers are per chat-app identity, so one person who wrote on Telegram and on Discord is two
customer rows; every function here takes a list of customer ids, found by id, by
``platform:user_id`` or by the contact e-mail given in their tickets' form fields.

Erasing keeps what the statistics are made of (a ticket's category, status, priority,
timestamps, rating; who among the agents did what, and when) and removes everything that
says who the person is or what anyone wrote: names, platform ids, language, subjects, form
values, message texts and files, rating comments, conversation state, held messages, and the
outbox payloads that carried any of it. Each erased ticket gets an ``erased`` event, so agents
see what happened. ``secure_delete`` is on while erasing and the full-text indexes are merged
afterwards, so old values are overwritten in the file instead of lingering in free pages or
index segments; ``compact`` then checkpoints the WAL and vacuums for a clean file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.metrics_queries import connection
from storage.records import json_text, to_iso
from storage.store import Store
from storage.tx import ACTIVE_STATUSES_SQL, Tx

ERASED = "[erased]"
ERASED_EVENT = "erased"
# Ticket history kinds whose values are statuses, priorities, agent names, numbers or times.
# Every other kind (message_edited, rating_comment, delivery_failed, anything added later)
# may hold free text, so its values are erased.
STRUCTURAL_EVENTS = frozenset({
    "created", "status", "priority", "assignee", "blocked", "rating", "linked", "overdue",
    "escalated", "reminder", ERASED_EVENT, "privacy_request",
})


class CustomerNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Erased:
    """How much an erasure touched."""

    customers: int = 0
    tickets: int = 0
    messages: int = 0
    outbox_rows: int = 0
    held_messages: int = 0

    def __add__(self, other: Erased) -> Erased:
        return Erased(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(erased: Erased) -> tuple[int, ...]:
    return (erased.customers, erased.tickets, erased.messages, erased.outbox_rows,
            erased.held_messages)


# -- finding the person ---------------------------------------------------------------------------
async def find_customers(store: Store, identities: Sequence[str] = (),
                         email: str | None = None) -> list[int]:
    """Customer ids for numeric ids, ``platform:user_id`` pairs and a contact e-mail.

    Raises CustomerNotFound naming what matched nobody, so a typo never passes silently.
    """
    found: list[int] = []
    for identity in identities:
        platform, sep, user_id = identity.partition(":")
        if not sep and identity.strip().isdigit():
            rows = await store.query("SELECT id FROM customers WHERE id = ?", (int(identity),))
        elif sep and platform and user_id:
            rows = await store.query(
                "SELECT id FROM customers WHERE platform = ? AND platform_user_id = ?",
                (platform, user_id))
        else:
            raise CustomerNotFound(f"{identity!r} is neither a customer number nor "
                                   "platform:user_id")
        if not rows:
            raise CustomerNotFound(f"no customer {identity}")
        found.append(int(rows[0][0]))
    if email:
        rows = await store.query(
            "SELECT DISTINCT customer_id FROM tickets WHERE json_valid(fields) AND ("
            "lower(trim(json_extract(fields, '$.email'))) = lower(trim(?)) OR "
            "lower(trim(json_extract(fields, '$.account_id'))) = lower(trim(?)))",
            (email, email))
        if not rows:
            raise CustomerNotFound(f"no ticket gives the e-mail {email}")
        found.extend(int(r[0]) for r in rows)
    return sorted(set(found))


# -- export ---------------------------------------------------------------------------------------
async def export_customers(store: Store, customer_ids: Iterable[int],
                           now: datetime) -> dict[str, Any]:
    """Everything stored about these customers, as JSON-ready data (internal notes included:
    review before handing it over)."""
    customers = []
    for customer_id in customer_ids:
        rows = await store.query("SELECT * FROM customers WHERE id = ?", (customer_id,))
        if not rows:
            raise CustomerNotFound(f"no customer {customer_id}")
        customer = _row(rows[0], drop=("rate_tokens", "rate_updated_at", "throttled_at"))
        tickets = []
        for ticket in await store.query(
                "SELECT * FROM tickets WHERE customer_id = ? ORDER BY id", (customer_id,)):
            data = _row(ticket)
            data["fields"] = _json(ticket["fields"])
            data["messages"] = [
                {**_row(m, drop=("ticket_id", "event_id")), "internal": bool(m["internal"]),
                 "attachments": _json(m["attachments"])}
                for m in await store.query(
                    "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id",
                    (ticket["id"],))]
            data["history"] = [_row(e, drop=("ticket_id",)) for e in await store.query(
                "SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket["id"],))]
            tickets.append(data)
        customer["tickets"] = tickets
        conversation = await store.query(
            "SELECT state, data, updated_at FROM conversations WHERE customer_id = ?",
            (customer_id,))
        customer["conversation"] = ({**_row(conversation[0]), "data": _json(
            conversation[0]["data"])} if conversation else None)
        customer["held_messages"] = [
            {**_row(h, drop=("customer_id", "event_id")), "attachments": _json(h["attachments"])}
            for h in await store.query(
                "SELECT * FROM held_messages WHERE customer_id = ? ORDER BY id", (customer_id,))]
        customer["messages_sent"] = [
            {"created_at": o["created_at"], "delivered_at": o["delivered_at"],
             "failed_at": o["failed_at"], "content": _json(o["payload"])}
            for o in await store.query(
                "SELECT * FROM outbox WHERE recipient = ? ORDER BY id",
                (f"{rows[0]['platform']}:{rows[0]['chat_id']}",))]
        customers.append(customer)
    return {"exported_at": to_iso(now), "customers": customers}


def _row(row: sqlite3.Row, drop: Sequence[str] = ()) -> dict[str, Any]:
    return {key: row[key] for key in row.keys() if key not in drop}  # noqa: SIM118


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "null")
    except ValueError:
        return text


# -- erasure --------------------------------------------------------------------------------------
def forget_customers(tx: Tx, customer_ids: Iterable[int], now: datetime) -> Erased:
    """Erase these customers' personal data and message texts, in the caller's transaction."""
    conn = connection(tx)
    with _secure_delete(conn):
        total = Erased()
        for customer_id in customer_ids:
            tickets = [int(r[0]) for r in conn.execute(
                "SELECT id FROM tickets WHERE customer_id = ?", (customer_id,))]
            total += _erase_tickets(conn, tickets, now) + _erase_customer(conn, customer_id, now)
        _merge_search_indexes(conn)
    return total


def _erase_tickets(conn: sqlite3.Connection, ticket_ids: Sequence[int],
                   now: datetime) -> Erased:
    messages = outbox = 0
    for ticket_id in ticket_ids:
        row = conn.execute("SELECT fields FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        fields = _json(row["fields"])
        erased_fields = ({key: ERASED for key in fields} if isinstance(fields, dict) else {})
        conn.execute(
            "UPDATE tickets SET subject = ?, fields = ?, rating_comment = CASE WHEN "
            "rating_comment IS NULL THEN NULL ELSE ? END WHERE id = ?",
            (ERASED, json_text(erased_fields), ERASED, ticket_id))
        messages += conn.execute(
            "UPDATE ticket_messages SET body = CASE WHEN body = '' THEN '' ELSE ? END, "
            "attachments = '[]', author_name = CASE WHEN author_kind = 'customer' THEN '' "
            "ELSE author_name END WHERE ticket_id = ?", (ERASED, ticket_id)).rowcount
        kinds = ", ".join("?" for _ in STRUCTURAL_EVENTS)
        conn.execute(
            "UPDATE ticket_events SET "
            "actor_name = CASE WHEN actor_kind = 'customer' THEN '' ELSE actor_name END, "
            f"old_value = CASE WHEN kind IN ({kinds}) OR old_value IS NULL THEN old_value "
            "ELSE ? END, "
            f"new_value = CASE WHEN kind IN ({kinds}) OR new_value IS NULL THEN new_value "
            "ELSE ? END WHERE ticket_id = ?",
            (*STRUCTURAL_EVENTS, ERASED, *STRUCTURAL_EVENTS, ERASED, ticket_id))
        outbox += _erase_outbox(conn, "ticket_id = ?", (ticket_id,), now)
        conn.execute(
            "INSERT INTO ticket_events (ticket_id, actor_kind, actor_id, actor_name, kind, "
            "old_value, new_value, created_at) VALUES (?, 'system', '', '', ?, NULL, NULL, ?)",
            (ticket_id, ERASED_EVENT, to_iso(now)))
    return Erased(tickets=len(ticket_ids), messages=messages, outbox_rows=outbox)


def _erase_customer(conn: sqlite3.Connection, customer_id: int, now: datetime) -> Erased:
    row = conn.execute("SELECT platform, chat_id FROM customers WHERE id = ?",
                       (customer_id,)).fetchone()
    if row is None:
        return Erased()
    outbox = _erase_outbox(conn, "recipient = ?", (f"{row['platform']}:{row['chat_id']}",), now)
    conn.execute("UPDATE outbox SET recipient = ? WHERE recipient = ?",
                 (f"{row['platform']}:erased:{customer_id}",
                  f"{row['platform']}:{row['chat_id']}"))
    held = conn.execute("DELETE FROM held_messages WHERE customer_id = ?",
                        (customer_id,)).rowcount
    conn.execute("DELETE FROM conversations WHERE customer_id = ?", (customer_id,))
    # The row stays (tickets point at it) but no longer identifies anyone. Not a hash of the
    # platform id: numeric chat ids are few enough to hash them all and find the person.
    # A later message from the same person starts a new, unrelated customer.
    conn.execute(
        "UPDATE customers SET platform_user_id = ?, chat_id = ?, display_name = '', "
        "locale = NULL, language = NULL, timezone = NULL, rate_tokens = NULL, "
        "rate_updated_at = NULL, throttled_at = NULL WHERE id = ?",
        (f"erased:{customer_id}", f"erased:{customer_id}", customer_id))
    return Erased(customers=1, outbox_rows=outbox, held_messages=held)


def _erase_outbox(conn: sqlite3.Connection, where: str, params: tuple[Any, ...],
                  now: datetime) -> int:
    # What was not sent yet is not sent any more: it could only carry erased data.
    conn.execute(f"UPDATE outbox SET failed_at = ?, error = ? WHERE {where} "
                 "AND delivered_at IS NULL AND failed_at IS NULL",
                 (to_iso(now), ERASED, *params))
    return conn.execute(f"UPDATE outbox SET payload = '{{}}' WHERE {where} AND payload != '{{}}'",
                        params).rowcount


def _merge_search_indexes(conn: sqlite3.Connection) -> None:
    # An external-content FTS5 index keeps deleted terms in old segments until they merge;
    # 'optimize' merges everything now, so no erased word stays findable in the file.
    for table in ("tickets_fts", "ticket_messages_fts"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")


class _secure_delete:
    """Overwrite freed content with zeros while erasing, then restore the setting."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.previous = 0

    def __enter__(self) -> None:
        self.previous = int(self.conn.execute("PRAGMA secure_delete").fetchone()[0])
        self.conn.execute("PRAGMA secure_delete = ON")

    def __exit__(self, *exc: object) -> None:
        self.conn.execute(f"PRAGMA secure_delete = {self.previous}")


# -- retention ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RetentionPlan:
    tickets: tuple[int, ...]
    customers: tuple[int, ...]


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - datetime(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def retention_plan(tx: Tx, cutoff: datetime, *, limit: int = -1) -> RetentionPlan:
    """Tickets closed before ``cutoff`` and not yet erased; customers with nothing newer
    (at most ``limit`` of each; -1 for all)."""
    conn = connection(tx)
    tickets = tuple(int(r[0]) for r in conn.execute(
        "SELECT id FROM tickets t WHERE status = 'closed' AND closed_at < ? AND NOT EXISTS "
        "(SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = ?) ORDER BY id "
        "LIMIT ?", (to_iso(cutoff), ERASED_EVENT, limit)))
    # A customer goes when they were last seen before the cutoff and every ticket of theirs
    # was closed before it too (a customer who never opened a ticket included).
    customers = tuple(int(r[0]) for r in conn.execute(
        "SELECT id FROM customers c WHERE platform_user_id NOT LIKE 'erased:%' "
        "AND created_at < ? AND COALESCE(rate_updated_at, created_at) < ? "
        "AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id "
        "                AND v.updated_at >= ?) "
        "AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id AND "
        f"              (t.status IN {ACTIVE_STATUSES_SQL} OR t.status = 'resolved' "
        "               OR t.closed_at IS NULL OR t.closed_at >= ?)) ORDER BY id LIMIT ?",
        (*(to_iso(cutoff),) * 4, limit)))
    return RetentionPlan(tickets, customers)


def apply_retention(tx: Tx, cutoff: datetime, now: datetime, *, limit: int = -1) -> Erased:
    """Erase what the retention period has run out for (see ``retention_plan``), plus the
    outbox payloads and held messages older than the cutoff. (Dedup ids are pruned by the
    timer sweeper after a few days.)"""
    plan = retention_plan(tx, cutoff, limit=limit)
    conn = connection(tx)
    with _secure_delete(conn):
        erased = _erase_tickets(conn, plan.tickets, now)
        for customer_id in plan.customers:
            erased += _erase_customer(conn, customer_id, now)
        old = (to_iso(cutoff),)
        outbox = conn.execute(
            "UPDATE outbox SET payload = '{}' WHERE created_at < ? AND payload != '{}' AND "
            "(delivered_at IS NOT NULL OR failed_at IS NOT NULL)", old).rowcount
        held = conn.execute("DELETE FROM held_messages WHERE created_at < ?", old).rowcount
        if erased.tickets or erased.customers:
            _merge_search_indexes(conn)
    return erased + Erased(outbox_rows=outbox, held_messages=held)


# -- afterwards -----------------------------------------------------------------------------------
def compact(path: Path, *, vacuum: bool = True) -> bool:
    """Checkpoint the WAL into the file and truncate it, then VACUUM, so no copy of erased data
    survives in the WAL or in free pages. Returns False when a reader kept the checkpoint from
    finishing (the bot's next automatic checkpoint completes it)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        conn.execute("PRAGMA secure_delete = ON")
        if vacuum:
            conn.execute("VACUUM")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return int(busy) == 0
    finally:
        conn.close()


RETENTION_BATCH = 500


async def run_retention(store: Store, months: int, now: datetime, *,
                        batch: int = RETENTION_BATCH) -> Erased:
    """Apply a retention period of ``months`` as of ``now`` (the bot daily, or the CLI).

    In transactions of at most ``batch`` tickets: every event waits for the single writer,
    so a first run over years of history must not hold it for long.
    """
    cutoff = months_before(now, months)
    total = Erased()
    while True:
        erased = await store.write(lambda tx: apply_retention(tx, cutoff, now, limit=batch))
        total += erased
        if erased.tickets < batch and erased.customers < batch:
            return total
