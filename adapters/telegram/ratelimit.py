"""Pacing outgoing messages under Telegram's flood limits, so a 429 stays the exception.

Telegram allows about one message per second in a private chat, twenty per minute in a group,
and about thirty per second overall. PTB's ``AIORateLimiter`` paces groups and the overall rate
but not private chats, which is where a support bot talks, so we pace all three here. When a
429 still comes, ``pause`` holds the chat back for the ``retry_after`` Telegram asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

GROUP_INTERVAL = 3.0  # 20 messages a minute
_PRUNE_AT = 10_000  # chats remembered before forgetting the ones long quiet


class RateLimiter:
    __slots__ = ("_chat_interval", "_clock", "_in_flight", "_next", "_per_second", "_sent",
                 "_sleep")

    def __init__(
        self,
        *,
        chat_interval: float,
        per_second: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._chat_interval = chat_interval
        self._per_second = per_second
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int, float] = {}  # chat -> earliest moment of its next message
        # Completions of the last second, and sends not yet answered. Telegram counts a message
        # when it arrives, so counting ours when they complete (with those in flight) keeps a
        # burst that leaves late and arrives together under the limit.
        self._sent: deque[float] = deque()
        self._in_flight = 0

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Hold a sending slot for one message to ``chat_id`` while it is being sent."""
        await self.wait(chat_id)
        try:
            yield
        finally:
            self._in_flight -= 1
            self._sent.append(self._clock())

    async def wait(self, chat_id: int) -> None:
        """Return when a message to ``chat_id`` may go out; reserves that moment for it.
        Use ``slot``, which also counts the send when it completes."""
        interval = GROUP_INTERVAL if chat_id < 0 else self._chat_interval
        now = self._clock()
        # Reserve the slot before sleeping, so concurrent senders to one chat queue up.
        at = max(now, self._next.get(chat_id, now))
        self._next[chat_id] = at + interval
        if at > now:
            await self._sleep(at - now)
        await self._overall()
        if len(self._next) > _PRUNE_AT:
            self._prune()

    def pause(self, chat_id: int, seconds: float) -> None:
        """Telegram answered 429 for this chat: nothing goes there for ``seconds``."""
        until = self._clock() + seconds
        self._next[chat_id] = max(self._next.get(chat_id, until), until)

    async def _overall(self) -> None:
        while True:
            now = self._clock()
            while self._sent and now - self._sent[0] >= 1.0:
                self._sent.popleft()
            if len(self._sent) + self._in_flight < self._per_second:
                self._in_flight += 1
                return
            # Wait for the oldest completion to leave the window, or for a send to finish.
            await self._sleep(max(self._sent[0] + 1.0 - now, 0.005) if self._sent else 0.005)

    def _prune(self) -> None:
        now = self._clock()
        for chat_id in [c for c, at in self._next.items() if at < now]:
            del self._next[chat_id]
