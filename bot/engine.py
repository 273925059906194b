"""The core engine: applies each inbound event in one transaction, then hands off delivery.

One transaction per event: the event id is recorded (a re-delivery is dropped), the
conversation step runs, and the ticket changes and outbox rows commit together. Only after
the commit is the event acknowledged to its platform and the outbox delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from bot.agent_desk import AgentDesk
from bot.config import EngineConfig
from bot.customer_flow import CustomerFlow
from bot.events import AgentEvent, InboundEvent
from bot.i18n import resolve_language
from bot.turn import Turn
from storage.store import Store
from storage.tx import Tx

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    duplicate: bool
    outbox_ids: tuple[int, ...] = ()


class Engine:
    def __init__(
        self,
        store: Store,
        config: EngineConfig,
        *,
        clock: Clock = utc_now,
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.on_outbox = on_outbox

    async def handle(self, event: InboundEvent) -> Outcome:
        """Apply one event; returns once it is durably stored (safe to acknowledge)."""
        outcome = await self.store.write(partial(self._apply, event))
        if outcome.outbox_ids and self.on_outbox is not None:
            self.on_outbox()
        return outcome

    def _apply(self, event: InboundEvent, tx: Tx) -> Outcome:
        now = self.clock()
        if not tx.mark_processed(event.event_id, now):
            log.info("duplicate event %s dropped", event.event_id)
            return Outcome(duplicate=True)
        turn = Turn(tx, now)
        if isinstance(event, AgentEvent):
            AgentDesk(self.config, turn).handle(event)
        else:
            ref = event.customer
            customer = tx.upsert_customer(
                platform=ref.platform, user_id=ref.user_id, chat_id=ref.chat_id,
                display_name=ref.display_name, locale=ref.locale, timezone=ref.timezone,
                now=now,
            )
            language = resolve_language(customer.language, customer.locale,
                                        self.config.default_language)
            CustomerFlow(self.config, turn, customer, language).handle(event)
        return Outcome(duplicate=False, outbox_ids=tuple(turn.outbox_ids))
