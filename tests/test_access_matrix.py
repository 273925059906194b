"""Who may see and change what: one matrix of attempts, each refused, logged, and changing
nothing.

The real Telegram adapter (webhook mode, with its secret) and the real Slack desk (HTTP mode,
signed requests) run over one runtime. Bob has a resolved ticket, so every action on it would
do something if it were allowed. Then, one cell at a time:

* Alice, another Telegram customer, asks for Bob's ticket by its number (commands and the
  buttons' data: status, close, reopen, remind, rate): she must get exactly the answer a
  number that does not exist gets, and nothing of Bob's may change;
* Eve, who is not in the agents' channel, presses each desk button and runs each ``/ticket``
  subcommand: refused, only to her, and nothing changes;
* events, button presses and commands with a forged signature or a stale timestamp: 401;
* Telegram webhook requests without the secret header or with a wrong one: 403.

Every refusal must be in the log (caplog). Figures go to ``access_matrix.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from pydantic import SecretStr

import supportbot.app
from adapters.slack.app import SlackApp
from adapters.slack.client import ChannelPacer
from adapters.telegram import TelegramApp
from adapters.telegram import create as create_telegram
from bot.events import (
    AgentAction,
    AgentRef,
    ButtonPress,
    CustomerCommand,
    CustomerRef,
    CustomerText,
    InboundEvent,
)
from bot.model import AgentOp, Command
from bot.runtime import Runtime
from bot.settings import Settings, SlackSettings
from supportbot.app import open_runtime
from tests.load_driver import record_case
from tests.slack_harness import AGENTS, ANNA, EVE, SECRET, populate
from tests.standins.slack_api import SlackStandIn
from tests.standins.telegram_api import TelegramStandIn
from tests.telegram_harness import settings_for, shared_config

REPORT = "access_matrix"
ALICE, BOB = 1001, 1002
WEBHOOK_SECRET = "matrix-webhook-secret"
MISSING = 999  # a ticket number nobody has


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@dataclass
class Desk:
    tg: TelegramStandIn
    slack: SlackStandIn
    runtime: Runtime
    telegram: TelegramApp
    desk: SlackApp
    hook: str
    slack_url: str
    ticket: int = 0
    thread: str = ""

    async def settle(self) -> None:
        for _ in range(400):
            await self.desk.idle()
            if not await self.runtime.store.pending_outbox(["telegram", "desk"]):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("outbox not delivered")

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Everything about tickets that an action could change."""
        return {table: [tuple(r) for r in await self.runtime.store.query(
                    f"SELECT * FROM {table} ORDER BY rowid")]
                for table in ("tickets", "ticket_events", "ticket_messages", "desk_threads")}

    async def telegram_says(self, update: dict[str, Any], chat: int = ALICE) -> str:
        """POST an update as Telegram's webhook does; what the customer then reads."""
        before = len(self.tg.messages_for(chat))
        status = await self.tg.post_update_to(self.hook, update, secret_token=WEBHOOK_SECRET)
        assert status == 200
        await self.tg.wait_for(lambda t: len(t.messages_for(chat)) > before)
        await self.settle()
        return "\n".join(m.visible_text or "" for m in self.tg.messages_for(chat)[before:])


def customer(user: int, name: str) -> CustomerRef:
    return CustomerRef("telegram", str(user), str(user), name, "pl")


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Desk]:
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as tg, \
            SlackStandIn() as slack:
        populate(slack)
        telegram = settings_for(tg, tmp_path / "db.sqlite3",
                                webhook_url="https://bot.example/hook",
                                webhook_secret=WEBHOOK_SECRET, webhook_listen="127.0.0.1",
                                webhook_port=0).telegram
        settings = Settings(
            _env_file=None, database=tmp_path / "db.sqlite3",  # type: ignore[call-arg]
            messages_per_minute=1000, telegram=telegram,
            slack=SlackSettings(enabled=True, bot_token=SecretStr(slack.bot_token),
                                signing_secret=SecretStr(SECRET),
                                agent_channel=AGENTS, api_base_url=slack.api_url,
                                http_listen="127.0.0.1", http_port=0))
        with patch.object(supportbot.app, "build_config", shared_config):
            async with open_runtime(settings) as runtime:
                app = create_telegram(runtime)
                desk = SlackApp(runtime, pacer=ChannelPacer(burst=50, per_second=50))
                delivery = asyncio.create_task(runtime.dispatcher.run())
                await app.start()
                await desk.start()
                assert app.webhook is not None
                try:
                    yield Desk(tg, slack, runtime, app, desk,
                               f"http://127.0.0.1:{app.webhook.port}/hook",
                               f"http://127.0.0.1:{desk.http_port}/slack/events")
                finally:
                    await desk.stop()
                    await app.stop()
                    await runtime.dispatcher.stop(timeout=2)
                    delivery.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await delivery


async def bobs_resolved_ticket(d: Desk) -> None:
    """Bob files a suggestion and an agent resolves it; Alice has said hello."""
    bob = customer(BOB, "Bob")
    events: list[InboundEvent] = [
        CustomerCommand("setup:1", bob, Command.NEW),
        ButtonPress("setup:2", bob, "cat:suggestion"),
        CustomerText("setup:3", bob, "Ciemny motyw"),
        CustomerText("setup:4", bob, "Proszę o ciemny motyw w aplikacji."),
        ButtonPress("setup:5", bob, "f:ok"),
    ]
    for event in events:
        await d.runtime.engine.handle(event)
    [ticket] = await d.runtime.store.list_tickets()
    await d.runtime.engine.handle(AgentAction("setup:6", AgentRef("slack", ANNA, "Anna"),
                                              ticket.id, AgentOp.RESOLVE))
    await d.settle()
    d.ticket = ticket.id
    thread = await d.runtime.store.desk_thread(ticket.id)
    assert thread is not None
    d.thread = thread.thread_ref
    await d.telegram_says(d.tg.make_command_update(ALICE, "/start", first_name="Alice"))


# -- the cells -----------------------------------------------------------------------------------
CUSTOMER_TRIES = {
    "status command": ("command", "/status {n}"),
    "close command": ("command", "/close {n}"),
    "reopen command": ("command", "/reopen {n}"),
    "remind command": ("command", "/remind {n}"),
    "open button": ("button", "t:{n}"),
    "close button": ("button", "close:{n}"),
    "reopen button": ("button", "reopen:{n}"),
    "remind button": ("button", "remind:{n}"),
    "rate button": ("button", "rate:{n}:5"),
}
DESK_BUTTONS = ("desk:claim", "desk:priority", "desk:ask", "desk:resolve", "desk:close",
                "desk:reopen")
TICKET_COMMANDS = ("{n}", "search Ciemny", "mine", "stats", "")
SIGNED_KINDS = ("event", "interaction", "command")

CELLS = (
    [pytest.param("customer", name, id=f"customer A on B's ticket: {name}")
     for name in CUSTOMER_TRIES]
    + [pytest.param("non-agent button", name, id=f"non-agent presses {name}")
       for name in DESK_BUTTONS]
    + [pytest.param("non-agent command", name,
                    id=f"non-agent runs /ticket {name.replace('{n}', 'N') or '(nothing)'}")
       for name in TICKET_COMMANDS]
    + [pytest.param(f"{flaw} signature", kind, id=f"{flaw} signature on {kind}")
       for flaw in ("forged", "stale") for kind in SIGNED_KINDS]
    + [pytest.param("webhook", secret, id=f"telegram webhook {secret}")
       for secret in ("without the secret", "with a wrong secret")]
)


@pytest.mark.parametrize(("who", "what"), CELLS)
async def test_access_is_refused_logged_and_changes_nothing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, who: str, what: str) -> None:
    caplog.set_level(logging.INFO)
    async with running(tmp_path) as d:
        await bobs_resolved_ticket(d)
        bob_sees = len(d.tg.messages_for(BOB))
        before = await d.snapshot()
        caplog.clear()
        outcome = await attempt(d, who, what)
        await d.settle()
        await asyncio.sleep(0.1)  # anything that would have followed, has
        after = await d.snapshot()
        bob_after = len(d.tg.messages_for(BOB))
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    record_case(REPORT, f"{who}: {what.replace('{n}', 'N')}", {**outcome, "logged": logged[:1],
                                            "ticket_data_unchanged": before == after})
    assert outcome["refused"], outcome
    assert before == after, "the attempt changed a ticket"
    assert bob_after == bob_sees, "Bob was told something"
    assert logged, "the refusal is not in the log"


async def attempt(d: Desk, who: str, what: str) -> dict[str, Any]:
    if who == "customer":
        return await customer_attempt(d, what)
    if who == "non-agent button":
        return await button_attempt(d, what)
    if who == "non-agent command":
        return await command_attempt(d, what.format(n=d.ticket))
    if who.endswith("signature"):
        return await signature_attempt(d, who.split()[0], what)
    return await webhook_attempt(d, what)


def answered_alike(answer: str, number: int, missing: str) -> bool:
    return answer.replace(str(number), "N") == missing.replace(str(MISSING), "N")


async def customer_attempt(d: Desk, name: str) -> dict[str, Any]:
    kind, template = CUSTOMER_TRIES[name]

    def update(n: int) -> dict[str, Any]:
        text = template.format(n=n)
        return (d.tg.make_command_update(ALICE, text, first_name="Alice") if kind == "command"
                else d.tg.make_callback_update(ALICE, text, first_name="Alice"))

    answer = await d.telegram_says(update(d.ticket))
    missing = await d.telegram_says(update(MISSING))
    return {"alice_reads": answer, "same_as_missing_number": answered_alike(
        answer, d.ticket, missing), "refused": answered_alike(answer, d.ticket, missing)}


async def button_attempt(d: Desk, action_id: str) -> dict[str, Any]:
    option = "urgent" if action_id == "desk:priority" else None
    payload = d.slack.block_actions(EVE, action_id, None if option else str(d.ticket),
                                    channel=AGENTS, message_ts=d.thread,
                                    selected_option=option, trigger_id="trigger-eve",
                                    block_id=f"desk:{d.ticket}")
    updates = len(d.slack.updates)
    status, _ = await d.slack.send_interaction(d.slack_url, payload, signing_secret=SECRET)
    refusal = await d.slack.wait_for(lambda: d.slack.responses)
    await d.desk.idle()
    body = refusal[-1].body
    return {"status": status, "eve_reads": body.get("text"),
            "only_to_eve": body.get("response_type") == "ephemeral",
            "refused": status == 200 and body.get("response_type") == "ephemeral"
            and "Tylko zespół wsparcia" in str(body.get("text"))
            and not d.slack.views and len(d.slack.updates) == updates}


async def command_attempt(d: Desk, text: str) -> dict[str, Any]:
    status, _ = await d.slack.send_command(d.slack_url, "/ticket", text, user_id=EVE,
                                           channel_id=AGENTS, signing_secret=SECRET)
    refusal = await d.slack.wait_for(lambda: d.slack.responses)
    await d.desk.idle()
    body = refusal[-1].body
    shown = str(body.get("text")) + str(body.get("blocks") or "")
    return {"status": status, "eve_reads": body.get("text"),
            "refused": status == 200 and body.get("response_type") == "ephemeral"
            and "Tylko zespół wsparcia" in shown and "Ciemny motyw" not in shown}


async def signature_attempt(d: Desk, flaw: str, kind: str) -> dict[str, Any]:
    signing: dict[str, Any] = (
        {"signing_secret": SECRET, "signature": "v0=" + "0" * 64} if flaw == "forged"
        else {"signing_secret": SECRET, "timestamp": time.time() - 6 * 60})
    if kind == "event":
        reply = d.slack.message_event(AGENTS, ANNA, "Podrobiona odpowiedź", thread_ts=d.thread)
        status, _ = await d.slack.send_event(d.slack_url, reply, **signing)
    elif kind == "interaction":
        payload = d.slack.block_actions(ANNA, "desk:reopen", str(d.ticket), channel=AGENTS,
                                        message_ts=d.thread, block_id=f"desk:{d.ticket}")
        status, _ = await d.slack.send_interaction(d.slack_url, payload, **signing)
    else:
        status, _ = await d.slack.send_command(d.slack_url, "/ticket", str(d.ticket),
                                               user_id=ANNA, channel_id=AGENTS, **signing)
    await asyncio.sleep(0.1)
    return {"status": status, "responses": len(d.slack.responses),
            "refused": status == 401 and not d.slack.responses}


async def webhook_attempt(d: Desk, secret: str) -> dict[str, Any]:
    update = d.tg.make_command_update(ALICE, f"/status {d.ticket}", first_name="Alice")
    given = None if secret == "without the secret" else "not-the-secret"
    events = len(await d.runtime.store.query("SELECT * FROM processed_events"))
    before = len(d.tg.messages_for(ALICE))
    status = await d.tg.post_update_to(d.hook, update, secret_token=given)
    await asyncio.sleep(0.1)
    stored = len(await d.runtime.store.query("SELECT * FROM processed_events")) - events
    return {"status": status, "stored": stored,
            "refused": status == 403 and stored == 0
            and len(d.tg.messages_for(ALICE)) == before}
