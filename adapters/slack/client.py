"""The Slack Web API client the desk uses, and a per-channel pace for posting.

Slack allows about one message a second per channel, with short bursts. The pacer keeps the
desk under that on its own (every ticket's notices go to the one agents' channel, delivered
concurrently), and the client's retry handler waits out any 429 for the time ``Retry-After``
says; a limit that outlasts the retries surfaces as a transient ``DeliveryError`` carrying that
wait, so the dispatcher reschedules the row and nothing is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import SlackSettings

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2


def build_client(settings: SlackSettings, *, timeout: int = 30) -> AsyncWebClient:
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    base_url = settings.api_base_url if settings.api_base_url.endswith("/") \
        else settings.api_base_url + "/"
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


class ChannelPacer:
    """A token bucket per channel: ``burst`` posts at once, then ``per_second``."""

    __slots__ = ("_buckets", "_clock", "_locks", "burst", "per_second")

    def __init__(self, *, burst: float = 5.0, per_second: float = 1.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.burst = burst
        self.per_second = per_second
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        """Return when one more post to ``channel`` keeps within the pace."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            now = self._clock()
            tokens, at = self._buckets.get(channel, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.per_second)
            if tokens < 1.0:
                await asyncio.sleep((1.0 - tokens) / self.per_second)
                now = self._clock()
                tokens = 1.0
            self._buckets[channel] = (tokens - 1.0, now)
