"""Delivering the outbox: in order per conversation, retried with backoff, failures recorded.

Rows are marked delivered only after their platform accepted them. A transient failure (a
5xx, a timeout, a 429) reschedules the row and holds back the rows behind it in the same
conversation, so order is kept; a permanent one (the customer blocked the bot) is recorded on
the ticket and shown to the agents, and is never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from bot.actions import Action, DeskEvent, DeskNotice, Text, from_json, to_json
from bot.metrics import DELIVERED, FAILED, RETRY, Metrics
from bot.turn import DESK
from storage.records import OutboxRecord
from storage.store import Store
from storage.tx import Tx

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """An adapter could not deliver; ``permanent`` says whether trying again can help."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Channel(Protocol):
    async def deliver(self, action: Action) -> str | None:
        """Send one action; returns the platform's id of what was sent, if it has one."""


def _now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = _now,
        poll_interval: float = 1.0,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        max_attempts: int = 50,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.poll_interval = poll_interval
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self._channels: dict[str, Channel] = {}
        self._busy: dict[str, asyncio.Task[None]] = {}
        # Conversations that finished while an outbox read was under way: that read may still
        # list rows they have just delivered, so it must not start them (see deliver_due).
        self._finishes = 0
        self._finished_at: dict[str, int] = {}
        self._reads: list[int] = []
        self._wake = asyncio.Event()
        self._stopping = False

    def register(self, destination: str, channel: Channel) -> None:
        self._channels[destination] = channel

    @property
    def destinations(self) -> list[str]:
        return list(self._channels)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("delivery round failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish what is in hand (bounded), then stop."""
        self._stopping = True
        self.wake()
        pending = list(self._busy.values())
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()

    async def deliver_due(self) -> int:
        """Start delivery for every conversation with due rows; returns how many started
        (or were put off to the next round, which reads the outbox afresh)."""
        mark = self._finishes
        self._reads.append(mark)
        try:
            rows = await self.store.pending_outbox(self.destinations)
        finally:
            self._reads.remove(mark)
        sequences: dict[str, list[OutboxRecord]] = {}
        for row in rows:
            sequences.setdefault(row.recipient, []).append(row)
        started = 0
        now = self.clock()
        for recipient, sequence in sequences.items():
            if recipient in self._busy:
                continue
            if self._finished_at.get(recipient, 0) > mark:
                # It finished during the read, which may have begun before its last rows were
                # marked delivered: sending them again would duplicate them. Its finish woke
                # the loop, and the next round reads afresh.
                started += 1
                continue
            if not _due(sequence[0], now):
                continue
            task = asyncio.create_task(self._deliver_sequence(sequence))
            self._busy[recipient] = task
            task.add_done_callback(partial(self._finished, recipient))
            started += 1
        oldest = min(self._reads, default=self._finishes)  # reads still under way need theirs
        self._finished_at = {r: n for r, n in self._finished_at.items() if n > oldest}
        return started

    def _finished(self, recipient: str, _task: asyncio.Task[None]) -> None:
        self._busy.pop(recipient, None)
        self._finishes += 1
        self._finished_at[recipient] = self._finishes
        self.wake()

    async def drain(self, timeout: float = 10.0) -> None:
        """Deliver everything that is due now; for tests, demos and shutdown."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            started = await self.deliver_due()
            if self._busy:
                await asyncio.wait(list(self._busy.values()),
                                   timeout=max(0.0, deadline - loop.time()))
                continue
            if not started:
                return
        raise TimeoutError("outbox not drained in time")

    async def _deliver_sequence(self, sequence: list[OutboxRecord]) -> None:
        for row in sequence:
            if self._stopping or not _due(row, self.clock()):
                return
            if not await self._deliver_one(row):
                return

    async def _deliver_one(self, row: OutboxRecord) -> bool:
        """Deliver a row; False when the rest of its conversation must wait."""
        try:
            action = from_json(row.payload)
        except (ValueError, KeyError) as exc:
            await self.store.write(partial(self._give_up, row, f"unreadable outbox row: {exc}"))
            self._count(row, FAILED)
            return True
        try:
            ref = await self._channels[row.destination].deliver(action)
        except DeliveryError as exc:
            if exc.permanent or row.attempts + 1 >= self.max_attempts:
                log.warning("delivery %s to %s failed for good: %s", row.id, row.destination,
                            exc.reason)
                await self.store.write(partial(self._give_up, row, exc.reason))
                self.wake()
                self._count(row, FAILED)
                return True
            if exc.retry_after is not None and self.metrics is not None:
                self.metrics.rate_limited(row.destination, exc.retry_after)
            await self._retry_later(row, exc.reason, exc.retry_after)
            self._count(row, RETRY)
            return False
        except Exception as exc:
            log.exception("delivery %s to %s crashed", row.id, row.destination)
            await self._retry_later(row, f"{type(exc).__name__}: {exc}", None)
            self._count(row, RETRY)
            return False
        await self.store.write(partial(self._delivered, row, action, ref))
        self._count(row, DELIVERED)
        return True

    def _count(self, row: OutboxRecord, outcome: str) -> None:
        if self.metrics is None:
            return
        latency = None
        if outcome == DELIVERED and row.created_at is not None:
            latency = (self.clock() - row.created_at).total_seconds()
        self.metrics.delivery(row.destination, outcome, latency=latency)

    async def _retry_later(self, row: OutboxRecord, reason: str,
                           retry_after: float | None) -> None:
        backoff = min(self.max_delay, self.base_delay * 2 ** min(row.attempts, 16))
        delay = retry_after if retry_after is not None else random.uniform(backoff / 2, backoff)
        log.info("delivery %s to %s will be retried in %.1fs: %s", row.id, row.destination,
                 delay, reason)
        next_at = self.clock() + timedelta(seconds=delay)
        await self.store.write(lambda tx: tx.reschedule(row.id, next_at, reason))
        asyncio.get_running_loop().call_later(delay, self.wake)

    def _delivered(self, row: OutboxRecord, action: Action, ref: str | None, tx: Tx) -> None:
        now = self.clock()
        tx.mark_delivered(row.id, ref, now)
        message_id = getattr(action, "message_id", None)
        if row.destination != DESK and row.ticket_id is not None and message_id is not None:
            # The desk marks the agent's message as delivered (a reaction on Slack).
            _tell_desk(tx, DeskNotice(row.ticket_id, DeskEvent.DELIVERED,
                                      message_id=message_id), now)

    def _give_up(self, row: OutboxRecord, reason: str, tx: Tx) -> None:
        now = self.clock()
        tx.mark_failed(row.id, reason, now)
        if row.destination == DESK or row.ticket_id is None:
            return
        tx.add_ticket_event(ticket_id=row.ticket_id, actor_kind="system", actor_id="",
                            actor_name="", kind="delivery_failed", old_value=None,
                            new_value=reason, now=now)
        _tell_desk(tx, DeskNotice(row.ticket_id, DeskEvent.DELIVERY_FAILED,
                                  message_id=_message_id(row),
                                  text=Text("desk-delivery-failed", {"reason": reason})), now)


def _tell_desk(tx: Tx, notice: DeskNotice, now: datetime) -> None:
    tx.enqueue(destination=DESK, recipient=f"{DESK}:{notice.ticket_id}",
               payload=to_json(notice), ticket_id=notice.ticket_id, now=now)


def _message_id(row: OutboxRecord) -> int | None:
    try:
        return getattr(from_json(row.payload), "message_id", None)
    except (ValueError, KeyError):
        return None


def _due(row: OutboxRecord, now: datetime) -> bool:
    return row.next_attempt_at is None or row.next_attempt_at <= now
