"""Slack as a customer's chat app: workspace members who message the bot directly get the
same menus and intake as anywhere else, in Block Kit, and agents' replies come back there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.slack_harness import (
    AGENTS,
    ANNA,
    Desk,
    SlackCustomer,
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


async def test_a_workspace_member_opens_a_ticket_in_a_direct_message(
        desk: Desk, slack: SlackStandIn) -> None:
    jan = SlackCustomer(desk)
    answer = await jan.say("Nie pamiętam hasła do konta")
    assert "Nie pamiętam hasła lub nie mogę się zalogować" in answer  # a help article
    assert {"To mi pomogło", "Załóż zgłoszenie"} <= set(jan.labels())
    assert all(b["action_id"].startswith("cust:") for b in jan.buttons())
    assert {b["value"] for b in jan.buttons()} >= {"kb:ok", "kb:new"}  # the core's data

    await jan.press("Załóż zgłoszenie")
    assert "Czego dotyczy zgłoszenie?" in jan.last_text()
    await fill_account_form(jan.labels, jan.press, jan.say)
    assert "Przyjęliśmy zgłoszenie nr 1." in jan.last_text()

    root = await desk.root(1)
    assert "Jan Kowalski · slack · Polski" in message_text(root)
    ts = await desk.reply(1, ANNA, "Wysłaliśmy link do zmiany hasła.")
    reply = await slack.wait_for(lambda: "Wysłaliśmy link" in jan.last_text() and jan.last())
    assert reply.channel == jan.channel
    assert jan.last_text().startswith("Odpowiedź w zgłoszeniu nr 1 — Anna Nowak:")
    await slack.wait_for(lambda: (AGENTS, ts, "white_check_mark") in slack.reactions)

    # What the customer writes next lands in the ticket's thread, tagged with who wrote it.
    await jan.say("Dziękuję, działa!")
    thread = await desk.thread(1)
    assert thread[-1].text == "*Jan Kowalski* (slack) pisze:\n> Dziękuję, działa!"


async def test_the_language_follows_the_slack_locale(desk: Desk) -> None:
    bob = SlackCustomer(desk, "UCUST2", name="Bob Brown", locale="en-GB")
    answer = await bob.say("I forgot my password")
    assert "password" in answer.lower()
    assert "Open a ticket" in bob.labels()


async def test_an_agents_edit_changes_the_direct_message(desk: Desk,
                                                         slack: SlackStandIn) -> None:
    jan = SlackCustomer(desk)
    await jan.say("pomoc")  # a command word: the menu
    assert "Nowe zgłoszenie" in jan.labels()
    await jan.press("Nowe zgłoszenie")
    await fill_account_form(jan.labels, jan.press, jan.say)
    ts = await desk.reply(1, ANNA, "Literówka w odpowiedzi")
    sent = await slack.wait_for(lambda: [m for m in jan.messages() if "Literówka" in m.text])
    edited = slack.message_event(AGENTS, ANNA, "", subtype="message_changed")
    edited.update(message={"type": "message", "user": ANNA, "text": "Poprawiona odpowiedź",
                           "ts": ts, "thread_ts": await desk.thread_ts(1)},
                  previous_message={"type": "message", "user": ANNA,
                                    "text": "Literówka w odpowiedzi", "ts": ts})
    await desk.event(edited)
    await slack.wait_for(lambda: any(u.ts == sent[0].ts for u in slack.updates))
    now = slack.message(jan.channel, sent[0].ts)
    assert now is not None and "Poprawiona odpowiedź" in now.text and now.edited


async def test_direct_messages_are_ignored_when_slack_customers_are_off(
        tmp_path: Path, slack: SlackStandIn) -> None:
    async with running_desk(tmp_path, slack,
                            slack_options={"customers_enabled": False}) as desk:
        event = slack.message_event("DUJAN", "UJAN", "Halo", channel_type="im")
        assert await desk.event(event) == 200
        assert slack.posts == []


async def test_files_cross_between_slack_and_other_chat_apps(desk: Desk,
                                                             slack: SlackStandIn) -> None:
    # A customer on another chat app gets the file an agent posted in the thread.
    number = await open_account_ticket(desk.h)
    shared = slack.add_file(b"%PDF instrukcja", "instrukcja.pdf", user=ANNA)
    event = slack.message_event(AGENTS, ANNA, "Instrukcja w załączniku",
                                thread_ts=await desk.thread_ts(number), files=[shared])
    assert await desk.event(event) == 200
    message = desk.h.last_message()
    assert "Instrukcja w załączniku" in desk.h.render(message)
    (attachment,) = message.attachments
    assert (attachment.name, attachment.source) == ("instrukcja.pdf", "slack")
    assert await desk.runtime.fetch_file(attachment) == b"%PDF instrukcja"
    assert slack.downloads[-1] == (shared["id"], True)  # fetched with the bot token

    # A Slack customer's file reaches the desk's thread as a copy.
    jan = SlackCustomer(desk)
    await jan.say("nowe")
    await jan.press("Konto i logowanie")
    await fill_account_form(jan.labels, jan.press, jan.say)
    ticket = int(jan.last_text().split("nr ")[1].split(".")[0])
    screenshot = slack.add_file(b"PNG bytes", "zrzut.png", user=jan.user)
    await jan.say("Zrzut ekranu", files=[screenshot])
    uploads = await slack.wait_for(lambda: [u for u in slack.uploads
                                            if u.filename == "zrzut.png"])
    assert uploads[0].content == b"PNG bytes"
    assert uploads[0].thread_ts == await desk.thread_ts(ticket)
