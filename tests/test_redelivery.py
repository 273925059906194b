"""Re-deliveries are processed once: Telegram updates, Slack event retries, Discord replays,
and the bot's own delivery rounds.

Every platform delivers at least once: Telegram sends an update again until the bot confirms
it, Slack retries an event (``X-Slack-Retry-Num``) whose answer it did not get in time, and
Discord replays events after a RESUME or sends one twice. Each case hands the bot the same
event several times and counts how often it reached the bot, how often it was stored, and how
many answers the customer got. Figures go to ``redelivery.json`` (see load_driver).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from bot.actions import Action
from bot.events import CustomerCommand
from bot.model import Command
from storage.store import Store
from tests.discord_world import USER as DISCORD_USER
from tests.discord_world import discord_world
from tests.harness import Harness, RecordingChannel, new_event_id
from tests.load_driver import record_case
from tests.slack_harness import AGENTS, ANNA, running_desk
from tests.standins.discord_api import DiscordStandIn
from tests.standins.slack_api import SlackStandIn
from tests.standins.telegram_api import TelegramStandIn
from tests.telegram_harness import USER, running_bot
from tests.test_engine_lifecycle import open_account_ticket

REPORT = "redelivery"


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@pytest.fixture
async def tg() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as stand_in:
        yield stand_in


def handed_at_least(update: int, times: int, tg: TelegramStandIn) -> bool:
    return tg.delivered_ids.count(update) >= times


async def times_stored(store: Store, event_id: str) -> int:
    rows = await store.query("SELECT COUNT(*) FROM processed_events WHERE event_id = ?",
                             (event_id,))
    return int(rows[0][0])


# -- Telegram ----------------------------------------------------------------------------------
async def test_a_telegram_update_sent_three_times_is_taken_in_once(
        tg: TelegramStandIn, tmp_path: Path) -> None:
    async with running_bot(tg, tmp_path / "db.sqlite3") as rig:
        update = tg.push_command(USER, "/start")
        await tg.wait_sent(USER, 1)
        await rig.settle()
        for times in (2, 3):  # as after a crash before the offset was confirmed, twice
            tg.redeliver(update)
            await tg.wait_for(partial(handed_at_least, update, times))
        # Updates are taken in order: the answer to /help comes after both duplicates.
        assert (await rig.command("/help")).startswith("Dzień dobry!")
        handed = tg.delivered_ids.count(update)
        stored = await times_stored(rig.runtime.store, f"telegram:update:{update}")
        answers = len(tg.messages_for(USER)) - 1  # the last one answered /help
    record_case(REPORT, "telegram update delivered 3 times",
                {"delivered_to_bot": handed, "stored": stored, "answers": answers})
    assert (handed, stored, answers) == (3, 1, 1)


async def test_a_telegram_webhook_post_retried_is_taken_in_once(
        tg: TelegramStandIn, tmp_path: Path) -> None:
    secret = "redelivery-secret"
    webhook = {"webhook_url": "https://bot.example/hook", "webhook_secret": secret,
               "webhook_listen": "127.0.0.1", "webhook_port": 0}
    async with running_bot(tg, tmp_path / "db.sqlite3", **webhook) as rig:
        assert rig.app.webhook is not None
        url = f"http://127.0.0.1:{rig.app.webhook.port}/hook"
        update = tg.make_command_update(USER, "/start")
        statuses = [await tg.post_update_to(url, update, secret_token=secret)
                    for _ in range(3)]
        await tg.wait_sent(USER, 1)
        await rig.settle()
        await asyncio.sleep(0.2)  # time for a second answer, were one coming
        stored = await times_stored(rig.runtime.store,
                                    f"telegram:update:{update['update_id']}")
        answers = len(tg.messages_for(USER))
    record_case(REPORT, "telegram webhook POST retried 3 times",
                {"posts": len(statuses), "answered_200": statuses.count(200), "stored": stored,
                 "answers": answers})
    assert statuses == [200, 200, 200] and (stored, answers) == (1, 1)


# -- Slack ---------------------------------------------------------------------------------------
async def test_a_slack_event_retried_with_retry_num_is_processed_once(
        tmp_path: Path) -> None:
    async with SlackStandIn() as slack, running_desk(tmp_path, slack) as desk:
        number = await open_account_ticket(desk.h)
        thread = await desk.thread_ts(number)
        reply = slack.message_event(AGENTS, ANNA, "Jedna odpowiedź, trzy dostawy",
                                    thread_ts=thread)
        statuses = [await desk.event(reply, event_id="EvRetry1")]
        for retry in (1, 2):  # Slack's retries carry the same event_id and event
            statuses.append(await desk.event(reply, event_id="EvRetry1", retry_num=retry,
                                             retry_reason="http_timeout"))
        relayed = [m for m in desk.h.messages_to()
                   if "Jedna odpowiedź, trzy dostawy" in desk.h.render(m)]
        stored = [m for m in await desk.h.store.ticket_messages(number)
                  if m.body == "Jedna odpowiedź, trzy dostawy"]
        await slack.wait_for(lambda: (AGENTS, reply["ts"], "white_check_mark")
                             in slack.reactions)
        marks = [r for r in slack.reactions if r.ts == reply["ts"]]
    record_case(REPORT, "slack event retried (X-Slack-Retry-Num 1, 2)",
                {"posts": len(statuses), "answered_200": statuses.count(200),
                 "stored": len(stored), "relayed_to_customer": len(relayed),
                 "delivered_marks": len(marks)})
    assert statuses == [200, 200, 200]
    assert (len(stored), len(relayed), len(marks)) == (1, 1, 1)


async def test_a_slack_event_retried_after_the_store_failed_is_processed_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.store import StoreError

    async with SlackStandIn() as slack, running_desk(tmp_path, slack) as desk:
        number = await open_account_ticket(desk.h)
        real_handle = desk.h.engine.handle
        failures = [StoreError("the ticket store could not save: database is locked")]

        async def failing_once(event):  # type: ignore[no-untyped-def]
            if failures:
                raise failures.pop()
            return await real_handle(event)

        monkeypatch.setattr(desk.h.engine, "handle", failing_once)
        reply = slack.message_event(AGENTS, ANNA, "Odpowiedź po błędzie zapisu",
                                    thread_ts=await desk.thread_ts(number))
        statuses = [await desk.event(reply, event_id="EvRetry2")]
        for retry in (1, 2):
            statuses.append(await desk.event(reply, event_id="EvRetry2", retry_num=retry))
        relayed = [m for m in desk.h.messages_to()
                   if "Odpowiedź po błędzie zapisu" in desk.h.render(m)]
        stored = await times_stored(desk.h.store, f"slack:msg:{AGENTS}:{reply['ts']}")
    record_case(REPORT, "slack event failed once (500), then retried twice",
                {"statuses": statuses, "stored": stored, "relayed_to_customer": len(relayed)})
    # Not acknowledged while it could not be stored, so Slack sends it again; then once.
    assert statuses == [500, 200, 200] and (stored, len(relayed)) == (1, 1)


# -- Discord -------------------------------------------------------------------------------------
async def test_discord_replays_and_resumes_are_processed_once(tmp_path: Path) -> None:
    async with DiscordStandIn() as stand_in, discord_world(tmp_path, stand_in) as world:
        store = world.runtime.store
        message_id = await stand_in.push_dm(DISCORD_USER, "!menu")
        await world.replies(0)
        await stand_in.replay(message_id)  # the same MESSAGE_CREATE, a second time
        await stand_in.replay(message_id)  # and a third
        await world.press("Moje zgłoszenia")
        interaction_id = max(stand_in.interactions)
        await stand_in.replay(interaction_id)  # the button press, again
        # The connection drops; a message sent meanwhile is replayed on RESUME, then once
        # more by Discord for good measure.
        await stand_in.force_reconnect(op7=False, wait=False)
        before = len(world.messages())
        resumed = await stand_in.push_dm(DISCORD_USER, "!help")
        await world.replies(before)
        await stand_in.replay(resumed)
        await asyncio.sleep(0.3)
        await world.settle()
        answers = world.texts()
        stored = {
            "message": await times_stored(store, f"discord:msg:{message_id}"),
            "button": await times_stored(store, f"discord:int:{interaction_id}"),
            "resumed_message": await times_stored(store, f"discord:msg:{resumed}"),
        }
    figures = {"gateway_dispatches_replayed": stand_in.replayed_count + 4,
               "resumes": stand_in.resume_count, "stored": stored, "answers": len(answers)}
    record_case(REPORT, "discord replays (message x3, button x2, resumed message x3)", figures)
    assert stored == {"message": 1, "button": 1, "resumed_message": 1}
    assert stand_in.resume_count == 1
    # One answer each to !menu, the button and !help; nothing for the replays.
    assert len(answers) == 3, answers


# -- the bot's own delivery rounds ---------------------------------------------------------------
class GatedChannel(RecordingChannel):
    """Delivers only once the gate opens, so a test can choose when a delivery finishes."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def deliver(self, action: Action) -> str | None:
        await self.gate.wait()
        return await super().deliver(action)


async def test_a_delivery_round_reading_the_outbox_as_a_conversation_finishes_sends_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher reads the outbox on one connection while deliveries mark rows delivered
    on another. A read that began just before a conversation's last row was marked delivered
    still lists that row; once the conversation has finished, that row must not be sent
    again. (Found by the crash test: 26 duplicates in a run without a single kill.)"""
    async with Harness(tmp_path / "db.sqlite3") as h:
        chat = GatedChannel()
        h.dispatcher.register("test", chat)
        await h.engine.handle(CustomerCommand(new_event_id(), h.customer(), Command.START))
        assert await h.dispatcher.deliver_due() == 1  # under way, held at the gate
        read_outbox = h.store.pending_outbox

        async def read_then_finish(destinations: list[str], **options: int) -> list[object]:
            rows = await read_outbox(destinations, **options)  # the welcome still pending
            chat.gate.set()  # meanwhile the conversation delivers it and finishes
            for _ in range(200):
                if not await read_outbox(destinations):
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.01)
            return rows  # type: ignore[return-value]

        monkeypatch.setattr(h.store, "pending_outbox", read_then_finish)
        await h.dispatcher.deliver_due()
        monkeypatch.setattr(h.store, "pending_outbox", read_outbox)
        await h.dispatcher.drain()
        record_case(REPORT, "delivery round with a stale outbox read",
                    {"outbox_rows": 1, "delivered": len(chat.delivered)})
        assert len(chat.delivered) == 1
