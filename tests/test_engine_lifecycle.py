"""A whole ticket's life through the engine, as a customer and an agent would see it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from bot import knowledge
from bot.actions import DeskEvent
from bot.model import AgentOp, Command, Status
from tests.harness import Harness


async def open_account_ticket(h: Harness, *, user: str = "u1", locale: str = "pl-PL",
                              question: str = "Nie pamiętam hasła do konta") -> int:
    """Ask a question, decline the articles, fill the account form and submit it."""
    pl = locale.startswith("pl")
    active = await h.store.list_tickets(statuses=["new", "open", "waiting"])
    if active:  # a question would be a follow-up now: start from the menu instead
        await h.command(Command.NEW, user=user, locale=locale)
    else:
        await h.say(question, user=user, locale=locale)
        await h.press_label("Załóż zgłoszenie" if pl else "Open a ticket", user=user,
                            locale=locale)
    await h.press_label("Konto i logowanie" if pl else "Account and login", user=user,
                        locale=locale)
    await h.say("Nie mogę się zalogować" if pl else "I cannot log in", user=user, locale=locale)
    if active:
        await h.say(question, user=user, locale=locale)
    await h.say("jan@example.com", user=user, locale=locale)
    for _ in range(3):  # error message, device, when: optional
        await h.press_label("Pomiń" if pl else "Skip", user=user, locale=locale)
    await h.press_label("Gotowe" if pl else "Done", user=user, locale=locale)  # attachments
    await h.press_label("Pomiń" if pl else "Skip", user=user, locale=locale)  # e-mail
    text = await h.press_label("Wyślij zgłoszenie" if pl else "Send ticket", user=user,
                               locale=locale)
    number = int(text.split("nr " if pl else "no. ")[1].split(".")[0])
    return number


async def test_whole_lifecycle_in_polish(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        articles = await h.say("Nie pamiętam hasła do konta")
        assert "Nie pamiętam hasła lub nie mogę się zalogować" in articles
        assert {"To mi pomogło", "Załóż zgłoszenie"} <= set(h.labels())

        await h.press_label("Załóż zgłoszenie")
        assert "Czego dotyczy zgłoszenie?" in h.last_text()
        await h.press_label("Konto i logowanie")
        assert "krótki temat" in h.last_text()
        await h.say("Nie mogę się zalogować")
        # The question became the description, so the form goes straight to the account.
        assert "adres e-mail konta" in h.last_text()
        await h.say("jan@example.com")
        for _ in range(3):
            await h.press_label("Pomiń")
        await h.press_label("Gotowe")
        summary = await h.press_label("Pomiń")
        assert "Temat: Nie mogę się zalogować" in summary
        assert "Opis: Nie pamiętam hasła do konta" in summary
        assert "Konto: jan@example.com" in summary

        created = await h.press_label("Wyślij zgłoszenie")
        assert "Przyjęliśmy zgłoszenie nr 1." in created
        # Monday 09:00 + 8 business hours = Monday 17:00? No: the day ends at 16:00,
        # so the promise is Tuesday 09:00 local.
        assert "wtorek, 24 listopada 2026, 09:00" in created
        assert h.desk_notices()[-1].event is DeskEvent.CREATED

        await h.agent_reply(1, "Zresetowaliśmy sesję, proszę spróbować ponownie.")
        reply = h.last_text()
        assert "Odpowiedź w zgłoszeniu nr 1 — Anna:" in reply
        assert "Zresetowaliśmy sesję" in reply
        assert (await h.store.ticket(1)).status == Status.OPEN  # type: ignore[union-attr]

        followup = await h.say("Dalej nie działa, ten sam błąd.")
        assert "Dopisano do zgłoszenia nr 1" in followup
        notice = h.desk_notices()[-1]
        assert notice.event is DeskEvent.CUSTOMER_MESSAGE
        stored = await h.store.ticket_message(notice.message_id or 0)
        assert stored is not None and stored.body == "Dalej nie działa, ten sam błąd."

        await h.agent_act(1, AgentOp.RESOLVE)
        assert "Zgłoszenie nr 1 zostało rozwiązane" in h.last_text()
        assert h.labels() == ["★ 1", "★★ 2", "★★★ 3", "★★★★ 4", "★★★★★ 5", "Otwórz ponownie"]

        listing = await h.command(Command.TICKETS)
        assert "Masz 1 zgłoszenie" in listing and "#1 Nie mogę się zalogować — rozwiązane" \
            in listing
        status = await h.command(Command.STATUS, "1")
        assert "Status: rozwiązane" in status
        assert "Anna: Zresetowaliśmy sesję" in status
        assert "Ty: Dalej nie działa" in status


async def test_whole_lifecycle_in_english(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        articles = await h.say("I forgot my password", locale="en-GB")
        assert "Forgotten password" in articles or "password" in articles.lower()
        number = await open_account_ticket(h, locale="en-GB", question="I forgot my password")
        assert number == 1
        assert "Expect a first answer by Tuesday, November 24, 2026, 9:00\u202fAM" in h.render(
            h.messages_to()[-1])

        await h.agent_reply(1, "We have reset your session.")
        assert h.last_text().startswith("Reply to ticket no. 1 — Anna:")
        assert "Added to ticket no. 1" in await h.say("Still broken.", locale="en-GB")
        await h.agent_act(1, AgentOp.ASK_INFO, "Which browser do you use?")
        assert "Anna needs more information for ticket no. 1:" in h.last_text()
        assert (await h.store.ticket(1)).status == Status.WAITING  # type: ignore[union-attr]
        await h.say("Firefox 128", locale="en-GB")
        assert (await h.store.ticket(1)).status == Status.OPEN  # type: ignore[union-attr]
        await h.agent_act(1, AgentOp.RESOLVE)
        assert "Ticket no. 1 has been resolved" in h.last_text()


async def test_restart_mid_form_continues_where_it_stood(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with Harness(db) as h:
        await h.command(Command.NEW)
        await h.press_label("Zamówienia i dostawa")
        await h.say("Paczka nie dotarła")
        assert "numer zamówienia" in h.last_text()
    async with Harness(db) as h:  # a new process on the same store
        await h.say("ORD-12345")
        assert "Opisz dokładnie problem" in h.last_text()
        await h.say("Status przesyłki stoi od tygodnia na 'w drodze'.")
        await h.press_label("Pomiń")
        await h.press_label("Gotowe")
        summary = await h.press_label("Pomiń")
        assert "Temat: Paczka nie dotarła" in summary
        assert "Numer zamówienia: ORD-12345" in summary


async def test_undelivered_messages_are_delivered_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with Harness(db) as h:
        await h.engine.handle(h_event := _start(h))  # stored, never delivered
        assert h.chat.delivered == []
        del h_event
    async with Harness(db) as h:
        await h.dispatcher.drain()
        assert "Dzień dobry" in h.last_text()


def _start(h: Harness):  # type: ignore[no-untyped-def]
    from bot.events import CustomerCommand
    from tests.harness import new_event_id

    return CustomerCommand(new_event_id(), h.customer(), Command.START)


async def test_duplicate_event_is_processed_once(tmp_path: Path) -> None:
    from bot.events import CustomerText

    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        event = CustomerText("telegram:update:777", h.customer(), "Jeszcze jedna informacja")
        first = await h.send(event)
        sent_before = len(h.chat.delivered)
        second = await h.send(event)
        assert not first.duplicate and second.duplicate
        assert len(h.chat.delivered) == sent_before
        bodies = [m.body for m in await h.store.ticket_messages(1)]
        assert bodies.count("Jeszcze jedna informacja") == 1


async def test_someone_elses_ticket_answers_like_a_missing_one(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        number = await open_account_ticket(h, user="owner")
        others = await h.command(Command.STATUS, str(number), user="intruder")
        missing = await h.command(Command.STATUS, "999", user="intruder")
        assert others.replace(str(number), "N") == missing.replace("999", "N")
        assert "Nie mogę się zalogować" not in others
        assert h.last_message("intruder").buttons == h.messages_to("intruder")[-2].buttons
        closing = await h.command(Command.CLOSE, str(number), user="intruder")
        assert "Nie znaleziono zgłoszenia" in closing
        assert (await h.store.ticket(number)).status == Status.NEW  # type: ignore[union-attr]


async def test_invalid_input_gets_a_message_and_keeps_the_form(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await h.command(Command.NEW)
        await h.press_label("Zwroty i reklamacje")
        await h.say("Zwrot butów")
        reply = await h.say("zamówienie ???")
        assert "Numer zamówienia składa się z 4–32 liter" in reply
        assert "Podaj numer zamówienia" in reply  # asked again
        await h.say("ORD-777")
        await h.say("Za małe.")  # too short for a description
        assert "co najmniej 10 znaków" in h.last_text()
        await h.say("Buty są za małe, chcę je odesłać.")
        await h.press_label("Gotowe")
        bad_mail = await h.say("jan@@example")
        assert "poprawny adres e-mail" in bad_mail
        summary = await h.say("jan@example.com")
        assert "Numer zamówienia: ORD-777" in summary
        assert "E-mail kontaktowy: jan@example.com" in summary


async def test_follow_up_with_several_open_tickets_asks_which(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        await open_account_ticket(h)
        ask = await h.say("Mam jeszcze pytanie")
        assert "Do którego dopisać" in ask
        assert h.labels()[:2] == ["#2 Nie mogę się zalogować", "#1 Nie mogę się zalogować"]
        done = await h.press_label("#1 Nie mogę się zalogować")
        assert "Dopisano do zgłoszenia nr 1" in done
        bodies = [m.body for m in await h.store.ticket_messages(1)]
        assert "Mam jeszcze pytanie" in bodies


async def test_internal_note_never_reaches_the_customer(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        sent = len(h.messages_to())
        await h.agent_note(1, "Klient dzwonił wczoraj, sprawdzić logi.")
        assert len(h.messages_to()) == sent
        assert h.desk_notices()[-1].event is DeskEvent.NOTE
        status = await h.command(Command.STATUS, "1")
        assert "sprawdzić logi" not in status


async def test_customer_closes_and_reopens(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        await h.command(Command.STATUS, "1")
        assert "Zamknięto zgłoszenie nr 1" in await h.press_label("Zamknij zgłoszenie")
        assert "jest znów otwarte" in await h.press_label("Otwórz ponownie")
        events = [(e.kind, e.new_value, e.actor_kind) for e in await h.store.ticket_events(1)]
        assert ("status", "closed", "customer") in events
        assert ("status", "open", "customer") in events


async def test_agent_actions_reach_the_customer_in_their_language(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h, locale="en-US", question="I forgot my password")
        await h.agent_act(1, AgentOp.CLAIM)
        assert h.last_text() == "Your ticket no. 1 is now handled by Anna."
        await h.agent_act(1, AgentOp.PRIORITY, "high")
        assert h.last_text() == "The priority of ticket no. 1 is now high."
        ticket = await h.store.ticket(1)
        assert ticket is not None and ticket.assignee_name == "Anna"
        assert ticket.priority == "high" and ticket.status == Status.OPEN
        await h.agent_act(1, AgentOp.BLOCK)
        assert "limited" in h.last_text()
        assert "blocked" in await h.say("hello?", locale="en-US")
        await h.agent_act(1, AgentOp.UNBLOCK)
        kinds = [(e.kind, e.actor_name) for e in await h.store.ticket_events(1)]
        assert ("assignee", "Anna") in kinds and ("priority", "Anna") in kinds


async def test_files_can_be_attached_at_any_step(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await h.command(Command.NEW)
        await h.press_label("Problem techniczny")
        reply = await h.send_file("screen.png")
        assert "Dodano plik" in reply and "krótki temat" in reply
        await h.say("Aplikacja się zawiesza")
        await h.say("Po otwarciu koszyka aplikacja się zawiesza.")
        await h.say("1. Otwórz koszyk 2. Dodaj produkt")
        await h.press_label("Pomiń")
        await h.say("Android 14, aplikacja 3.2")
        await h.press_label("Pomiń")
        await h.send_file("log.txt")
        await h.press_label("Gotowe")
        summary = await h.press_label("Pomiń")
        assert "2 załączniki." in summary
        await h.press_label("Wyślij zgłoszenie")
        messages = await h.store.ticket_messages(1)
        assert "screen.png" in messages[0].attachments and "log.txt" in messages[0].attachments


async def test_language_is_taken_from_locale_and_can_be_changed(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        assert "Hello!" in await h.command(Command.START, locale="en-US")
        assert "Dzień dobry!" in await h.command(Command.START, user="u2", locale="pl")
        await h.command(Command.LANGUAGE, user="u2", locale="pl")
        assert "From now on" in await h.press_label("English", user="u2", locale="pl")
        assert "Hello!" in await h.command(Command.START, user="u2", locale="pl")


async def test_bad_and_odd_input_gets_a_clear_message(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        assert "Wiadomość jest pusta" in await h.say("   \x00 ")
        assert "za długa (20\xa0001 znaków" in await h.say("x" * 20_001)
        assert "Nie znam polecenia /foo" in await h.command(Command.UNKNOWN, "/foo")
        assert "nieaktualny" in await h.press("f:ok")
        assert "nieaktualny" in await h.press("garbage-data")
        assert "Nie ma nic do anulowania" in await h.command(Command.CANCEL)


async def test_a_customer_asks_for_their_data_from_the_chat(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        await h.command(Command.PRIVACY)
        assert len(h.labels()) == 2
        await h.press("privacy:erase")
        notice = h.desk_notices()[-1]
        assert notice.text is not None and notice.text.key == "desk-privacy-request"
        kinds = [(e.kind, e.new_value) for e in await h.store.ticket_events(1)]
        assert ("privacy_request", "erase") in kinds


async def test_a_long_history_shows_the_newest_entries_and_counts_the_rest(
        tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        for n in range(14):
            await h.say(f"uzupełnienie {n}")
        await h.agent_note(1, "notatka wewnętrzna")
        status = await h.command(Command.STATUS, "1")
        # 16 visible entries (question, 14 follow-ups, "new" is not a change): 10 shown.
        assert "… i 5 wcześniejszych wpisów" in status
        assert "uzupełnienie 13" in status and "uzupełnienie 4" in status
        assert "uzupełnienie 3" not in status and "notatka" not in status


async def test_a_question_asked_while_the_article_index_is_built_holds_up_nobody_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The index needs the lemmatiser's dictionaries, seconds after a start; this stands in
    # for that load, so the test decides when it ends.
    loaded = threading.Event()
    build = knowledge._build_index

    def slow_build(*args: Any) -> Any:
        loaded.wait(20)
        return build(*args)

    monkeypatch.setattr(knowledge, "_build_index", slow_build)
    async with Harness(tmp_path / "db.sqlite3") as h:
        question = asyncio.create_task(h.say("Nie pamiętam hasła do konta", user="u1"))
        await asyncio.sleep(0.3)
        assert not question.done()  # it waits for the index...
        # ...while another customer is answered at once.
        menu = await asyncio.wait_for(h.command(Command.HELP, user="u2"), timeout=5)
        assert menu
        loaded.set()
        answer = await asyncio.wait_for(question, timeout=20)
    assert "hasł" in answer.lower()
