"""SIGTERM with messages in flight: the real bot stops taking updates, finishes what it has in
hand, leaves the rest in the outbox, exits 0 in bounded time, and the next start delivers the
rest, with nothing lost and nothing sent twice.

Telegram's per-chat limit is set to half a second, so a burst of customers' commands leaves
answers waiting in the outbox when SIGTERM arrives. Figures go to ``shutdown.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from collections import Counter
from pathlib import Path

from tests.load_driver import (
    SLACK_BOT_TOKEN,
    TELEGRAM_TOKEN,
    BotProcess,
    LoadDriver,
    bot_environment,
    free_port,
    outbox_backlog,
    populate_slack,
    record_case,
    until,
)
from tests.standins.slack_api import SlackStandIn
from tests.standins.telegram_api import TelegramStandIn

CUSTOMERS = 8
COMMANDS = ("/start", "/help", "/tickets", "/help")
STOP_WITHIN = 15.0  # seconds from SIGTERM to exit
SLACK_CUSTOMER = "UKASIA01"


def outbox_state(database: Path) -> tuple[int, int]:
    """(delivered, waiting) outbox rows to Telegram."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        delivered, waiting = conn.execute(
            "SELECT COUNT(delivered_at), COUNT(*) - COUNT(delivered_at) FROM outbox "
            "WHERE destination = 'telegram'").fetchone()
    return int(delivered), int(waiting)


def stored_events(database: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return {r[0] for r in conn.execute("SELECT event_id FROM processed_events")}


def rows_per_chat(database: Path) -> Counter[int]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return Counter(int(r[0].split(":", 1)[1]) for r in conn.execute(
            "SELECT recipient FROM outbox WHERE destination = 'telegram'"))


async def test_sigterm_with_deliveries_in_flight_exits_cleanly_and_loses_nothing(
        tmp_path: Path) -> None:
    async with TelegramStandIn(TELEGRAM_TOKEN, per_chat_interval=0.45,
                               retry_after_override=0.2) as tg, \
            SlackStandIn(bot_token=SLACK_BOT_TOKEN) as slack:
        populate_slack(slack)
        slack.users[SLACK_CUSTOMER] = {"name": "kasia", "real_name": "Kasia", "locale": "pl-PL"}
        port = free_port()
        database = tmp_path / "data" / "supportbot.sqlite3"
        env = bot_environment(tg, slack, database, port, TELEGRAM__CHAT_INTERVAL="0.5")
        bot = BotProcess(env, tmp_path)
        driver = LoadDriver(tg, slack, f"http://127.0.0.1:{port}/slack/events",
                            rng=random.Random(7))
        await bot.start()
        await bot.wait_ready()
        try:
            early = [tg.push_command(710_100 + n, command, first_name=f"Osoba{n}")
                     for command in COMMANDS for n in range(CUSTOMERS)]
            # Every update taken in and some answers out, most still paced in the outbox.
            await until(lambda: len(tg.sent) >= CUSTOMERS and
                        all(u in tg.delivered_ids for u in early),
                        timeout=30, what="the burst to be taken in")
            await asyncio.sleep(0.2)
            sent_at_sigterm = len(tg.sent)
            started = time.monotonic()
            assert bot.process is not None
            bot.process.send_signal(15)  # SIGTERM
            await until(lambda: "shutting down" in bot.log(), timeout=10,
                        what="the bot to begin shutting down", every=0.01)
            # Written while it shuts down: Telegram and Slack must keep these for later.
            late = [tg.push_command(710_100 + n, "/help", first_name=f"Osoba{n}")
                    for n in range(3)]
            dm = slack.message_event(f"D{SLACK_CUSTOMER}", SLACK_CUSTOMER, "pomoc",
                                     channel_type="im")
            slack_send = asyncio.create_task(driver.send_event(dm, event_id="EvShutdown"))
            code = await asyncio.wait_for(bot.process.wait(), STOP_WITHIN + 5)
            stop_seconds = time.monotonic() - started
            first_log = bot.log()
            delivered_first, waiting_first = outbox_state(database)
            stored_first = stored_events(database)
            sent_first = len(tg.sent)
            pending_at_telegram = [u for u in late if u in tg.pending_update_ids]

            # The next start delivers what was left and takes in what was kept for it.
            await bot.start()
            await bot.wait_ready()
            await slack_send
            await until(lambda: all(f"telegram:update:{u}" in stored_events(database)
                                    for u in late) and outbox_backlog(database) == 0,
                        timeout=60, what="the second run to catch up", every=0.2)
            await asyncio.sleep(0.5)
            code_second, _ = await bot.terminate()
        finally:
            if bot.running:
                await bot.kill()
        stored = stored_events(database)
        rows = rows_per_chat(database)
        received = Counter(int(m.chat_id) for m in tg.sent)
        dm_answers = [p for p in slack.posts if p.channel == f"D{SLACK_CUSTOMER}"]

    figures = {
        "telegram_updates_before_sigterm": len(early),
        "answers_sent_before_sigterm": sent_at_sigterm,
        "exit_code": code,
        "seconds_to_exit": round(stop_seconds, 2),
        "first_run": {"answers_sent": sent_first, "outbox_delivered": delivered_first,
                      "outbox_left_for_next_start": waiting_first},
        "written_during_shutdown": {"telegram_updates": len(late),
                                    "kept_by_telegram": len(pending_at_telegram),
                                    "slack_posts_until_accepted":
                                        driver.pushed.slack_posts},
        "second_run_exit_code": code_second,
        "telegram_answers_total": sum(received.values()),
        "telegram_outbox_rows": sum(rows.values()),
        "slack_dm_answers": len(dm_answers),
    }
    record_case("shutdown", "sigterm with deliveries in flight", figures)
    assert code == 0 and stop_seconds < STOP_WITHIN, first_log[-3000:]
    assert "Traceback" not in bot.output()
    # It did not finish the whole backlog (it stopped), yet sent nothing it did not record.
    assert waiting_first > 0 and sent_first == delivered_first
    assert all(f"telegram:update:{u}" in stored_first for u in early)
    # Nothing lost, nothing twice: every update stored, every row delivered exactly once.
    assert all(f"telegram:update:{u}" in stored for u in early + late)
    assert received == rows, "a chat got more or fewer messages than the bot created"
    assert f"slack:msg:D{SLACK_CUSTOMER}:{dm['ts']}" in stored and len(dm_answers) == 1
    assert code_second == 0
