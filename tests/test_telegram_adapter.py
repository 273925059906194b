"""The Telegram adapter, end to end: real python-telegram-bot, real runtime, local Bot API.

Each test is what a person in Telegram would do and see; the stand-in enforces Telegram's rules
(4096 characters, 64-byte callback data, 429 when a chat gets more than a message a second).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.actions import Button, CustomerMessage, Text, attachments_from_json
from bot.events import (
    AgentAction,
    AgentDelete,
    AgentEdit,
    AgentRef,
    AgentReply,
    Attachment,
    InboundEvent,
)
from bot.model import AgentOp
from storage.store import StoreError
from tests.standins.telegram_api import TelegramStandIn
from tests.telegram_harness import USER, Rig, running_bot

PHOTO = b"\xff\xd8\xff\xe0fake-jpeg-screenshot"
AGENT = AgentRef("slack", "U1", "Anna")
_agent_events = iter(range(1, 10_000))


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@pytest.fixture
async def tg() -> AsyncIterator[TelegramStandIn]:
    # A 429 caused by network jitter costs 0.2 s, not Telegram's whole seconds.
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as stand_in:
        yield stand_in


@pytest.fixture
async def rig(tg: TelegramStandIn, tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_bot(tg, tmp_path / "db.sqlite3") as running:
        yield running


async def agent(rig: Rig, event: InboundEvent) -> None:
    """What the agents' desk does with an agent's action (the Slack desk is tested apart)."""
    await rig.runtime.engine.handle(event)


def agent_event_id() -> str:
    return f"slack:test:{next(_agent_events)}"


LABELS = {
    "pl": ("Inne", "Gotowe", "Pomiń", "Wyślij zgłoszenie", "zgłoszenie nr "),
    "en": ("Other", "Done", "Skip", "Send ticket", "ticket no. "),
}


async def open_ticket_by_taps(rig: Rig, *, user: int = USER, language: str = "pl") -> int:
    """The shortest intake: /new, "other", subject, description, done, skip, send."""
    other, done, skip, send, number = LABELS[language]
    await rig.command("/new", user=user, language=language)
    await rig.press(other, user=user, language=language)
    await rig.say("Nie mogę zmienić adresu", user=user, language=language)
    await rig.say("Formularz zmiany adresu nie zapisuje zmian.", user=user, language=language)
    await rig.press(done, user=user, language=language)  # attachments
    await rig.press(skip, user=user, language=language)  # e-mail
    created = await rig.press(send, user=user, language=language)
    assert number in created
    return int(created.split(number)[1].split(".")[0])


# -- the scenarios of the issue ------------------------------------------------------------------
async def test_whole_intake_by_button_taps_in_polish(rig: Rig) -> None:
    tg = rig.tg
    welcome = await rig.command("/start")
    assert welcome.startswith("Dzień dobry!")
    assert tg.buttons(USER) == [["Nowe zgłoszenie", "Moje zgłoszenia"],
                                ["Artykuły pomocy", "Język / Language"]]

    assert "Czego dotyczy zgłoszenie?" in await rig.press("Nowe zgłoszenie")
    assert "Zamówienia i dostawa" in rig.labels()
    assert "krótki temat" in await rig.press("Zamówienia i dostawa")
    assert "numer zamówienia" in await rig.say("Paczka nie dotarła")
    assert "Opisz dokładnie problem" in await rig.say("ORD-12345")
    assert "Kiedy to się stało?" in await rig.say(
        "Kurier oznaczył paczkę jako doręczoną, ale jej nie dostałem.")
    assert "zrzuty ekranu" in await rig.press("Pomiń")
    assert "Dodano plik" in await rig.expect_reply(lambda: tg.push_photo(USER, PHOTO))
    assert "adres e-mail" in await rig.press("Gotowe")
    summary = await rig.press("Pomiń")
    assert "Sprawdź zgłoszenie:" in summary
    assert "Numer zamówienia: ORD-12345" in summary and "1 załącznik." in summary
    assert ["Popraw pole", "Anuluj"] in tg.buttons(USER)

    assert "Które pole chcesz poprawić?" in await rig.press("Popraw pole")
    assert "krótki temat" in await rig.press("Temat")
    assert "Temat: Paczka z zamówienia nie dotarła" in await rig.say(
        "Paczka z zamówienia nie dotarła")
    created = await rig.press("Wyślij zgłoszenie")
    assert "Przyjęliśmy zgłoszenie nr 1." in created

    # Every tap was answered, so no button kept spinning.
    assert len(tg.callback_answers) == 8
    ticket = await rig.runtime.store.ticket(1)
    assert ticket is not None and ticket.subject == "Paczka z zamówienia nie dotarła"
    assert ticket.fields["order_id"] == "ORD-12345"
    # The screenshot is in the ticket with what is needed to fetch it again for the desk.
    messages = await rig.runtime.store.ticket_messages(1)
    (photo,) = attachments_from_json(messages[0].attachments)
    assert (photo.kind, photo.source, photo.mime_type) == ("photo", "telegram", "image/jpeg")
    assert await rig.runtime.fetch_file(photo) == PHOTO


async def test_the_menu_is_registered_in_polish_and_english(rig: Rig) -> None:
    polish = rig.tg.commands_for("all_private_chats", "pl")
    english = rig.tg.commands_for("all_private_chats", "en")
    names = ["start", "new", "tickets", "status", "help", "language", "cancel"]
    assert [c["command"] for c in polish] == names == [c["command"] for c in english]
    assert polish[1]["description"] == "Załóż nowe zgłoszenie"
    assert english[1]["description"] == "Open a new ticket"
    assert rig.tg.commands_for("all_private_chats", "") == polish  # the default language


async def test_language_follows_the_app_until_the_person_picks_one(rig: Rig) -> None:
    assert (await rig.command("/start", language="en")).startswith("Hello")
    await rig.command("/language", language="en")
    assert "Od teraz rozmawiamy po polsku." in await rig.press("Polski", language="en")
    assert (await rig.command("/help", language="en")).startswith("Dzień dobry!")


async def test_a_question_answered_by_an_article(rig: Rig) -> None:
    found = await rig.say("Nie pamiętam hasła do konta")
    assert "Znalazłem" in found
    assert {"To mi pomogło", "Załóż zgłoszenie"} <= set(rig.labels())
    read = next(label for label in rig.labels() if label.startswith("Czytaj: "))
    article = await rig.press(read)
    assert read.removeprefix("Czytaj: ").rstrip("…") in article
    assert "Cieszę się" in await rig.press("To mi pomogło")
    assert await rig.runtime.store.list_tickets() == []


async def test_an_agent_reply_arrives_escaped_with_its_files(rig: Rig) -> None:
    class DeskFiles:
        async def fetch(self, attachment: Attachment) -> bytes:
            return b"%PDF-1.7 instrukcja"

    rig.runtime.files["slack"] = DeskFiles()
    number = await open_ticket_by_taps(rig)
    guide = Attachment("document", "F123", "instrukcja.pdf", "application/pdf", 19, "slack")
    before = len(rig.tg.messages_for(USER))
    await agent(rig, AgentReply(agent_event_id(), AGENT, number,
                                "Proszę kliknąć <b>Zapisz</b> & <a href='x'>tu</a>", (guide,)))
    await rig.tg.wait_sent(USER, before + 2)
    text, document = rig.tg.messages_for(USER)[before:]
    assert text.visible_text == (f"Odpowiedź w zgłoszeniu nr {number} — Anna:\n"
                                 "Proszę kliknąć <b>Zapisz</b> & <a href='x'>tu</a>")
    assert text.parse_mode == "HTML" and "&lt;b&gt;Zapisz&lt;/b&gt; &amp;" in (text.text or "")
    assert (document.method, document.file_name) == ("sendDocument", "instrukcja.pdf")
    assert document.file_bytes == b"%PDF-1.7 instrukcja"

    await agent(rig, AgentAction(agent_event_id(), AGENT, number, AgentOp.ASK_INFO,
                                 "Z jakiej przeglądarki korzystasz?"))
    await rig.settle()
    assert "Anna prosi o dodatkowe informacje" in (rig.last().visible_text or "")
    await agent(rig, AgentAction(agent_event_id(), AGENT, number, AgentOp.RESOLVE))
    await rig.settle()
    assert f"Zgłoszenie nr {number} zostało rozwiązane" in (rig.last().visible_text or "")
    assert rig.tg.buttons(USER) == [["★ 1", "★★ 2", "★★★ 3", "★★★★ 4", "★★★★★ 5"],
                                    ["Otwórz ponownie"]]
    assert "Dziękujemy za ocenę: 5/5." in await rig.press("★★★★★ 5")


async def test_the_team_speaks_to_each_customer_in_their_language(rig: Rig) -> None:
    ann = 777
    number = await open_ticket_by_taps(rig, user=ann, language="en")
    await agent(rig, AgentReply(agent_event_id(), AGENT, number, "Please try again."))
    await agent(rig, AgentAction(agent_event_id(), AGENT, number, AgentOp.ASK_INFO,
                                 "Which browser?"))
    await agent(rig, AgentAction(agent_event_id(), AGENT, number, AgentOp.RESOLVE))
    await rig.tg.wait_sent(ann, 10)
    await rig.settle()
    texts = [m.visible_text or "" for m in rig.tg.messages_for(ann)[-3:]]
    assert texts[0] == f"Reply to ticket no. {number} — Anna:\nPlease try again."
    assert texts[1].startswith(f"Anna needs more information for ticket no. {number}:")
    assert texts[2].startswith(f"Ticket no. {number} has been resolved.")


async def test_the_token_never_reaches_the_logs(
        tg: TelegramStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(tg, tmp_path / "db.sqlite3") as rig:
        await rig.command("/start")
        await rig.press("Nowe zgłoszenie")
    assert caplog.records
    assert not [r for r in caplog.records if tg.token in r.getMessage()]


async def test_an_agent_edit_and_withdrawal_change_what_the_customer_sees(rig: Rig) -> None:
    number = await open_ticket_by_taps(rig)
    original = agent_event_id()
    await agent(rig, AgentReply(original, AGENT, number, "Prosze zrestartowac"))
    await rig.settle()
    sent = rig.last()
    await agent(rig, AgentEdit(agent_event_id(), AGENT, number, original, "Proszę zrestartować."))
    await rig.settle()
    shown = rig.tg.current_message(USER, sent.message_id)
    assert shown is not None and shown["text"].endswith("Proszę zrestartować.")
    await agent(rig, AgentDelete(agent_event_id(), AGENT, number, original))
    await rig.settle()
    assert rig.tg.current_message(USER, sent.message_id) is None


async def test_status_and_list(rig: Rig) -> None:
    assert "Nie masz jeszcze żadnych zgłoszeń" in await rig.command("/tickets")
    number = await open_ticket_by_taps(rig)
    listing = await rig.command("/tickets")
    assert "Masz 1 zgłoszenie" in listing
    assert f"#{number} Nie mogę zmienić adresu — nowe" in listing
    status = await rig.command(f"/status {number}")
    assert f"Zgłoszenie nr {number}: Nie mogę zmienić adresu" in status
    assert "Status: nowe" in status
    assert "Nie znaleziono zgłoszenia nr 99" in await rig.command("/status 99")
    assert "Nie znam polecenia /foo" in await rig.command("/foo")


async def test_a_restart_mid_form_continues_where_it_stood(tg: TelegramStandIn,
                                                          tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(tg, db) as first:
        await first.command("/new")
        await first.press("Zamówienia i dostawa")
        await first.say("Paczka nie dotarła")
        assert "Opisz dokładnie problem" in await first.say("ORD-12345")
        assert "Kiedy to się stało?" in await first.say(
            "Kurier oznaczył paczkę jako doręczoną, ale jej nie dostałem.")
    async with running_bot(tg, db) as second:  # a new process on the same store
        # A button of a message the first process sent still means the same.
        assert "zrzuty ekranu" in await second.press("Pomiń")
        await second.press("Gotowe")
        summary = await second.press("Pomiń")
        assert "Temat: Paczka nie dotarła" in summary and "ORD-12345" in summary
        assert "Przyjęliśmy zgłoszenie nr 1." in await second.press("Wyślij zgłoszenie")


async def test_an_update_delivered_twice_is_taken_in_once(rig: Rig) -> None:
    tg = rig.tg
    await rig.command("/new")
    press = tg.push_button_press(USER, "Zamówienia i dostawa")
    await tg.wait_sent(USER, 2)
    await rig.settle()
    tg.redeliver(press)
    # Updates are taken in order: the first answer after the duplicate is the one to /help.
    assert (await rig.command("/help")).startswith("Dzień dobry!")
    assert tg.delivered_ids.count(press) == 2
    assert "numer zamówienia" in await rig.say("Paczka nie dotarła")  # the form moved on once


async def test_an_update_is_confirmed_only_after_it_is_stored(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    tg, engine = rig.tg, rig.runtime.engine
    handle = engine.handle
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_store(event: object) -> object:
        entered.set()
        await release.wait()
        return await handle(event)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "handle", slow_store)
    update = tg.push_text(USER, "Dzień dobry")
    await asyncio.wait_for(entered.wait(), 5)
    await asyncio.sleep(0.3)
    assert tg.confirmed_offset <= update  # Telegram still holds it
    release.set()
    await tg.wait_for(lambda t: t.confirmed_offset > update)
    await tg.wait_sent(USER, 1)


async def test_an_update_that_could_not_be_stored_comes_again(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    tg, engine = rig.tg, rig.runtime.engine
    handle = engine.handle
    failures = [StoreError("disk full")]

    async def flaky_store(event: object) -> object:
        if failures:
            raise failures.pop()
        return await handle(event)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "handle", flaky_store)
    update = tg.push_command(USER, "/start")
    await tg.wait_sent(USER, 1, timeout=10)
    assert tg.delivered_ids.count(update) == 2
    await asyncio.sleep(0.3)
    assert len(tg.messages_for(USER)) == 1


async def test_a_malformed_update_does_not_stall_the_others(rig: Rig) -> None:
    bad = rig.tg.push_raw({"message": {"text": "no chat, no date, no message_id"}})
    assert (await rig.say("Dzień dobry")) != ""
    await rig.tg.wait_for(lambda t: t.confirmed_offset > bad)


async def test_a_429_storm_loses_nothing_and_keeps_order(rig: Rig) -> None:
    tg = rig.tg
    number = await open_ticket_by_taps(rig)
    before = len(tg.messages_for(USER))
    # Telegram gets stricter than our pacing: 429s are certain now.
    tg.per_chat_interval, tg.retry_after_override = 0.3, 0.3
    for n in range(1, 6):
        await agent(rig, AgentReply(agent_event_id(), AGENT, number, f"Odpowiedź numer {n}."))
    await tg.wait_sent(USER, before + 5, timeout=20)
    await rig.settle()
    replies = [(m.visible_text or "").splitlines()[-1] for m in tg.messages_for(USER)[before:]]
    assert replies == [f"Odpowiedź numer {n}." for n in range(1, 6)]
    assert tg.rejected_429 > 0


async def test_pacing_keeps_a_busy_chat_under_the_flood_limit(rig: Rig) -> None:
    tg = rig.tg
    number = await open_ticket_by_taps(rig)
    before, rejected = len(tg.messages_for(USER)), tg.rejected_429
    tg.per_chat_interval = 0.02  # well under our pacing, so network jitter cannot matter
    for n in range(1, 6):
        await agent(rig, AgentReply(agent_event_id(), AGENT, number, f"Krok {n}."))
    await tg.wait_sent(USER, before + 5)
    assert tg.rejected_429 == rejected  # paced, not refused


async def test_a_customer_who_blocked_the_bot_is_recorded_on_the_ticket(rig: Rig) -> None:
    tg = rig.tg
    number = await open_ticket_by_taps(rig)
    tg.blocked_chats.add(USER)
    await agent(rig, AgentReply(agent_event_id(), AGENT, number, "Czy problem nadal występuje?"))

    async def failure_recorded() -> str | None:
        for event in await rig.runtime.store.ticket_events(number):
            if event.kind == "delivery_failed":
                return event.new_value
        return None

    for _ in range(200):
        reason = await failure_recorded()
        if reason:
            break
        await asyncio.sleep(0.02)
    assert reason is not None and "blocked by the user" in reason
    await asyncio.sleep(0.5)  # time enough for retries, were there any
    refused = [c for c in tg.requests if c.method == "sendMessage" and c.status == 403]
    assert len(refused) == 1


# -- what else a person may send ---------------------------------------------------------------
async def test_files_of_every_kind_go_into_the_ticket(rig: Rig) -> None:
    tg = rig.tg
    number = await open_ticket_by_taps(rig)
    sent = [
        lambda: tg.push_document(USER, b"log line 1\n", "app.log", "text/plain",
                                 "Log z aplikacji"),
        lambda: tg.push_voice(USER),
        lambda: tg.push_video(USER),
    ]
    # One confirmation for the burst (the first file); the next two go in without one.
    assert f"Dopisano do zgłoszenia nr {number}" in await rig.expect_reply(sent[0])
    seen = len(tg.messages_for(USER))
    for push in sent[1:]:
        push()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(await rig.runtime.store.ticket_messages(number)) < 1 + len(sent):
        assert loop.time() < deadline, "the files did not reach the ticket"
        await asyncio.sleep(0.02)
    await rig.settle()
    assert len(tg.messages_for(USER)) == seen
    follow_ups = (await rig.runtime.store.ticket_messages(number))[1:]
    files = [attachments_from_json(m.attachments)[0] for m in follow_ups]
    assert [(f.kind, f.name, f.mime_type) for f in files] == [
        ("document", "app.log", "text/plain"),
        ("voice", files[1].name, "audio/ogg"),
        ("video", files[2].name, "video/mp4"),
    ]
    assert follow_ups[0].body == "Log z aplikacji"
    assert await rig.runtime.fetch_file(files[0]) == b"log line 1\n"


async def test_stickers_and_locations_get_a_polite_answer(rig: Rig) -> None:
    assert "Niestety nie obsługujemy naklejek" in await rig.expect_reply(
        lambda: rig.tg.push_sticker(USER))
    assert "Niestety nie obsługujemy lokalizacji" in await rig.expect_reply(
        lambda: rig.tg.push_location(USER))


async def test_in_a_group_the_bot_only_says_where_to_write(rig: Rig) -> None:
    tg = rig.tg
    group = -123_456_789
    tg.push_text(USER, "Pomocy, nie działa logowanie", chat_type="group")
    (notice,) = await tg.wait_sent(group, 1)
    assert "prywatnej rozmowie" in (notice.visible_text or "")
    assert "https://t.me/support_test_bot" in (notice.visible_text or "")
    tg.push_command(USER, "/new", chat_type="group")
    assert "Dzień dobry!" in await rig.command("/start")  # everything before it was taken in
    assert len(tg.messages_for(group)) == 1  # told once, not at every message
    assert await rig.runtime.store.list_tickets() == []


async def test_a_long_text_is_split_without_breaking_words_or_escapes(rig: Rig) -> None:
    """A history of long replies, say; a single agent reply stays under Fluent's 2500."""
    await rig.command("/start")
    words = [f"słowo{n}" if n % 7 else f"a&b<{n}>" for n in range(800)]
    replies = tuple(Text("agent-reply", {"id": 1, "name": "Anna", "text": " ".join(chunk)})
                    for chunk in (words[:200], words[200:400], words[400:600], words[600:]))
    before = len(rig.tg.messages_for(USER))
    ref = await rig.app.outbound.deliver(CustomerMessage(
        "telegram", str(USER), "pl", replies, buttons=(Button(Text("button-helped"), "kb:ok"),)))
    parts = rig.tg.messages_for(USER)[before:]
    assert len(parts) == 2 and ref == ",".join(f"t{p.message_id}" for p in parts)
    assert all(len(p.visible_text or "") <= 4096 for p in parts)
    assert [p.reply_markup is not None for p in parts] == [False, True]  # buttons at the end
    shown = " ".join(p.visible_text or "" for p in parts).split()
    assert [w for w in shown if w.startswith(("słowo", "a&b"))] == words  # whole, in order
