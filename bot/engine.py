"""The core engine: applies each inbound event in one transaction, then hands off delivery.

One transaction per event: the event id is recorded (a re-delivery is dropped), the
conversation step runs, and the ticket changes and outbox rows commit together. Only after
the commit is the event acknowledged to its platform and the outbox delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import NamedTuple

from bot.agent_desk import AgentDesk
from bot.config import EngineConfig
from bot.customer_flow import CustomerFlow
from bot.events import AgentEvent, CustomerText, InboundEvent
from bot.i18n import resolve_language
from bot.metrics import DUPLICATE, FAILED, PROCESSED, Metrics
from bot.text import clean_text, shorten
from bot.turn import Turn
from storage.store import Store
from storage.tx import Tx

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Outcome(NamedTuple):  # one per event: a tuple is built in a quarter of a dataclass's time
    duplicate: bool
    outbox_ids: tuple[int, ...] = ()
    ticket_ids: tuple[int, ...] = ()  # tickets the event touched, for the log line


class Engine:
    def __init__(
        self,
        store: Store,
        config: EngineConfig,
        *,
        clock: Clock = utc_now,
        on_outbox: Callable[[], None] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.on_outbox = on_outbox
        self.metrics = metrics

    async def handle(self, event: InboundEvent) -> Outcome:
        """Apply one event; returns once it is durably stored (safe to acknowledge)."""
        try:
            if isinstance(event, CustomerText) and not self.config.knowledge.ready:
                # In the first seconds after a start the help-article index is still being
                # built (the lemmatiser's dictionaries). A question would wait for it inside
                # the single writer and hold up every other event; it waits here, alone.
                # A build that fails here fails again where the index is used, and is reported.
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.config.knowledge.warm_up)
            outcome = await self.store.write(partial(self._apply, event))
        except Exception:
            _log_event(event, FAILED, (), logging.WARNING)
            if self.metrics is not None:
                self.metrics.inbound(_platform(event), FAILED)
            raise
        result = DUPLICATE if outcome.duplicate else PROCESSED
        _log_event(event, result, outcome.ticket_ids, logging.INFO)
        if self.metrics is not None:
            self.metrics.inbound(_platform(event), result)
        if outcome.outbox_ids and self.on_outbox is not None:
            self.on_outbox()
        return outcome

    def _apply(self, event: InboundEvent, tx: Tx) -> Outcome:
        now = self.clock()
        if not tx.mark_processed(event.event_id, now):
            log.debug("duplicate event %s dropped", event.event_id)
            return Outcome(duplicate=True)
        turn = Turn(tx, now)
        if isinstance(event, AgentEvent):
            AgentDesk(self.config, turn).handle(event)
        else:
            ref = event.customer
            customer = tx.upsert_customer(
                platform=ref.platform, user_id=ref.user_id, chat_id=ref.chat_id,
                display_name=shorten(clean_text(ref.display_name), 100), locale=ref.locale,
                timezone=ref.timezone,
                now=now,
            )
            language = resolve_language(customer.language, customer.locale,
                                        self.config.default_language)
            CustomerFlow(self.config, turn, customer, language).handle(event)
        touched = set(turn.ticket_ids)
        agent_ticket = getattr(event, "ticket_id", None)  # agent events name their ticket
        if isinstance(agent_ticket, int):
            touched.add(agent_ticket)
        return Outcome(duplicate=False, outbox_ids=tuple(turn.outbox_ids),
                       ticket_ids=tuple(sorted(touched)))


def _platform(event: InboundEvent) -> str:
    return event.agent.platform if isinstance(event, AgentEvent) else event.customer.platform


def _log_event(event: InboundEvent, outcome: str, tickets: tuple[int, ...], level: int) -> None:
    """One line per event: kind, platform, tickets and outcome, never what anyone wrote."""
    if not log.isEnabledFor(level):
        return
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()
    numbers = ",".join(f"#{t}" for t in tickets) or "-"
    log.log(level, "event %s from %s: %s (tickets %s)", kind, _platform(event), outcome,
            numbers, exc_info=level >= logging.WARNING,
            extra={"event_kind": kind, "platform": _platform(event), "outcome": outcome,
                   "tickets": list(tickets)})
