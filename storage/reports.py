"""The queries behind the support reports: aggregated in SQLite, never a full Python scan."""

from __future__ import annotations

from datetime import datetime

from storage.records import to_iso
from storage.store import Store


async def backlog(store: Store) -> dict[tuple[str, str], int]:
    """Tickets not yet closed, counted by (status, priority)."""
    rows = await store.query(
        "SELECT status, priority, COUNT(*) AS n FROM tickets WHERE status != 'closed' "
        "GROUP BY status, priority"
    )
    return {(r["status"], r["priority"]): int(r["n"]) for r in rows}


async def created_count(store: Store, since: datetime, until: datetime) -> int:
    rows = await store.query(
        "SELECT COUNT(*) FROM tickets WHERE created_at >= ? AND created_at < ?",
        (to_iso(since), to_iso(until)),
    )
    return int(rows[0][0])


async def first_response_seconds(store: Store, since: datetime, until: datetime) -> list[float]:
    """Time to first answer of tickets created in the period that have one (whole seconds)."""
    rows = await store.query(
        "SELECT ROUND((julianday(first_response_at) - julianday(created_at)) * 86400.0) "
        "FROM tickets "
        "WHERE created_at >= ? AND created_at < ? AND first_response_at IS NOT NULL",
        (to_iso(since), to_iso(until)),
    )
    return [float(r[0]) for r in rows]


async def resolution_seconds(store: Store, since: datetime, until: datetime) -> list[float]:
    """Time from opening to resolution of tickets resolved in the period."""
    rows = await store.query(
        "SELECT ROUND((julianday(resolved_at) - julianday(created_at)) * 86400.0) FROM tickets "
        "WHERE resolved_at >= ? AND resolved_at < ?",
        (to_iso(since), to_iso(until)),
    )
    return [float(r[0]) for r in rows]


async def overdue_count(store: Store, now: datetime) -> int:
    """Open tickets past their promised first answer and still without one."""
    rows = await store.query(
        "SELECT COUNT(*) FROM tickets WHERE status IN ('new', 'open') "
        "AND first_response_at IS NULL "
        "AND first_response_due IS NOT NULL AND first_response_due <= ?",
        (to_iso(now),),
    )
    return int(rows[0][0])


async def ratings(store: Store, since: datetime, until: datetime) -> list[int]:
    """Satisfaction ratings of tickets resolved in the period."""
    rows = await store.query(
        "SELECT rating FROM tickets WHERE rating IS NOT NULL AND resolved_at >= ? "
        "AND resolved_at < ?",
        (to_iso(since), to_iso(until)),
    )
    return [int(r[0]) for r in rows]
