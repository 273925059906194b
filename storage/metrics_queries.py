"""Read queries behind the metrics and the per-event log line, aggregated in SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.records import to_iso
from storage.store import Store
from storage.tx import Tx

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


def connection(tx: Tx) -> sqlite3.Connection:
    """The connection of an open write transaction, for storage's own query modules.

    ``Tx`` keeps it private so the core cannot write raw SQL; modules inside ``storage/``
    (metrics, privacy) are the store's own code and may.
    """
    return tx.raw_connection()
