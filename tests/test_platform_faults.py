"""Platform faults: 5xx, dropped connections, 429 storms, and permanent refusals.

The real Telegram adapter and the real Slack desk run over one runtime, against the stand-ins,
which are told to fail. Transient failures are retried with growing, jittered delays, in order
per conversation, and nothing is lost; permanent ones (the customer blocked the bot, the chat
or channel is gone) are not retried, are recorded on the ticket, and are shown to the agents
in the ticket's Slack thread. Figures go to ``platform_faults.json`` (see load_driver).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import pytest
from pydantic import SecretStr

import supportbot.app
from adapters.slack.app import SlackApp
from adapters.slack.client import ChannelPacer
from adapters.telegram import TelegramApp
from adapters.telegram import create as create_telegram
from bot.runtime import Runtime
from bot.settings import Settings, SlackSettings
from supportbot.app import open_runtime
from tests.load_driver import record_case
from tests.slack_harness import (
    AGENTS,
    ANNA,
    SECRET,
    SlackCustomer,
    fill_account_form,
    populate,
    running_desk,
)
from tests.standins.slack_api import SlackStandIn
from tests.standins.telegram_api import TelegramStandIn
from tests.telegram_harness import USER, settings_for, shared_config

REPORT = "platform_faults"
# The dispatcher's first retry delay (1 s in production), shortened for speed but kept above
# the adapter's own 0.1 s pacing of one chat, so the backoff shows in the gaps between tries.
BASE_DELAY = 0.2


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@dataclass
class World:
    tg: TelegramStandIn
    slack: SlackStandIn
    runtime: Runtime
    telegram: TelegramApp
    desk: SlackApp
    url: str

    async def customer_does(self, push: object) -> None:
        """Push a Telegram update and wait for the bot to answer it."""
        before = len(self.tg.messages_for(USER))
        push()  # type: ignore[operator]
        await self.tg.wait_for(lambda tg: len(tg.messages_for(USER)) > before, timeout=10)

    async def open_ticket(self) -> int:
        """The shortest intake by taps: /new, other, subject, description, done, skip, send."""
        tg = self.tg
        await self.customer_does(lambda: tg.push_command(USER, "/new"))
        await self.customer_does(lambda: tg.push_callback(USER, "cat:other"))
        await self.customer_does(lambda: tg.push_text(USER, "Nie mogę zmienić adresu"))
        await self.customer_does(lambda: tg.push_text(USER, "Formularz nie zapisuje zmian."))
        await self.customer_does(lambda: tg.push_callback(USER, "f:done"))
        await self.customer_does(lambda: tg.push_callback(USER, "f:skip"))
        await self.customer_does(lambda: tg.push_callback(USER, "f:ok"))
        created = tg.messages_for(USER)[-1].visible_text or ""
        number = int(created.split("zgłoszenie nr ")[1].split(".")[0])
        await self.thread_ts(number)
        return number

    async def thread_ts(self, ticket_id: int) -> str:
        for _ in range(500):
            thread = await self.runtime.store.desk_thread(ticket_id)
            if thread is not None:
                return thread.thread_ref
            await asyncio.sleep(0.02)
        raise AssertionError(f"ticket {ticket_id} never reached the desk\n{self.slack.dump()}")

    async def agent_replies(self, ticket_id: int, text: str) -> str:
        """An agent writes in the ticket's Slack thread (a signed event); returns its ts."""
        event = self.slack.message_event(AGENTS, ANNA, text,
                                         thread_ts=await self.thread_ts(ticket_id))
        status, _ = await self.slack.send_event(self.url, event, signing_secret=SECRET)
        assert status == 200
        return str(event["ts"])

    async def settled(self, timeout: float = 20.0) -> None:
        """Until nothing is left to deliver (retries included)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.runtime.store.pending_outbox(["telegram", "desk", "slack"]):
            if loop.time() > deadline:
                raise AssertionError(f"outbox not delivered\n{self.tg.dump()}")
            await asyncio.sleep(0.05)

    def replies_seen(self, marker: str) -> list[str]:
        return [(m.visible_text or "").splitlines()[-1] for m in self.tg.messages_for(USER)
                if marker in (m.visible_text or "")]


@contextlib.asynccontextmanager
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Telegram customers and the Slack desk over one runtime, as ``supportbot run`` has it."""
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as tg, \
            SlackStandIn() as slack:
        populate(slack)
        base = settings_for(tg, tmp_path / "db.sqlite3")
        settings = Settings(
            _env_file=None, database=tmp_path / "db.sqlite3",  # type: ignore[call-arg]
            messages_per_minute=1000, telegram=base.telegram,
            # Each follow-up is confirmed, so a scenario can wait for the answer to each one
            # (a burst's single confirmation has tests of its own).
            follow_up_quiet_minutes=0,
            slack=SlackSettings(enabled=True, bot_token=SecretStr(slack.bot_token),
                                signing_secret=SecretStr(SECRET),
                                agent_channel=AGENTS, api_base_url=slack.api_url,
                                http_listen="127.0.0.1", http_port=0))
        with patch.object(supportbot.app, "build_config", shared_config):
            async with open_runtime(settings) as runtime:
                runtime.dispatcher.base_delay = BASE_DELAY
                telegram = create_telegram(runtime)
                desk = SlackApp(runtime, pacer=ChannelPacer(burst=50, per_second=50))
                delivery = asyncio.create_task(runtime.dispatcher.run())
                await telegram.start()
                await desk.start()
                try:
                    yield World(tg, slack, runtime, telegram, desk,
                                f"http://127.0.0.1:{desk.http_port}/slack/events")
                finally:
                    await desk.stop()
                    await telegram.stop()
                    await runtime.dispatcher.stop(timeout=2)
                    delivery.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await delivery


async def outbox_attempts(runtime: Runtime, destination: str) -> list[int]:
    rows = await runtime.store.query(
        "SELECT attempts FROM outbox WHERE destination = ? ORDER BY id", (destination,))
    return [int(r[0]) for r in rows]


def send_times(tg: TelegramStandIn) -> list[tuple[float, int]]:
    """(moment, HTTP status; 0 for a dropped connection) of every sendMessage the bot made."""
    return [(c.at, c.status) for c in tg.requests if c.method == "sendMessage"]


# -- transient faults: retried, in order, nothing lost ------------------------------------------
async def test_5xx_and_dropped_connections_are_retried_with_backoff_in_order(
        tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        before = len(send_times(w.tg))
        # The next four sends fail: two 5xx answers, then two connections dropped before an
        # answer (a reset); the replies queued behind them must wait, then follow in order.
        w.tg.fail_next("sendMessage", 502, times=1)
        w.tg.fail_next("sendMessage", 503, times=1)
        w.tg.drop_connection_next("sendMessage", times=2)
        for n in range(1, 6):
            await w.agent_replies(number, f"Odpowiedź numer {n}.")
        await w.settled()
        replies = w.replies_seen("Odpowiedź numer")
        attempts = send_times(w.tg)[before:]
        failed = [at for at, status in attempts if status != 200]
        first_ok = next(at for at, status in attempts if status == 200)
        gaps = [round(b - a, 3) for a, b in zip([*failed, first_ok], [*failed, first_ok][1:],
                                                 strict=False)]
        figures = {"faults": {"502": 1, "503": 1, "connection dropped": 2},
                   "agent_replies": 5, "delivered": len(replies),
                   "in_order": replies == [f"Odpowiedź numer {n}." for n in range(1, 6)],
                   "send_attempts": len(attempts), "retry_gaps_s": gaps,
                   "outbox_attempts_of_first_reply": max(await outbox_attempts(w.runtime,
                                                                               "telegram"))}
        record_case(REPORT, "telegram 5xx and resets", figures)
    assert replies == [f"Odpowiedź numer {n}." for n in range(1, 6)]
    assert len(attempts) == 5 + 4
    # Backoff with jitter: the n-th wait is drawn from [d/2, d] with d = 0.2 s doubling each
    # time. Its floor doubles too, which no fixed retry delay would do (the ceiling allows
    # for a loaded machine).
    for n, gap in enumerate(gaps):
        d = BASE_DELAY * 2 ** n
        assert d / 2 - 0.01 <= gap <= d + 0.3, (n, gaps)


async def test_an_answer_lost_after_telegram_took_the_message_may_send_it_twice(
        tmp_path: Path) -> None:
    """The honest limit of at-least-once delivery: Telegram accepted the message, the answer
    never came back (a timeout), so the bot cannot know and sends it again."""
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        w.tg.drop_connection_next("sendMessage", after_processing=True)
        await w.agent_replies(number, "Odpowiedź, której potwierdzenie zginęło.")
        await w.settled()
        copies = w.replies_seen("Odpowiedź, której potwierdzenie zginęło.")
        record_case(REPORT, "telegram answer lost after the message was taken",
                    {"agent_replies": 1, "copies_received": len(copies)})
    assert len(copies) == 2  # never lost; at worst twice, as documented


async def test_a_429_storm_on_every_method_is_waited_out(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        before = len(w.tg.requests)
        # Every call the bot makes (getUpdates and answerCallbackQuery included) gets 429
        # for the next 12 calls, with retry_after.
        w.tg.fail_next("*", 429, times=12, retry_after=0.3)
        for n in range(1, 6):
            await w.agent_replies(number, f"Po burzy {n}.")
        w.tg.push_text(USER, "Czy coś wiadomo?")  # the customer writes during the storm
        await w.tg.wait_for(lambda tg: any("Dopisano" in (m.visible_text or "")
                                           for m in tg.messages_for(USER)[-6:]), timeout=20)
        await w.settled()
        replies = w.replies_seen("Po burzy")
        limited = [c for c in w.tg.requests[before:] if c.status == 429]
        follow_ups = [m for m in await w.runtime.store.ticket_messages(number)
                      if m.body == "Czy coś wiadomo?"]
        record_case(REPORT, "telegram 429 storm (12 calls, every method)",
                    {"answered_429": len(limited),
                     "methods_limited": sorted({c.method for c in limited}),
                     "agent_replies": 5, "delivered": len(replies),
                     "in_order": replies == [f"Po burzy {n}." for n in range(1, 6)],
                     "customer_message_stored": len(follow_ups)})
    assert len(limited) == 12
    assert replies == [f"Po burzy {n}." for n in range(1, 6)]
    assert len(follow_ups) == 1


async def test_the_slack_desk_rides_out_5xx_and_rate_limits(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        before = len(w.slack.posts)
        w.slack.fail_next("chat.postMessage", "internal_error", status=500, times=2)
        w.slack.rate_limit_next("chat.postMessage", times=2, retry_after=1)
        for n in range(1, 4):
            await w.customer_does(lambda n=n: w.tg.push_text(USER, f"Dopisek {n}"))
        await w.settled(timeout=30)
        thread = w.slack.messages_in(AGENTS, await w.thread_ts(number))
        lines = [m.text.rsplit("> ", 1)[-1] for m in thread if "Dopisek" in m.text]
        figures = {"faults": {"500 internal_error": w.slack.failures_sent["chat.postMessage"],
                              "429": w.slack.rate_limited["chat.postMessage"]},
                   "customer_messages": 3, "shown_in_thread": len(lines),
                   "in_order": lines == ["Dopisek 1", "Dopisek 2", "Dopisek 3"],
                   "posts": len(w.slack.posts) - before,
                   "desk_outbox_attempts": sum(await outbox_attempts(w.runtime, "desk"))}
        record_case(REPORT, "slack desk 5xx and 429", figures)
    assert lines == ["Dopisek 1", "Dopisek 2", "Dopisek 3"]
    assert figures["faults"] == {"500 internal_error": 2, "429": 2}


# -- permanent refusals: recorded on the ticket, shown to the agents -----------------------------
async def failure_reason(runtime: Runtime, ticket_id: int) -> str | None:
    for _ in range(250):
        for event in await runtime.store.ticket_events(ticket_id):
            if event.kind == "delivery_failed":
                return event.new_value
        await asyncio.sleep(0.02)
    return None


@pytest.mark.parametrize(("case", "reason"), [
    ("blocked", "Forbidden: bot was blocked by the user"),
    ("chat not found", "Chat not found"),  # PTB words Telegram's "Bad Request: chat not found"
])
async def test_a_permanent_telegram_refusal_is_recorded_and_shown_on_the_desk(
        tmp_path: Path, case: str, reason: str) -> None:
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        if case == "blocked":
            w.tg.blocked_chats.add(USER)
        else:
            w.tg.fail_next("sendMessage", 400, description="Bad Request: chat not found")
        before = len(send_times(w.tg))
        ts = await w.agent_replies(number, "Czy problem nadal występuje?")
        recorded = await failure_reason(w.runtime, number)
        await w.slack.wait_for(lambda: (AGENTS, ts, "x") in w.slack.reactions)
        shown = await w.slack.wait_for(lambda: [
            m.text for m in w.slack.messages_in(AGENTS, w.slack.posts[0].ts)
            if "Nie udało się dostarczyć" in m.text])
        await w.settled()
        await asyncio.sleep(0.3)  # time for retries, were there any
        tries = len(send_times(w.tg)) - before
        record_case(REPORT, f"telegram permanent: {case}",
                    {"recorded_on_ticket": recorded, "shown_in_thread": shown[-1],
                     "failed_mark_on_agent_reply": True, "send_attempts": tries})
    assert recorded is not None and reason in recorded
    assert reason in shown[-1]
    assert tries == 1  # not retried


async def test_a_slack_customer_whose_channel_is_gone_is_recorded_and_shown(
        tmp_path: Path) -> None:
    async with SlackStandIn() as slack, running_desk(tmp_path, slack) as desk:
        jan = SlackCustomer(desk)
        await jan.say("/new")
        await fill_account_form(jan.labels, jan.press, jan.say)
        number = int(jan.last_text().split("zgłoszenie nr ")[1].split(".")[0])
        await desk.settle()
        slack.fail_next("chat.postMessage", "channel_not_found")  # the DM is gone
        ts = await desk.reply(number, ANNA, "Wysłaliśmy link.")
        await slack.wait_for(lambda: (AGENTS, ts, "x") in slack.reactions)
        await desk.settle()
        recorded = await failure_reason(desk.runtime, number)
        thread = await desk.thread(number)
        record_case(REPORT, "slack permanent: channel_not_found",
                    {"recorded_on_ticket": recorded, "shown_in_thread": thread[-1].text})
    assert recorded == "slack: channel_not_found"
    assert "Nie udało się dostarczyć wiadomości do klienta: slack: channel_not_found" \
        in thread[-1].text
