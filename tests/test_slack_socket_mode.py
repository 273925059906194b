"""The same desk over Socket Mode (an app-level token set): events, buttons and /ticket arrive
as envelopes on the websocket and are acknowledged by envelope id."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.model import Status
from storage.store import StoreError
from tests.slack_harness import AGENTS, ANNA, message_text, running_desk
from tests.standins.slack_api import SlackStandIn
from tests.test_engine_lifecycle import open_account_ticket


async def test_socket_mode_carries_replies_buttons_and_commands(tmp_path: Path) -> None:
    async with SlackStandIn() as slack, running_desk(tmp_path, slack, socket_mode=True) as desk:
        assert desk.url == ""  # no HTTP endpoint in Socket Mode
        await slack.wait_socket_connected()
        number = await open_account_ticket(desk.h)
        thread_ts = await desk.thread_ts(number)

        reply = slack.message_event(AGENTS, ANNA, "Odpowiedź przez Socket Mode",
                                    thread_ts=thread_ts)
        ack = await slack.socket_send("events_api", slack.event_callback(reply, event_id="Ev1"),
                                      envelope_id="env-1")
        assert ack == {"envelope_id": "env-1"}
        await desk.settle()
        assert "Odpowiedź przez Socket Mode" in desk.h.last_text()
        # Slack's re-delivery of the same event is acknowledged and dropped.
        await slack.socket_send("events_api", slack.event_callback(reply, event_id="Ev1"),
                                envelope_id="env-1b", retry_attempt=1,
                                retry_reason="timeout")
        await desk.settle()
        assert sum("Odpowiedź przez Socket Mode" in desk.h.render(m)
                   for m in desk.h.messages_to()) == 1

        claim = slack.block_actions(ANNA, "desk:claim", str(number), channel=AGENTS,
                                    message_ts=thread_ts)
        assert await slack.socket_send("interactive", claim, envelope_id="env-2") == {
            "envelope_id": "env-2"}
        await desk.settle()
        ticket = await desk.h.store.ticket(number)
        assert ticket is not None and ticket.assignee_name == "Anna Nowak"
        assert ticket.status == Status.OPEN
        await slack.wait_for(lambda: "*Przypisane*\nAnna Nowak" in message_text(
            slack.message(AGENTS, thread_ts)))  # type: ignore[arg-type]

        command = await slack.socket_send("slash_commands",
                                          slack.slash_command("/ticket", "mine", user_id=ANNA),
                                          envelope_id="env-3")
        assert command is not None and command["envelope_id"] == "env-3"
        await desk.settle()
        answer = await slack.wait_for(lambda: slack.responses)
        assert answer[-1].body["response_type"] == "ephemeral"
        assert "Masz 1 przypisane otwarte zgłoszenie:" in answer[-1].body["text"]


async def test_an_event_not_stored_is_not_acknowledged_in_socket_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with SlackStandIn() as slack, running_desk(tmp_path, slack, socket_mode=True) as desk:
        await slack.wait_socket_connected()
        number = await open_account_ticket(desk.h)

        async def broken(event: object) -> object:
            raise StoreError("the disk is full")

        monkeypatch.setattr(desk.h.engine, "handle", broken)
        reply = slack.message_event(AGENTS, ANNA, "Nie zapisane",
                                    thread_ts=await desk.thread_ts(number))
        await slack.socket_send("events_api", slack.event_callback(reply), envelope_id="env-x",
                                wait_ack=False)
        await asyncio.sleep(0.3)
        await desk.settle()
        # No ack: Slack delivers the envelope again later.
        assert not [a for a in slack.socket_acks if a.get("envelope_id") == "env-x"]
