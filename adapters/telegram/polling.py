"""Long polling: fetch updates, store each one, and only then confirm it to Telegram.

Telegram forgets an update once a getUpdates call carries an offset past it. The offset moves
past an update only after ``receive`` has stored it and every update before it in the batch,
and the next batch is asked for only after the whole current one is taken, so a crash at any
moment loses nothing: what was not confirmed comes again, and what was stored but not yet
confirmed is dropped by the core as a duplicate.

A batch (up to 100 updates) is stored one chain per chat: a chat's updates one after another,
in Telegram's order, different chats at the same time, so the store's group commit takes most
of a batch in one transaction instead of one commit per update. When an update cannot be
stored, the later updates of its chat are left for Telegram to send again (after it, in order);
other chats carry on, and the offset stops before the failed update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Mapping
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
        """Finish the batch in hand, then tell Telegram what was stored."""
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
        """Store a batch, one chain per chat; False when one could not be stored (it and what
        follows it in the batch will come again)."""
        chains: dict[int | str | None, list[int]] = {}
        for position, raw in enumerate(batch):
            chains.setdefault(chat_of(raw), []).append(position)
        stored = [False] * len(batch)
        taken = 0  # batch[:taken] are all stored: the offset may move past them
        failures: list[tuple[int, BaseException]] = []

        def confirmable(position: int) -> None:
            nonlocal taken
            stored[position] = True
            while taken < len(batch) and stored[taken]:
                update_id = batch[taken].get("update_id")
                if isinstance(update_id, int):
                    # The last one taken, not the highest ever: after a quiet week Telegram
                    # picks the next update_id at random, possibly lower than before.
                    self._offset = update_id + 1
                taken += 1

        async def chain(positions: list[int]) -> None:
            # A stop lets the batch in hand finish: it is already here, and storing it takes
            # milliseconds (stop() waits for it, with a time limit).
            for position in positions:
                try:
                    await self.receiver.receive(batch[position])
                except Exception as exc:
                    # The chat's later updates must not overtake this one: they wait for it.
                    failures.append((position, exc))
                    return
                confirmable(position)

        await asyncio.gather(*(chain(positions) for positions in chains.values()))
        if not failures:
            return True
        failures.sort(key=lambda failure: failure[0])
        position, exc = failures[0]
        log.error("Telegram update %s could not be stored; Telegram will send it again",
                  batch[position].get("update_id"), exc_info=exc)
        if len(failures) > 1:
            log.error("%d more Telegram updates of this batch, in other chats, could not be "
                      "stored either; Telegram will send them again", len(failures) - 1)
        return False

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


def chat_of(raw: Mapping[str, Any]) -> int | str | None:
    """The chat an update belongs to (its updates are stored in order), or None if it names
    none. A button press belongs to the chat of its message; in a private chat, the one the
    bot serves, the chat's id is the person's, so their messages and presses share a chain."""
    for kind, body in raw.items():
        if kind == "update_id" or not isinstance(body, Mapping):
            continue
        for holder in (body, body.get("message")):
            chat = holder.get("chat") if isinstance(holder, Mapping) else None
            if isinstance(chat, Mapping) and isinstance(chat_id := chat.get("id"), int | str):
                return chat_id
        user = body.get("from")
        if isinstance(user, Mapping) and isinstance(user_id := user.get("id"), int | str):
            return user_id
    return None
