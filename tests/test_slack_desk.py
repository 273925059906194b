"""The Slack agents' desk, end to end: the real slack-bolt and slack-sdk against the Slack
stand-in, signed Events API and interactivity requests, and a real engine and store. The
customer is on another chat app (the harness's recording one, or the console)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.channel import ConsoleChannel
from bot.actions import DeleteCustomerMessage, EditCustomerMessage
from bot.delivery import DeliveryError
from bot.events import Attachment, CustomerFile
from bot.model import Status
from tests.harness import new_event_id
from tests.slack_harness import (
    AGENTS,
    ANNA,
    BOB,
    EVE,
    SECRET,
    Desk,
    action_ids,
    fill_account_form,
    message_text,
    running_desk,
)
from tests.standins.slack_api import SlackStandIn
from tests.test_engine_lifecycle import open_account_ticket


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def desk(tmp_path: Path, slack: SlackStandIn) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path, slack) as running:
        yield running


async def a_ticket(desk: Desk) -> int:
    number = await open_account_ticket(desk.h)
    await desk.root(number)  # posted to the channel
    return number


# -- a new ticket in the channel -------------------------------------------------------------


async def test_a_new_ticket_appears_in_the_channel_with_its_buttons_and_files(
        desk: Desk, slack: SlackStandIn) -> None:
    h = desk.h
    desk.files.content["scr-1"] = b"\x89PNG screenshot"
    # The customer starts with a screenshot: the ticket form opens with it attached.
    await h.send(CustomerFile(new_event_id(), h.customer(), Attachment(
        "photo", "scr-1", "ekran.png", "image/png", 15, source="test")))
    await fill_account_form(h.labels, h.press_label, h.say)
    assert "Przyjęliśmy zgłoszenie nr 1." in h.last_text()

    root = await desk.root(1)
    shown = message_text(root)
    assert root.channel == AGENTS and root.thread_ts is None
    assert "#1 · Nie mogę się zalogować" in shown
    for expected in ("*Klient*\nJan · test · Polski", "*Kategoria*\nKonto i logowanie",
                     "*Priorytet*\nnormalny", "*Status*\nnowe", "*Przypisane*\nnikt",
                     "*Pierwsza odpowiedź do*\nwtorek, 24 listopada 2026, 09:00",
                     "> Po wpisaniu hasła strona się odświeża.", "*Konto*\n> jan@example.com",
                     "ekran.png"):
        assert expected in shown, expected
    assert action_ids(root) == ["desk:claim", "desk:priority", "desk:ask", "desk:resolve",
                                "desk:close"]
    assert root.text == "Zgłoszenie #1: Nie mogę się zalogować"  # the notification
    # The customer's file is copied into the ticket's thread.
    upload = await slack.wait_for(lambda: slack.uploads)
    assert (upload[0].filename, upload[0].content) == ("ekran.png", b"\x89PNG screenshot")
    assert (upload[0].channel, upload[0].thread_ts) == (AGENTS, root.ts)
    assert await h.store.ticket_for_thread("slack", AGENTS, root.ts) == 1


async def test_a_ticket_from_the_console_appears_in_the_channel(desk: Desk,
                                                                slack: SlackStandIn) -> None:
    out = io.StringIO()
    console = ConsoleChannel(desk.h.translator, desk.h.store, desk_language="pl", out=out,
                             user_name="Zofia", locale="pl_PL.UTF-8")
    desk.h.dispatcher.register("console", console)

    async def type_line(line: str) -> None:
        event = console.parse(line)
        assert not isinstance(event, str), event
        await desk.h.engine.handle(event)
        await desk.settle()

    def labels() -> list[str]:
        printed = out.getvalue().split(" bot› ")[-1]
        return [line.split("] ", 1)[1] for line in printed.splitlines()
                if line.strip().startswith("[")]

    await type_line("/new")
    await fill_account_form(labels, type_line, type_line)
    assert "Przyjęliśmy zgłoszenie nr 1." in out.getvalue()
    shown = message_text(await desk.root(1))
    assert "#1 · Nie mogę się zalogować" in shown and "Zofia · console · Polski" in shown


# -- the buttons -----------------------------------------------------------------------------


async def test_claim_priority_ask_and_resolve_change_the_ticket_and_the_root_message(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    store, h = desk.h.store, desk.h

    assert await desk.press(number, ANNA, "desk:claim") == 200
    ticket = await store.ticket(number)
    assert ticket is not None and (ticket.assignee_id, ticket.status) == (ANNA, Status.OPEN)
    shown = message_text(await desk.root(number))
    assert "*Przypisane*\nAnna Nowak" in shown and "*Status*\nw trakcie" in shown
    assert "Twoim zgłoszeniem nr 1 zajmuje się teraz: Anna Nowak." in h.last_text()

    await desk.press(number, BOB, "desk:priority", option="urgent")
    root = await desk.root(number)
    assert "*Priorytet*\npilny" in message_text(root)
    select = next(e for b in root.blocks or [] if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"] == "desk:priority")
    assert select["initial_option"]["value"] == "urgent"
    assert (await store.ticket(number)).priority == "urgent"  # type: ignore[union-attr]
    assert "zmieniono na: pilny" in h.last_text()

    await desk.press(number, ANNA, "desk:ask", trigger_id="trigger-1")
    modal = (await slack.wait_for(lambda: slack.views))[0]
    assert (modal.trigger_id, modal.view["callback_id"]) == ("trigger-1", "desk:ask")
    submission = slack.view_submission(ANNA, "desk:ask",
                                       {"question": {"value": "Jakiej przeglądarki używasz?"}},
                                       modal.view["private_metadata"], view_id=modal.view_id)
    status, _ = await slack.send_interaction(desk.url, submission, signing_secret=SECRET)
    assert status == 200
    await desk.settle()
    assert (await store.ticket(number)).status == Status.WAITING  # type: ignore[union-attr]
    assert "Anna Nowak prosi o dodatkowe informacje w zgłoszeniu nr 1:" in h.last_text()
    assert "Jakiej przeglądarki używasz?" in h.last_text()
    assert "*Status*\nczeka na klienta" in message_text(await desk.root(number))
    asked = (await desk.thread(number))[-1].text
    assert "Anna Nowak prosi klienta o dodatkowe informacje" in asked
    assert "> Jakiej przeglądarki używasz?" in asked

    await desk.press(number, ANNA, "desk:resolve")
    assert (await store.ticket(number)).status == Status.RESOLVED  # type: ignore[union-attr]
    assert "Zgłoszenie nr 1 zostało rozwiązane" in h.last_text()
    root = await desk.root(number)
    assert "*Status*\nrozwiązane" in message_text(root)
    assert action_ids(root) == ["desk:claim", "desk:priority", "desk:ask", "desk:reopen",
                                "desk:close"]


# -- the thread ------------------------------------------------------------------------------


async def test_an_agents_thread_reply_reaches_the_customer_and_is_marked_delivered(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    ts = await desk.reply(number, ANNA,
                          "Zresetowaliśmy sesję &amp; hasło, zobacz <https://pomoc.example.com|"
                          "instrukcję>. Pomoże też <@UBOB>.")
    text = desk.h.last_text()
    assert text.startswith("Odpowiedź w zgłoszeniu nr 1 — Anna Nowak:")
    # Slack's wire format becomes plain text on the customer's chat app.
    assert ("Zresetowaliśmy sesję & hasło, zobacz instrukcję (https://pomoc.example.com). "
            "Pomoże też @Bob Smith.") in text
    await slack.wait_for(lambda: (AGENTS, ts, "white_check_mark") in slack.reactions)
    assert (await desk.h.store.ticket(number)).first_response_at is not None  # type: ignore


async def test_the_customer_sees_the_team_name_when_agent_names_are_off(
        tmp_path: Path, slack: SlackStandIn) -> None:
    async with running_desk(tmp_path, slack, show_agent_names=False,
                            team_name="Zespół Pomocy") as desk:
        number = await a_ticket(desk)
        await desk.reply(number, ANNA, "Już sprawdzamy.")
        assert desk.h.last_text().startswith("Odpowiedź w zgłoszeniu nr 1 — Zespół Pomocy:")
        assert "Anna" not in desk.h.last_text()


async def test_a_note_stays_internal(desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    sent = len(desk.h.messages_to())
    ts = await desk.reply(number, BOB, "note: klient VIP, dzwonił też na infolinię")
    await slack.wait_for(lambda: (AGENTS, ts, "memo") in slack.reactions)
    assert len(desk.h.messages_to()) == sent  # nothing reached the customer
    stored = [m for m in await desk.h.store.ticket_messages(number) if m.internal]
    assert [m.body for m in stored] == ["klient VIP, dzwonił też na infolinię"]
    assert (AGENTS, ts, "white_check_mark") not in slack.reactions


async def test_what_the_customer_writes_afterwards_appears_in_the_thread_escaped(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    await desk.h.say("Dalej nie działa <!channel> <@UANNA> <http://evil.example|kliknij> & co")
    line = await slack.wait_for(lambda: [m for m in (
        slack.messages_in(AGENTS)) if m.thread_ts and "Jan" in m.text])
    assert line[-1].text == ("*Jan* (test) pisze:\n> Dalej nie działa &lt;!channel&gt; "
                             "&lt;@UANNA&gt; &lt;http://evil.example|kliknij&gt; &amp; co")
    assert line[-1].params.get("unfurl_links") is False

    desk.files.content["log-1"] = b"log contents"
    await desk.h.send(CustomerFile(new_event_id(), desk.h.customer(), Attachment(
        "document", "log-1", "błąd.log", "text/plain", 12, source="test")))
    await desk.settle()
    upload = await slack.wait_for(lambda: slack.uploads)
    assert (upload[-1].filename, upload[-1].content) == ("błąd.log", b"log contents")
    assert upload[-1].thread_ts == await desk.thread_ts(number)
    assert "*Jan* (test) przesyła plik:" in (await desk.thread(number))[-1].text


async def test_edits_and_deletions_reach_what_the_customer_saw(desk: Desk,
                                                               slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    ts = await desk.reply(number, ANNA, "Prosze zrestartowac")
    await slack.wait_for(lambda: (AGENTS, ts, "white_check_mark") in slack.reactions)
    thread_ts = await desk.thread_ts(number)

    edited = slack.message_event(AGENTS, ANNA, "", subtype="message_changed")
    edited.update(message={"type": "message", "user": ANNA, "text": "Proszę zrestartować.",
                           "ts": ts, "thread_ts": thread_ts,
                           "edited": {"user": ANNA, "ts": slack.new_ts()}},
                  previous_message={"type": "message", "user": ANNA,
                                    "text": "Prosze zrestartowac", "ts": ts,
                                    "thread_ts": thread_ts})
    assert await desk.event(edited) == 200
    change = desk.h.chat.delivered[-1]
    assert isinstance(change, EditCustomerMessage)
    assert "Proszę zrestartować." in desk.h.render(change)  # type: ignore[arg-type]

    deleted = slack.message_event(AGENTS, ANNA, "", subtype="message_deleted")
    deleted.update(deleted_ts=ts, previous_message={"type": "message", "user": ANNA,
                                                    "text": "Proszę zrestartować.", "ts": ts,
                                                    "thread_ts": thread_ts})
    assert await desk.event(deleted) == 200
    assert isinstance(desk.h.chat.delivered[-1], DeleteCustomerMessage)


async def test_an_edit_the_customers_app_cannot_apply_is_reported(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    ts = await desk.reply(number, ANNA, "Pierwsza wersja")
    await slack.wait_for(lambda: (AGENTS, ts, "white_check_mark") in slack.reactions)
    desk.h.chat.failures.append(DeliveryError("this chat app cannot edit messages",
                                              permanent=True))
    edited = slack.message_event(AGENTS, ANNA, "", subtype="message_changed")
    edited.update(message={"type": "message", "user": ANNA, "text": "Druga wersja", "ts": ts,
                           "thread_ts": await desk.thread_ts(number)},
                  previous_message={"type": "message", "user": ANNA, "text": "Pierwsza wersja",
                                    "ts": ts})
    await desk.event(edited)
    await slack.wait_for(lambda: (AGENTS, ts, "x") in slack.reactions)
    reason = (await desk.thread(number))[-1].text
    assert "Nie udało się dostarczyć wiadomości do klienta: this chat app cannot edit" in reason


async def test_a_reply_that_cannot_be_delivered_is_marked_with_the_reason(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    desk.h.chat.failures.append(DeliveryError("the customer blocked the bot", permanent=True))
    ts = await desk.reply(number, ANNA, "Halo?")
    await slack.wait_for(lambda: (AGENTS, ts, "x") in slack.reactions)
    assert (AGENTS, ts, "white_check_mark") not in slack.reactions
    assert "the customer blocked the bot" in (await desk.thread(number))[-1].text


async def test_overdue_and_escalated_tickets_are_announced_in_the_thread_and_channel(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    desk.h.clock.advance(days=1, hours=2)  # past Tuesday 09:00, the promise
    await desk.h.sweep()
    await desk.settle()
    alert = await slack.wait_for(lambda: [m for m in slack.messages_in(AGENTS)
                                          if "czeka na pierwszą odpowiedź" in m.text])
    assert alert[0].thread_ts == await desk.thread_ts(number)
    assert alert[0].params.get("reply_broadcast") is True  # also shown in the channel
    assert "po terminie" in message_text(await desk.root(number))
    desk.h.clock.advance(hours=24)
    await desk.h.sweep()
    await desk.settle()
    escalated = await slack.wait_for(lambda: [m for m in slack.messages_in(AGENTS)
                                              if "eskalowane" in m.text])
    assert escalated[0].params.get("reply_broadcast") is True


# -- who may act, and what Slack's plumbing does ----------------------------------------------


async def test_someone_outside_the_agents_channel_is_refused_and_nothing_changes(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    sent, updates = len(desk.h.chat.delivered), len(slack.updates)
    assert await desk.press(number, EVE, "desk:claim") == 200
    refusal = await slack.wait_for(lambda: slack.responses)
    assert refusal[-1].body["response_type"] == "ephemeral"
    assert refusal[-1].body["text"] == (
        "Tylko zespół wsparcia (członkowie kanału <#CAGENTS>) może to zrobić.")
    await desk.press(number, EVE, "desk:ask", trigger_id="trigger-eve")
    ticket = await desk.h.store.ticket(number)
    assert ticket is not None and ticket.assignee_id is None and ticket.status == Status.NEW
    assert (len(desk.h.chat.delivered), len(slack.updates), slack.views) == (sent, updates, [])
    assert len(slack.responses) == 2


async def test_agent_ids_let_someone_outside_the_channel_act(tmp_path: Path,
                                                              slack: SlackStandIn) -> None:
    slack.users["UADMIN"] = {"name": "admin", "real_name": "Ola Admin"}
    async with running_desk(tmp_path, slack, slack_options={"agent_ids": ["UADMIN"]}) as desk:
        number = await a_ticket(desk)
        await desk.press(number, "UADMIN", "desk:claim")
        assert (await desk.h.store.ticket(number)).assignee_name == "Ola Admin"  # type: ignore


async def test_forged_or_stale_signatures_get_401_and_change_nothing(
        desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    sent = len(desk.h.chat.delivered)
    reply = slack.message_event(AGENTS, ANNA, "Podrobiona odpowiedź",
                                thread_ts=await desk.thread_ts(number))
    forged = await desk.event(reply, signature="v0=" + "0" * 64)
    stale = await desk.event(reply, timestamp=1_000_000_000)
    claim = slack.block_actions(ANNA, "desk:claim", str(number), channel=AGENTS,
                                message_ts=await desk.thread_ts(number))
    wrong_secret, _ = await slack.send_interaction(desk.url, claim, signing_secret="other")
    assert (forged, stale, wrong_secret) == (401, 401, 401)
    await desk.settle()
    assert len(desk.h.chat.delivered) == sent
    assert (await desk.h.store.ticket(number)).assignee_id is None  # type: ignore[union-attr]
    assert len(await desk.h.store.ticket_messages(number)) == 1


async def test_a_retried_event_is_processed_once(desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    reply = slack.message_event(AGENTS, ANNA, "Jedna odpowiedź",
                                thread_ts=await desk.thread_ts(number))
    assert await desk.event(reply, event_id="Ev42") == 200
    assert await desk.event(reply, event_id="Ev42", retry_num=1,
                            retry_reason="http_timeout") == 200
    relayed = [m for m in desk.h.messages_to() if "Jedna odpowiedź" in desk.h.render(m)]
    assert len(relayed) == 1
    assert [m.body for m in await desk.h.store.ticket_messages(number)].count(
        "Jedna odpowiedź") == 1


async def test_an_event_that_could_not_be_stored_is_not_acknowledged_and_comes_back(
        desk: Desk, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    number = await a_ticket(desk)
    from storage.store import StoreError

    real_handle = desk.h.engine.handle
    calls: list[str] = []

    async def failing_once(event):  # type: ignore[no-untyped-def]
        calls.append(event.event_id)
        if len(calls) == 1:
            raise StoreError("the disk is full")
        return await real_handle(event)

    monkeypatch.setattr(desk.h.engine, "handle", failing_once)
    reply = slack.message_event(AGENTS, ANNA, "Ważna odpowiedź",
                                thread_ts=await desk.thread_ts(number))
    assert await desk.event(reply, event_id="Ev7") == 500  # Slack will deliver it again
    assert not any("Ważna odpowiedź" in desk.h.render(m) for m in desk.h.messages_to())
    assert await desk.event(reply, event_id="Ev7", retry_num=1) == 200
    assert "Ważna odpowiedź" in desk.h.last_text()


async def test_a_rate_limited_post_is_waited_out_and_nothing_is_lost(
        desk: Desk, slack: SlackStandIn) -> None:
    slack.rate_limit_next("chat.postMessage", times=1, retry_after=1)
    number = await a_ticket(desk)
    await desk.h.say("Czy jest coś nowego?")
    await slack.wait_for(lambda: len(slack.posts) == 2, timeout=10)
    assert slack.rate_limited == {"chat.postMessage": 1}
    assert len(slack.calls_of("chat.postMessage")) == 3  # the limited call, again, the line
    root, line = slack.posts
    assert root.ts == await desk.thread_ts(number) and line.thread_ts == root.ts
    assert "Czy jest coś nowego?" in line.text


async def test_the_bot_ignores_its_own_messages(desk: Desk, slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    sent = len(desk.h.chat.delivered)
    own = slack.message_event(AGENTS, slack.bot_user_id, "*Jan* (test) pisze: …",
                              thread_ts=await desk.thread_ts(number), bot_id=slack.bot_id)
    assert await desk.event(own) == 200
    changed = slack.message_event(AGENTS, "", "", subtype="message_changed")
    changed.update(message={"type": "message", "bot_id": slack.bot_id, "text": "new root",
                            "ts": await desk.thread_ts(number)},
                   previous_message={"type": "message", "bot_id": slack.bot_id,
                                     "text": "old root"})
    changed.pop("user")
    assert await desk.event(changed) == 200
    assert len(desk.h.chat.delivered) == sent
    assert len(await desk.h.store.ticket_messages(number)) == 1


async def test_a_button_is_acknowledged_at_once_and_the_work_follows(
        desk: Desk, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import time

    number = await a_ticket(desk)
    real_handle = desk.h.engine.handle

    async def slow(event):  # type: ignore[no-untyped-def]
        await asyncio.sleep(1.0)  # a store under heavy load
        return await real_handle(event)

    monkeypatch.setattr(desk.h.engine, "handle", slow)
    payload = slack.block_actions(ANNA, "desk:claim", str(number), channel=AGENTS,
                                  message_ts=await desk.thread_ts(number))
    started = time.monotonic()
    status, _ = await slack.send_interaction(desk.url, payload, signing_secret=SECRET)
    acked_after = time.monotonic() - started
    assert status == 200 and acked_after < 0.9
    assert (await desk.h.store.ticket(number)).assignee_id is None  # type: ignore[union-attr]
    await desk.settle()
    assert (await desk.h.store.ticket(number)).assignee_id == ANNA  # type: ignore[union-attr]


async def test_a_canned_reply_is_sent_by_name_from_the_thread(desk: Desk,
                                                              slack: SlackStandIn) -> None:
    number = await a_ticket(desk)
    await desk.reply(number, BOB, "!greeting")
    await desk.settle()
    reply = desk.h.last_text()
    assert f"Dziękujemy za zgłoszenie nr {number} — już się nim zajmujemy." in reply
    await desk.reply(number, BOB, "!no-such-reply")
    await desk.settle()
    lines = [message_text(m) for m in await desk.thread(number)]
    assert any("no-such-reply" in line and "greeting" in line for line in lines)
