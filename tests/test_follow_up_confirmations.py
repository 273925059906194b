"""A burst of follow-ups is confirmed once; the desk sees every line; a restart changes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.actions import DeskEvent
from bot.events import CustomerText
from bot.model import AgentOp
from tests.harness import FrozenClock, Harness, new_event_id
from tests.test_metrics import open_suggestion

ADDED = "Dopisano do zgłoszenia nr"


def confirmations(h: Harness, user: str = "u1") -> int:
    return sum(ADDED in h.render(m) for m in h.messages_to(user))


async def test_a_burst_of_lines_is_confirmed_once_and_every_line_reaches_the_desk(
        tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        number = await open_suggestion(h)
        sent_before = len(h.messages_to())
        for line in ("Jeszcze jedno:", "motyw powinien", "działać też w nocy"):
            await h.say(line)
            h.clock.advance(seconds=20)
        replies = h.messages_to()[sent_before:]
        assert [h.render(m) for m in replies] == [
            f"{ADDED} {number}. Zespół wsparcia zobaczy Twoją wiadomość."]
        notices = [n for n in h.desk_notices() if n.event is DeskEvent.CUSTOMER_MESSAGE]
        bodies = [(await h.store.ticket_message(n.message_id or 0)).body  # type: ignore[union-attr]
                  for n in notices]
        assert bodies == ["Jeszcze jedno:", "motyw powinien", "działać też w nocy"]


async def test_a_line_after_the_quiet_period_is_confirmed_again(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_suggestion(h)
        await h.say("pierwsza")
        h.clock.advance(minutes=4, seconds=59)
        await h.say("druga")  # within five minutes of "pierwsza"
        assert confirmations(h) == 1
        h.clock.advance(minutes=5)
        await h.say("trzecia")
        assert confirmations(h) == 2


async def test_the_quiet_period_is_kept_in_the_store_across_a_restart(tmp_path: Path) -> None:
    db, clock = tmp_path / "db.sqlite3", FrozenClock()
    async with Harness(db, clock=clock) as h:
        await open_suggestion(h)
        await h.say("przed restartem")
        assert confirmations(h) == 1
    clock.advance(minutes=1)
    async with Harness(db, clock=clock) as h:
        await h.send(CustomerText(new_event_id(), h.customer(), "po restarcie"))
        assert h.messages_to() == []  # the line went in silently
        assert [m.body for m in await h.store.ticket_messages(1)][-2:] == [
            "przed restartem", "po restarcie"]


async def test_each_customer_and_each_ticket_has_its_own_quiet_period(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_suggestion(h, user="u1")
        await open_suggestion(h, user="u2")
        await h.say("od pierwszego", user="u1")
        await h.say("od drugiego", user="u2")
        assert confirmations(h, "u1") == 1 and confirmations(h, "u2") == 1


async def test_a_reply_that_reopens_a_resolved_ticket_is_always_confirmed(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        number = await open_suggestion(h)
        await h.say("dopisuję")
        await h.agent_act(number, AgentOp.RESOLVE)
        reopened = await h.say("jednak nie działa")
        assert f"nr {number}" in reopened and ADDED not in reopened
        assert (await h.store.ticket(number)).status == "open"  # type: ignore[union-attr]


async def test_zero_quiet_minutes_confirms_every_line(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3", follow_up_quiet=timedelta(0)) as h:
        await open_suggestion(h)
        for line in ("raz", "dwa", "trzy"):
            await h.say(line)
        assert confirmations(h) == 3
