"""Support operations with time frozen: promises, priorities, reminders and escalation, fair
use, auto-close, satisfaction, canned replies and round-robin assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.actions import DeskEvent
from bot.events import AgentAvailability, AgentRef, CustomerText
from bot.model import AgentOp, Command, Priority, Status
from tests.harness import FrozenClock, Harness, new_event_id
from tests.test_engine_lifecycle import open_account_ticket


async def submit_suggestion(h: Harness, *, user: str = "u1", locale: str = "pl-PL",
                            priority: str | None = None) -> str:
    """The shortest form there is (subject and description), for timing tests."""
    pl = locale.startswith("pl")
    await h.command(Command.NEW, user=user, locale=locale)
    await h.press_label("Sugestia" if pl else "Suggestion", user=user, locale=locale)
    if priority is not None:
        await h.press(f"prio:{priority}", user=user, locale=locale)
    await h.say("Ciemny motyw" if pl else "Dark mode", user=user, locale=locale)
    await h.say("Proszę o ciemny motyw w aplikacji." if pl else "Please add a dark mode.",
                user=user, locale=locale)
    return await h.press_label("Wyślij zgłoszenie" if pl else "Send ticket", user=user,
                               locale=locale)


# -- the promise, in the customer's language and time zone ---------------------------------
@pytest.mark.parametrize(("locale", "expected"), [
    ("pl-PL", "Pierwszej odpowiedzi możesz spodziewać się do: wtorek, 7 kwietnia 2026, 12:00."),
    ("en-GB", "Expect a first answer by Tuesday, April 7, 2026, 12:00\u202fPM."),
])
async def test_friday_evening_before_easter_monday(tmp_path: Path, locale: str,
                                                   expected: str) -> None:
    # Friday 17:00 in Warsaw: 4 h on Saturday morning, Easter Sunday and Monday closed,
    # then 4 h on Tuesday from 08:00.
    clock = FrozenClock(datetime(2026, 4, 3, 15, 0, tzinfo=UTC))
    async with Harness(tmp_path / "db.sqlite3", clock=clock) as h:
        assert expected in await submit_suggestion(h, locale=locale)


async def test_promise_across_the_autumn_clock_change(tmp_path: Path) -> None:
    # Saturday 12:00 CEST: 1 h that morning, then Monday after the change to CET.
    clock = FrozenClock(datetime(2026, 10, 24, 10, 0, tzinfo=UTC))
    async with Harness(tmp_path / "db.sqlite3", clock=clock) as h:
        assert "poniedziałek, 26 października 2026, 15:00" in await submit_suggestion(h)


async def test_urgent_is_served_on_sundays_for_a_priority_plan(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))  # Sunday 10:00 in Warsaw
    async with Harness(tmp_path / "db.sqlite3", clock=clock,
                       priority_customers=("test:vip-*",)) as h:
        text = await submit_suggestion(h, user="vip-1", priority="urgent")
        assert "niedziela, 22 listopada 2026, 12:00" in text
        ticket = await h.store.ticket(1)
        assert ticket is not None and ticket.priority == Priority.URGENT


async def test_the_promise_uses_the_customers_own_time_zone(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        customer = h.customer()
        ny = type(customer)(customer.platform, customer.user_id, customer.chat_id,
                            customer.display_name, "en-US", "America/New_York")
        await h.send(CustomerText(new_event_id(), ny, "hello"))
        text = await submit_suggestion(h, locale="en-US")
        # Tuesday 09:00 in Warsaw is 03:00 in New York.
        assert "Tuesday, November 24, 2026, 3:00\u202fAM" in text


# -- priorities ----------------------------------------------------------------------------
async def test_customers_without_a_plan_cannot_pick_priority(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3", priority_customers=("test:vip-*",)) as h:
        await h.command(Command.NEW)
        await h.press_label("Sugestia")
        assert "krótki temat" in h.last_text()
        assert "nieaktualny" in await h.press("prio:urgent")  # a forged button does nothing
        await h.command(Command.NEW, user="vip-2")
        await h.press_label("Sugestia", user="vip-2")
        assert h.labels("vip-2") == ["normalny", "wysoki", "pilny", "Anuluj"]


async def test_higher_priority_sorts_first_for_agents(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3", priority_customers=("test:*",),
                       max_open_tickets=10) as h:
        for priority in ("normal", "urgent", "high"):
            await submit_suggestion(h, priority=priority)
        await h.agent_act(1, AgentOp.PRIORITY, "low")
        listed = await h.store.list_tickets()
        assert [t.priority for t in listed] == ["urgent", "high", "low"]


# -- reminders and escalation ------------------------------------------------------------------
async def test_reminder_and_escalation_ladder_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    clock = FrozenClock()  # Monday 09:00 Warsaw; normal tickets are due Tuesday 09:00
    async with Harness(db, clock=clock, supervisor="<@UBOSS>") as h:
        await submit_suggestion(h)
        assert "nie minął" in await h.command(Command.REMIND, "1")
        clock.advance(hours=23, minutes=59)
        await h.sweep()
        assert (await h.store.ticket(1)).overdue_at is None  # type: ignore[union-attr]
        clock.advance(minutes=2)  # past the promise
        await h.command(Command.STATUS, "1")
        assert "Wyślij przypomnienie" in h.labels()
        assert "Wysłaliśmy przypomnienie" in await h.press_label("Wyślij przypomnienie")
        alerts = [n.text.key for n in h.desk_notices() if n.text is not None]
        assert alerts[-2:] == ["desk-overdue", "desk-reminder"]
        assert "już wysłane" in await h.command(Command.REMIND, "1")
    clock.advance(hours=8, minutes=1)  # a second period later, in a new process
    async with Harness(db, clock=clock, supervisor="<@UBOSS>") as h:
        await h.sweep()
        await h.sweep()  # fires nothing twice
        escalations = [n for n in h.desk_notices()
                       if n.text is not None and n.text.key == "desk-escalated"]
        assert len(escalations) == 1
        assert escalations[0].text is not None
        assert escalations[0].text.params["supervisor"] == "<@UBOSS>"
        ticket = await h.store.ticket(1)
        assert ticket is not None and ticket.escalated_at is not None
        kinds = [e.kind for e in await h.store.ticket_events(1)]
        assert kinds.count("overdue") == 1 and kinds.count("escalated") == 1


async def test_an_answered_ticket_is_never_flagged_overdue(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await submit_suggestion(h)
        await h.agent_reply(1, "Dzięki, przekażemy zespołowi produktu.")
        h.clock.advance(days=3)
        await h.sweep()
        assert not [n for n in h.desk_notices() if n.event is DeskEvent.ALERT]
        assert "nie trzeba przypominać" in await h.command(Command.REMIND, "1")


# -- fair use ------------------------------------------------------------------------------
async def test_message_limit_survives_a_restart_and_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    clock = FrozenClock()
    async with Harness(db, clock=clock) as h:
        await open_account_ticket(h)
    quiet = timedelta(0)  # every follow-up confirmed: what this test counts are the throttled ones
    async with Harness(db, clock=clock, messages_per_minute=3, follow_up_quiet=quiet) as h:
        for n in range(3):
            assert "Dopisano" in await h.say(f"wiadomość {n}")
        assert "dużo wiadomości naraz" in await h.say("wiadomość 3")
    async with Harness(db, clock=clock, messages_per_minute=3,
                       follow_up_quiet=quiet) as h:  # restarted
        await h.send(CustomerText(new_event_id(), h.customer(), "wiadomość 4"))
        assert h.chat.delivered == []  # still throttled: no automatic reply, told once
        bodies = [m.body for m in await h.store.ticket_messages(1)]
        assert [f"wiadomość {n}" for n in range(5)] == bodies[-5:]
        alerts = [n.text.key for n in h.desk_notices() if n.text is not None]
        assert alerts.count("desk-throttled") == 0  # announced once, before the restart
        clock.advance(minutes=1)
        assert "Dopisano" in await h.say("wiadomość 5")


async def test_open_ticket_limit(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3", max_open_tickets=1) as h:
        await submit_suggestion(h)
        assert "Masz już 1 otwarte zgłoszenie" in await h.command(Command.NEW)


async def test_agents_block_and_unblock(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await submit_suggestion(h)
        await h.agent_act(1, AgentOp.BLOCK)
        assert "zablokowane" in await h.say("halo?")
        await h.agent_act(1, AgentOp.UNBLOCK)
        assert "Dopisano" in await h.say("halo?")


# -- auto-close and reopening ---------------------------------------------------------------
async def test_auto_close_reopen_and_linked_new_ticket(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await submit_suggestion(h)
        await h.agent_act(1, AgentOp.RESOLVE)
        h.clock.advance(days=6)
        await h.sweep()
        assert "ponownie otwarte, a Twoja wiadomość" in await h.say("Jednak jeszcze jedno")
        assert (await h.store.ticket(1)).status == Status.OPEN  # type: ignore[union-attr]
        await h.agent_act(1, AgentOp.RESOLVE)
        h.clock.advance(days=7, minutes=1)
        await h.sweep()
        assert "automatycznie zamknięte" in h.last_text()
        assert (await h.store.ticket(1)).status == Status.CLOSED  # type: ignore[union-attr]
        offer = await h.say("Nie pamiętam hasła")
        assert "połączymy je z poprzednim" in offer
        await h.press_label("Załóż zgłoszenie")
        await h.press_label("Sugestia")
        await h.say("Nowy temat")
        await h.press_label("Wyślij zgłoszenie")
        ticket = await h.store.ticket(2)
        assert ticket is not None and ticket.related_ticket_id == 1


# -- satisfaction ----------------------------------------------------------------------------
async def test_rating_and_comment_are_stored(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await submit_suggestion(h)
        await h.agent_act(1, AgentOp.RESOLVE)
        assert "Jak oceniasz pomoc?" in h.last_text()
        assert "4/5" in await h.press_label("★★★★ 4")
        assert "Dziękujemy za komentarz" in await h.say("Szybko i konkretnie.")
        ticket = await h.store.ticket(1)
        assert ticket is not None and ticket.rating == 4
        assert ticket.rating_comment == "Szybko i konkretnie."
        assert "już ocenione" in await h.press("rate:1:5")


# -- canned replies and assignment ------------------------------------------------------------
async def test_canned_reply_in_the_customers_language(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await submit_suggestion(h, locale="en-GB")
        await h.agent_act(1, AgentOp.CANNED, "greeting")
        assert "Hello Jan! Thank you for ticket no. 1 — we are on it." in h.last_text()
        await h.agent_act(1, AgentOp.CANNED, "no-such-reply")
        notice = h.desk_notices()[-1]
        assert notice.text is not None and notice.text.key == "desk-unknown-canned"
        assert "greeting" in str(notice.text.params["names"])


async def test_round_robin_among_available_agents(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3", auto_assign=True, max_open_tickets=10) as h:
        anna, piotr = AgentRef("test", "A1", "Anna"), AgentRef("test", "P1", "Piotr")
        await h.send(AgentAvailability(new_event_id(), anna, True))
        await h.send(AgentAvailability(new_event_id(), piotr, True))
        for _ in range(3):
            await submit_suggestion(h)
        await h.send(AgentAvailability(new_event_id(), anna, False))
        await submit_suggestion(h)
        assignees = [(await h.store.ticket(n)).assignee_name for n in (1, 2, 3, 4)]  # type: ignore[union-attr]
        assert assignees == ["Anna", "Piotr", "Anna", "Piotr"]
