"""Property-based: any sequence of customer and agent events leaves the store consistent."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.events import (
    AgentAction,
    AgentNote,
    AgentRef,
    AgentReply,
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerFile,
    CustomerText,
)
from bot.model import ALLOWED_TRANSITIONS, AgentOp, Command, Status
from tests.harness import Harness, new_event_id

HOSTILE = ["", "   ", "x" * 30_000, "\x00\x01\x1b[31m", "\u202eevil\u202c", "\ud800 lone",
           "👩‍👩‍👧‍👦🏳️‍🌈", "<!channel> <@U123> *bold* <b>x</b>", "@everyone", "jan@example.com",
           "ORD-12345", "Nie pamiętam hasła", "Gdzie jest moja paczka?", "1", "Pomiń"]
BUTTONS = ["m:new", "m:tickets", "m:articles", "m:lang", "lang:en", "lang:pl", "cat:orders",
           "cat:account", "cat:suggestion", "cat:bogus", "f:skip", "f:done", "f:ok", "f:edit",
           "f:back", "f:cancel", "e:subject", "e:order_id", "kb:new", "kb:ok",
           "kb:a:password-reset", "t:1", "t:2", "tl:2", "fu:1", "fu:2", "fu:new", "close:1",
           "reopen:1", "close:2", "rate:1:5", "rate:1:9", "rc:skip", "remind:1", "prio:urgent",
           "garbage", "x" * 64]
CUSTOMERS = ["alice", "bob"]

customer_step = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(CUSTOMERS), st.sampled_from(HOSTILE)),
    st.tuples(st.just("text"), st.sampled_from(CUSTOMERS), st.text(max_size=50)),
    st.tuples(st.just("button"), st.sampled_from(CUSTOMERS), st.sampled_from(BUTTONS)),
    st.tuples(st.just("command"), st.sampled_from(CUSTOMERS), st.sampled_from(list(Command))),
    st.tuples(st.just("file"), st.sampled_from(CUSTOMERS), st.just("")),
)
agent_step = st.tuples(st.just("agent"), st.integers(min_value=1, max_value=3),
                       st.sampled_from([*list(AgentOp), "reply", "note"]))
time_step = st.tuples(st.just("time"), st.integers(min_value=1, max_value=60 * 24 * 8),
                      st.just(""))
# A whole intake in one step, so that tickets exist often enough for agents to act on.
intake_step = st.tuples(st.just("intake"), st.sampled_from(CUSTOMERS), st.just(""))
steps = st.lists(st.one_of(customer_step, intake_step, agent_step, agent_step, time_step),
                 min_size=1, max_size=40)


async def play(db: Path, script: list[tuple[Any, ...]]) -> tuple[set[int], Harness]:
    agent = AgentRef("test", "A1", "Anna")
    announced: set[int] = set()
    async with Harness(db, max_open_tickets=3) as h:
        for kind, who, what in script:
            if kind == "time":
                h.clock.advance(minutes=who)
                await h.sweep()
                continue
            if kind == "intake":
                customer = h.customer(who)
                for event in (CustomerCommand(new_event_id(), customer, Command.CANCEL),
                              CustomerCommand(new_event_id(), customer, Command.NEW),
                              ButtonPress(new_event_id(), customer, "cat:suggestion"),
                              CustomerText(new_event_id(), customer, "Temat zgłoszenia"),
                              CustomerText(new_event_id(), customer, "Opis, co najmniej 10."),
                              ButtonPress(new_event_id(), customer, "f:ok")):
                    announced |= set((await h.engine.handle(event)).outbox_ids)
                await h.dispatcher.drain()
                continue
            event: Any
            eid = new_event_id()
            if kind == "agent":
                if what == "reply":
                    event = AgentReply(eid, agent, who, "Odpowiedź <@U1>")
                elif what == "note":
                    event = AgentNote(eid, agent, who, "notatka")
                else:
                    value = {"priority": "high", "assign": "Piotr", "canned": "greeting",
                             "ask_info": "Który numer?"}.get(str(what), "")
                    event = AgentAction(eid, agent, who, AgentOp(what), value)
            else:
                customer = h.customer(who)
                if kind == "text":
                    event = CustomerText(eid, customer, what)
                elif kind == "button":
                    event = ButtonPress(eid, customer, what)
                elif kind == "command":
                    event = CustomerCommand(eid, customer, what, "1")
                else:
                    event = CustomerFile(eid, customer, Attachment("photo", "f1", "a.png"))
            outcome = await h.engine.handle(event)
            announced |= set(outcome.outbox_ids)
            await h.dispatcher.drain()
        return announced, h


def check_consistency(db: Path, announced: set[int]) -> None:
    conn = sqlite3.connect(db)
    orphans = conn.execute(
        "SELECT COUNT(*) FROM ticket_messages m LEFT JOIN tickets t ON t.id = m.ticket_id "
        "WHERE t.id IS NULL").fetchone()[0]
    assert orphans == 0, "a message belongs to no ticket"
    assert conn.execute(
        "SELECT COUNT(*) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id "
        "WHERE c.id IS NULL").fetchone()[0] == 0
    for ticket_id, status in conn.execute("SELECT id, status FROM tickets"):
        history = conn.execute(
            "SELECT old_value, new_value FROM ticket_events WHERE ticket_id = ? AND "
            "kind = 'status' ORDER BY id", (ticket_id,)).fetchall()
        current = Status.NEW
        for old, new in history:
            assert Status(old) == current, f"#{ticket_id} history skips a state"
            assert Status(new) in ALLOWED_TRANSITIONS[current], f"#{ticket_id}: {old}->{new}"
            current = Status(new)
        assert current == status, f"#{ticket_id} status disagrees with its history"
    rows = dict(conn.execute("SELECT id, delivered_at IS NOT NULL OR failed_at IS NOT NULL "
                             "FROM outbox").fetchall())
    assert announced <= set(rows), "an outbox row the engine created is missing"
    assert all(rows.values()), "an outbox row was neither delivered nor recorded as failed"
    conn.close()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(script=steps)
def test_any_sequence_of_events_keeps_the_store_consistent(
        script: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "db.sqlite3"
        announced, _ = asyncio.run(play(db, script))
        check_consistency(db, announced)
