"""Delivery: in order per conversation, retried when transient, recorded when permanent."""

from __future__ import annotations

from pathlib import Path

from bot.actions import CustomerMessage, DeskEvent
from bot.delivery import DeliveryError
from bot.model import Command
from tests.harness import Harness
from tests.test_engine_lifecycle import open_account_ticket


async def test_transient_failures_are_retried_in_order(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        h.dispatcher.base_delay = 0.0
        await open_account_ticket(h)
        h.chat.failures = [DeliveryError("HTTP 502", permanent=False, retry_after=0.05)]
        await h.agent_reply(1, "pierwsza")
        await h.agent_reply(1, "druga")
        assert [m for m in h.messages_to() if "pierwsza" in h.render(m)] == []
        h.clock.advance(seconds=1)
        await h.dispatcher.drain()
        replies = [h.render(m) for m in h.messages_to() if "Odpowiedź" in h.render(m)]
        assert len(replies) == 2
        assert "pierwsza" in replies[0] and "druga" in replies[1]


async def test_a_permanent_failure_is_recorded_for_the_agents(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        h.chat.failures = [DeliveryError("Forbidden: bot was blocked by the user",
                                         permanent=True)]
        await h.agent_reply(1, "Czy problem nadal występuje?")
        events = await h.store.ticket_events(1)
        assert events[-1].kind == "delivery_failed"
        assert "blocked" in (events[-1].new_value or "")
        notice = h.desk_notices()[-1]
        assert notice.event is DeskEvent.DELIVERY_FAILED
        assert notice.text is not None and "blocked" in str(notice.text.params["reason"])
        # Nothing retries it: later deliveries go on.
        await h.command(Command.START)
        assert isinstance(h.chat.delivered[-1], CustomerMessage)
        assert await h.store.pending_outbox(["test", "desk"]) == []
