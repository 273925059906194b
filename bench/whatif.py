"""What-if measurements behind the recommendations: not the engine, and never judged.

They run on the benchmark's own temporary store, after the real measurements, through the
real ``Store.write`` (same writer thread, same group commit), to put numbers on what a change
to the engine would gain:

* ``noop``: ``Store.write(lambda tx: None)`` — the cost of the asyncio side and the group
  commit machinery alone (future, queue, thread hop per batch, BEGIN/SAVEPOINT/COMMIT);
* ``lean``: a follow-up written with the fewest statements that store the same rows as the
  engine (dedup row, message, ticket touch, fair-use tokens, the two outbox rows with the same
  JSON): one query for customer and conversation state, one for the open ticket, no customer
  upsert when nothing changed, the outbox rows in one ``executemany``;
* ``batched_follow_ups``: the same rows if the writer applied a whole batch at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bot.actions import CustomerMessage, DeskEvent, DeskNotice, Text, to_json
from bot.config import EngineConfig
from bot.events import CustomerRef, CustomerText
from bot.fair_use import take_token
from storage.records import from_iso, to_iso
from storage.store import Store
from storage.tx import Tx

_CUSTOMER = (
    "SELECT c.id, c.chat_id, c.display_name, c.locale, c.blocked, c.rate_tokens, "
    "c.rate_updated_at, v.state FROM customers c LEFT JOIN conversations v "
    "ON v.customer_id = c.id WHERE c.platform = ? AND c.platform_user_id = ?")
_ACTIVE = ("SELECT id, status, customer_wrote_at FROM tickets WHERE customer_id = ? AND "
           "status IN ('new', 'open', 'waiting') ORDER BY id DESC LIMIT 2")
_MESSAGE = (
    "INSERT INTO ticket_messages (ticket_id, author_kind, author_id, author_name, internal, "
    "body, attachments, event_id, created_at) VALUES (?, 'customer', ?, ?, 0, ?, '[]', ?, ?)")
_OUTBOX = ("INSERT INTO outbox (destination, recipient, ticket_id, message_id, payload, "
           "created_at) VALUES (?, ?, ?, ?, ?, ?)")


def lean_follow_up(event: CustomerText, config: EngineConfig, tx: Tx) -> int:
    """The rows of ``Engine.handle`` for a follow-up into the one open ticket, written with
    the fewest statements; returns the number of outbox rows (0 for a duplicate)."""
    # The store's own connection, inside its transaction. Taken through raw_connection, so
    # the writer forgets what it remembers (these rows bypass Tx, including the next ids).
    conn = tx.raw_connection()
    moment = datetime.now(UTC)
    now = to_iso(moment)
    if conn.execute("INSERT OR IGNORE INTO processed_events (event_id, processed_at) "
                    "VALUES (?, ?)", (event.event_id, now)).rowcount != 1:
        return 0
    ref: CustomerRef = event.customer
    (customer_id, chat_id, name, locale, blocked, tokens, updated_at,
     state) = conn.execute(_CUSTOMER, (ref.platform, ref.user_id)).fetchone()
    if blocked or state is not None:
        raise RuntimeError("the lean path covers plain follow-ups only")
    if (chat_id, name, locale) != (ref.chat_id, ref.display_name, ref.locale):
        conn.execute("UPDATE customers SET chat_id = ?, display_name = ?, locale = ? "
                     "WHERE id = ?", (ref.chat_id, ref.display_name, ref.locale, customer_id))
    allowed, left = take_token(tokens, from_iso(updated_at), moment,
                               config.messages_per_minute)
    if not allowed:
        raise RuntimeError("throttled: not a follow-up")
    conn.execute("UPDATE customers SET rate_tokens = ?, rate_updated_at = ? WHERE id = ?",
                 (left, now, customer_id))
    active = conn.execute(_ACTIVE, (customer_id,)).fetchall()
    if len(active) != 1:
        raise RuntimeError("the lean path covers customers with one open ticket")
    ticket_id, _, wrote_at = active[0]
    message_id = conn.execute(_MESSAGE, (ticket_id, str(customer_id), name, event.text,
                                         event.event_id, now)).lastrowid
    tx.added_messages = True  # the writer indexes it with the batch, as the engine's
    conn.execute("UPDATE tickets SET customer_wrote_at = ?, updated_at = ? WHERE id = ?",
                 (now, now, ticket_id))
    desk = to_json(DeskNotice(ticket_id=ticket_id, event=DeskEvent.CUSTOMER_MESSAGE,
                              message_id=message_id))
    rows = [("desk", f"desk:{ticket_id}", ticket_id, None, desk, now)]
    if wrote_at is None or \
            moment - from_iso(wrote_at) >= config.follow_up_quiet:  # type: ignore[operator]
        reply = to_json(CustomerMessage(
            platform=ref.platform, chat_id=ref.chat_id, language="pl",
            texts=(Text("follow-up-added", {"id": ticket_id}),), ticket_id=ticket_id))
        rows.append((ref.platform, f"{ref.platform}:{ref.chat_id}", ticket_id, None, reply,
                     now))
    conn.executemany(_OUTBOX, rows)
    return len(rows)


async def rate(store: Store, make: Callable[[int, int], Callable[[Tx], Any]], customers: int,
               per_customer: int) -> float:
    """Writes per second when every customer awaits ``make(n, j)`` writes in order, all
    customers at once (the throughput benchmark's pattern)."""

    async def customer(n: int) -> None:
        for j in range(per_customer):
            await store.write(make(n, j))

    start = time.perf_counter()
    await asyncio.gather(*(customer(n) for n in range(customers)))
    return customers * per_customer / (time.perf_counter() - start)


def noop(n: int, j: int) -> Callable[[Tx], Any]:
    return lambda tx: None


def lean(ref_of: Callable[[int], CustomerRef], text: str, tag: str, config: EngineConfig
         ) -> Callable[[int, int], Callable[[Tx], Any]]:
    def make(n: int, j: int) -> Callable[[Tx], Any]:
        event = CustomerText(f"{tag}:{n}:{j}", ref_of(n), text.format(n=n, j=j))
        return partial(lean_follow_up, event, config)

    return make


def batched_follow_ups(db: str, customers: list[tuple[int, str, str, int]], texts: list[str],
                       *, batch: int = 512) -> float:
    """Follow-ups per second if the writer applied a whole batch at once: customer, fair-use
    and open-ticket state cached in the writer (it is the only writer, so the cache cannot go
    stale), ids allocated in Python, every table written with one ``executemany`` per batch,
    the batch's messages indexed with one ``INSERT ... SELECT`` (as the store does), one
    commit per batch. ``customers`` are (customer id, platform, chat id, open ticket id);
    ``texts[i]`` goes to ``customers[i % len(customers)]``.

    Plain ``sqlite3`` on the benchmark's own temporary store, after the engine is done with it:
    the SQL and Python cost of the rows alone, to be added to the asyncio side (the no-op
    ``Store.write`` figure)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    next_message = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM ticket_messages"
                                    ).fetchone()[0]) + 1
    next_outbox = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]) + 1
    tokens: dict[int, tuple[float | None, datetime | None]] = {
        c: (None, None) for c, _, _, _ in customers}
    run = f"batched-{time.time_ns()}"
    start = time.perf_counter()
    for first in range(0, len(texts), batch):
        moment = datetime.now(UTC)
        now = to_iso(moment)
        dedup, messages, outbox, touched, rates = [], [], [], [], []
        first_message = next_message
        for i in range(first, min(len(texts), first + batch)):
            customer_id, platform, chat_id, ticket_id = customers[i % len(customers)]
            dedup.append((f"{run}:{i}", now))
            left, updated = tokens[customer_id]
            _allowed, left = take_token(left, updated, moment, 10**6)
            tokens[customer_id] = (left, moment)
            rates.append((left, now, customer_id))
            messages.append((next_message, ticket_id, str(customer_id), texts[i],
                             f"{run}:{i}", now))
            desk = to_json(DeskNotice(ticket_id=ticket_id, event=DeskEvent.CUSTOMER_MESSAGE,
                                      message_id=next_message))
            outbox.append((next_outbox, "desk", f"desk:{ticket_id}", ticket_id, desk, now))
            next_outbox += 1
            if i < len(customers):  # each customer's first follow-up is confirmed
                reply = to_json(CustomerMessage(
                    platform=platform, chat_id=chat_id, language="pl",
                    texts=(Text("follow-up-added", {"id": ticket_id}),), ticket_id=ticket_id))
                outbox.append((next_outbox, platform, f"{platform}:{chat_id}", ticket_id, reply,
                               now))
                next_outbox += 1
            touched.append((now, now, ticket_id))
            next_message += 1
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR IGNORE INTO processed_events (event_id, processed_at) "
                         "VALUES (?, ?)", dedup)
        conn.executemany("INSERT INTO ticket_messages (id, ticket_id, author_kind, author_id, "
                         "author_name, internal, body, attachments, event_id, created_at) "
                         "VALUES (?, ?, 'customer', ?, '', 0, ?, '[]', ?, ?)", messages)
        conn.execute("INSERT INTO ticket_messages_fts (rowid, body) SELECT id, body "
                     "FROM ticket_messages WHERE id >= ?", (first_message,))
        conn.execute("UPDATE search_progress SET message_id = ?", (next_message - 1,))
        conn.executemany("INSERT INTO outbox (id, destination, recipient, ticket_id, payload, "
                         "created_at) VALUES (?, ?, ?, ?, ?, ?)", outbox)
        conn.executemany("UPDATE tickets SET customer_wrote_at = ?, updated_at = ? "
                         "WHERE id = ?", touched)
        conn.executemany("UPDATE customers SET rate_tokens = ?, rate_updated_at = ? "
                         "WHERE id = ?", rates)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(texts) / elapsed
