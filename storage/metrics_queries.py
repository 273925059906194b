"""Read queries behind the metrics and the per-event log line, aggregated in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from storage.records import to_iso
from storage.store import Store
from storage.tx import ACTIVE_STATUSES_SQL, Tx

_PENDING = "delivered_at IS NULL AND failed_at IS NULL"


async def outbox_backlog(store: Store) -> dict[str, int]:
    """Undelivered outbox rows (waiting for a retry included) per destination."""
    rows = await store.query(
        f"SELECT destination, COUNT(*) AS n FROM outbox WHERE {_PENDING} GROUP BY destination"
    )
    return {str(r["destination"]): int(r["n"]) for r in rows}


async def oldest_pending_seconds(store: Store, now: datetime) -> float:
    """Age of the oldest undelivered outbox row; 0 when everything is delivered."""
    rows = await store.query(
        "SELECT (julianday(?) - julianday(MIN(created_at))) * 86400.0 FROM outbox "
        f"WHERE {_PENDING}",
        (to_iso(now),),
    )
    value = rows[0][0] if rows else None
    return max(0.0, float(value)) if value is not None else 0.0


async def active_tickets(store: Store) -> dict[tuple[str, str], int]:
    """Active tickets (new, open, waiting) by (status, priority)."""
    rows = await store.query(
        f"SELECT status, priority, COUNT(*) AS n FROM tickets WHERE status IN "
        f"{ACTIVE_STATUSES_SQL} GROUP BY status, priority"
    )
    return {(str(r["status"]), str(r["priority"])): int(r["n"]) for r in rows}


def tickets_of_outbox(tx: Tx, outbox_ids: Sequence[int]) -> tuple[int, ...]:
    """Tickets the given outbox rows concern, inside the write transaction that made them
    (so the engine's log line can name the tickets an event touched at no extra round trip)."""
    if not outbox_ids:
        return ()
    marks = ", ".join("?" for _ in outbox_ids)
    rows = connection(tx).execute(
        f"SELECT DISTINCT ticket_id FROM outbox WHERE id IN ({marks}) "
        "AND ticket_id IS NOT NULL ORDER BY ticket_id",
        tuple(outbox_ids),
    ).fetchall()
    return tuple(int(r[0]) for r in rows)


def connection(tx: Tx) -> sqlite3.Connection:
    """The connection of an open write transaction, for storage's own query modules.

    ``Tx`` keeps it private so the core cannot write raw SQL; modules inside ``storage/``
    (metrics, privacy) are the store's own code and may.
    """
    return tx._conn
