"""Long polling: fetch updates, store each one, and only then confirm it to Telegram.

Telegram forgets an update once a getUpdates call carries an offset past it. The offset moves
past an update only after ``receive`` has stored it, and the next batch is asked for only after
the whole current one is stored, so a crash at any moment loses nothing: what was not confirmed
comes again, and what was stored but not yet confirmed is dropped by the core as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable
from typing import Any, TypeVar

from telegram.error import InvalidToken, RetryAfter, TelegramError

from adapters.telegram.client import TelegramBot
from adapters.telegram.inbound import ALLOWED_UPDATES
from adapters.telegram.outbound import retry_seconds
from adapters.telegram.updates import UpdateReceiver

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BACKOFF = 60.0


def backoff(failures: int) -> float:
    """Growing delays with jitter, so many restarted bots do not retry in step."""
    ceiling = min(MAX_BACKOFF, 0.5 * 2 ** min(failures, 10))
    return random.uniform(ceiling / 2, ceiling)


class Poller:
    def __init__(self, bot: TelegramBot, receiver: UpdateReceiver, *,
                 timeout: float = 30.0) -> None:
        self.bot = bot
        self.receiver = receiver
        self.timeout = timeout
        self._offset: int | None = None  # the next update_id we want
        self._confirmed: int | None = None  # the offset Telegram was last told
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # getUpdates is refused while a webhook is set (a previous run in webhook mode).
        # Pending updates are kept: they are customers' messages.
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the update in hand, then tell Telegram what was stored."""
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout)
            except TimeoutError:
                log.warning("Telegram polling did not stop in time; unconfirmed updates "
                            "will come again")
        if self._offset is not None and self._offset != self._confirmed:
            # Not needed for correctness (a re-delivery is dropped as a duplicate), but it
            # spares the next start from fetching what is already stored.
            with contextlib.suppress(TelegramError):
                await self.bot.get_raw_updates(offset=self._offset, timeout=0, limit=1,
                                               allowed_updates=ALLOWED_UPDATES)

    async def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                batch = await self._unless_stopped(self.bot.get_raw_updates(
                    offset=self._offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES))
            except RetryAfter as exc:
                await self._pause(retry_seconds(exc))
                continue
            except InvalidToken:
                failures += 1
                log.error("Telegram refuses the bot token; polling again later")
                await self._pause(MAX_BACKOFF)
                continue
            except TelegramError as exc:  # network trouble, 5xx, a webhook set meanwhile
                failures += 1
                log.warning("getUpdates failed (%s); trying again", exc.message)
                await self._pause(backoff(failures))
                continue
            if batch is None:  # stopping
                return
            self._confirmed = self._offset
            if await self._take(batch):
                failures = 0
            else:  # the store is failing: wait longer each time, then ask again
                failures += 1
                await self._pause(backoff(failures))

    async def _take(self, batch: list[dict[str, Any]]) -> bool:
        """Store a batch in order; False when one could not be stored (it will come again)."""
        for raw in batch:
            if self._stop.is_set():
                return True
            update_id = raw.get("update_id")
            try:
                await self.receiver.receive(raw)
            except Exception:
                log.exception("Telegram update %s could not be stored; Telegram will send it "
                              "again", update_id)
                return False
            if isinstance(update_id, int):
                # The last one taken, not the highest ever: after a quiet week Telegram picks
                # the next update_id at random, possibly lower than before.
                self._offset = update_id + 1
        return True

    async def _unless_stopped(self, work: Awaitable[T]) -> T | None:
        """Await ``work`` unless stop comes first (a long poll is then abandoned, harmlessly)."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            stopping.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
