"""Fair use: a per-customer token bucket, refilled continuously, kept in the store."""

from __future__ import annotations

from datetime import datetime, timedelta

# A throttled customer is told (and the desk alerted) at most this often.
THROTTLE_NOTICE_EVERY = timedelta(minutes=1)


def take_token(
    tokens: float | None, updated_at: datetime | None, now: datetime, per_minute: int
) -> tuple[bool, float]:
    """Whether one more message is allowed, and the tokens left after it."""
    capacity = float(per_minute)
    if tokens is None or updated_at is None:
        available = capacity
    else:
        elapsed = max(0.0, (now - updated_at).total_seconds())
        available = min(capacity, tokens + elapsed * per_minute / 60.0)
    if available >= 1.0:
        return True, available - 1.0
    return False, available
