"""The writer remembers customers, conversations and active tickets between batches; what it
remembers never outlives a change made elsewhere or a change that rolled back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.model import AgentOp, Command
from storage.tx import Tx
from tests.harness import Harness
from tests.test_metrics import open_suggestion

ADDED = "Dopisano do zgłoszenia nr"


def another_program(db: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    """A write by something other than the bot (a CLI command, an admin's sqlite3 shell)."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql, params)
    conn.close()


async def test_a_customer_blocked_by_another_program_is_blocked_at_once(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with Harness(db) as h:
        await open_suggestion(h)
        assert ADDED in await h.say("dopisuję")  # the writer now remembers this customer
        another_program(db, "UPDATE customers SET blocked = 1 WHERE platform_user_id = 'u1'")
        answer = await h.say("i jeszcze to")
        assert ADDED not in answer
        assert "zablokowan" in answer.lower()


async def test_a_ticket_closed_by_another_program_takes_no_more_follow_ups(
        tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with Harness(db) as h:
        number = await open_suggestion(h)
        await h.say("dopisuję")  # remembered as the customer's one active ticket
        another_program(db, "UPDATE tickets SET status = 'closed' WHERE id = ?", (number,))
        before = len(await h.store.ticket_messages(number))
        await h.say("Jak zmienić hasło?")
        assert len(await h.store.ticket_messages(number)) == before


async def test_what_a_rolled_back_event_changed_is_not_remembered(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        number = await open_suggestion(h)
        customer = await h.store.customer_by_identity("test", "u1")
        assert customer is not None

        def half_done(tx: Tx) -> None:
            assert tx.conversation(customer.id) is None
            tx.save_conversation(customer.id, "field", {"category": "x"}, h.clock())
            raise RuntimeError("the event fails after changing the conversation")

        with pytest.raises(RuntimeError):
            await h.store.write(half_done)
        # Had the writer kept the rolled-back state, this would be taken as a form answer.
        assert f"{ADDED} {number}" in await h.say("dopisuję")


async def test_a_ticket_reopened_beside_a_remembered_one_is_offered_too(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        first = await open_suggestion(h)
        await h.agent_act(first, AgentOp.RESOLVE)
        second = await open_suggestion(h)
        assert f"{ADDED} {second}" in await h.say("do drugiego")  # remembered: one active
        await h.command(Command.REOPEN, str(first))
        # Two active tickets now: the customer is asked which one, not routed to the second.
        assert "Do którego dopisać" in await h.say("a to do którego?")
        assert set(h.labels()) >= {f"#{first} Ciemny motyw", f"#{second} Ciemny motyw"}
