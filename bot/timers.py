"""Timers: overdue alerts, escalation to a supervisor, auto-close of quiet resolved tickets.

A timer is a row with a due time. The sweeper fires due rows in one transaction with their
effects, marking each fired as it goes, so a restart loses none and fires none twice. A timer
whose reason has gone (the agent answered, the customer reopened) fires as a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from bot.actions import Button, DeskEvent, Text
from bot.config import EngineConfig
from bot.i18n import resolve_language
from bot.model import AuthorKind, Status
from bot.turn import Actor, Turn
from storage.records import TicketRecord, TimerRecord
from storage.store import Store
from storage.tx import Tx

log = logging.getLogger(__name__)

OVERDUE = "overdue"
ESCALATE = "escalate"
AUTO_CLOSE = "auto_close"

SYSTEM = Actor(AuthorKind.SYSTEM, "", "")


def response_period(config: EngineConfig, priority: str) -> timedelta:
    """How long one promise lasts; reminders and escalation are counted in these periods."""
    return config.policy.first_response.get(priority, timedelta(hours=8))


def fire(turn: Turn, config: EngineConfig, timer: TimerRecord) -> None:
    ticket = turn.tx.ticket(timer.ticket_id)
    if ticket is None:
        return
    if timer.kind == OVERDUE:
        mark_overdue(turn, config, ticket)
    elif timer.kind == ESCALATE:
        escalate(turn, config, ticket)
    elif timer.kind == AUTO_CLOSE:
        auto_close(turn, config, ticket)
    else:
        log.warning("unknown timer kind %r on ticket %d", timer.kind, timer.ticket_id)


def _waiting_for_first_answer(ticket: TicketRecord) -> bool:
    return Status(ticket.status).is_active and ticket.first_response_at is None \
        and ticket.status != Status.WAITING


def mark_overdue(turn: Turn, config: EngineConfig, ticket: TicketRecord) -> bool:
    """Flag a ticket whose promise passed unanswered, alert the desk, start the escalation."""
    if not _waiting_for_first_answer(ticket) or ticket.overdue_at is not None:
        return False
    turn.tx.update_ticket(ticket.id, turn.now, overdue_at=turn.now)
    turn.record(ticket, SYSTEM, "overdue", None, ticket.first_response_due.isoformat()
                if ticket.first_response_due else None)
    turn.tell_desk(ticket.id, DeskEvent.ALERT, text=Text("desk-overdue", {
        "id": ticket.id, "due": ticket.first_response_due,
    }))
    turn.tx.add_timer(ticket.id, ESCALATE,
                      turn.now + response_period(config, ticket.priority), turn.now)
    return True


def escalate(turn: Turn, config: EngineConfig, ticket: TicketRecord) -> None:
    if not _waiting_for_first_answer(ticket) or ticket.escalated_at is not None:
        return
    turn.tx.update_ticket(ticket.id, turn.now, escalated_at=turn.now)
    turn.record(ticket, SYSTEM, "escalated", None, config.supervisor or None)
    turn.tell_desk(ticket.id, DeskEvent.ALERT, text=Text("desk-escalated", {
        "id": ticket.id, "supervisor": config.supervisor or Text("desk-no-supervisor"),
    }))


def auto_close(turn: Turn, config: EngineConfig, ticket: TicketRecord) -> None:
    if ticket.status != Status.RESOLVED or ticket.resolved_at is None:
        return
    if turn.now - ticket.resolved_at < config.auto_close_after:
        return  # resolved again later: that resolution has its own timer
    turn.set_status(ticket, Status.CLOSED, SYSTEM)
    customer = turn.tx.customer(ticket.customer_id)
    if customer is not None:
        language = resolve_language(customer.language, customer.locale,
                                    config.default_language)
        turn.say(customer, language, Text("notice-auto-closed", {"id": ticket.id}),
                 buttons=(Button(Text("button-new-ticket"), "m:new"),), ticket_id=ticket.id)
    turn.tell_desk(ticket.id, DeskEvent.UPDATED,
                   text=Text("desk-auto-closed", {"id": ticket.id}))


def fire_due(config: EngineConfig, now: datetime, tx: Tx) -> list[int]:
    """Fire every timer due by ``now``; returns the outbox rows created. Also forgets
    re-delivery ids older than the dedup window."""
    turn = Turn(tx, now)
    for timer in tx.due_timers(now):
        if tx.settle_timer(timer.id, now):
            fire(turn, config, timer)
    tx.forget_processed(now - config.dedup_window)
    return turn.outbox_ids


class TimerSweeper:
    def __init__(
        self,
        store: Store,
        config: EngineConfig,
        *,
        clock: Callable[[], datetime],
        on_outbox: Callable[[], None] | None = None,
        interval: float = 30.0,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.on_outbox = on_outbox
        self.interval = interval
        self._stopping = asyncio.Event()

    async def sweep(self) -> int:
        """Fire what is due now; returns how many outbox rows that created."""
        created = await self.store.write(partial(fire_due, self.config, self.clock()))
        if created and self.on_outbox is not None:
            self.on_outbox()
        return len(created)

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep()
            except Exception:
                log.exception("timer sweep failed; trying again next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    def stop(self) -> None:
        self._stopping.set()
