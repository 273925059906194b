"""Driving the real bot process: start it against the stand-ins, load it, kill it, check it.

The bot runs as it does in production, ``python -m supportbot.cli run`` in a process of its
own, configured only through the environment, talking to the Telegram and Slack stand-ins that
run in the test process. ``LoadDriver`` plays many Telegram customers (the intake form by
buttons and text, a follow-up, look-ups) and the agents who answer them in their tickets'
Slack threads, the way the platforms would deliver it: Telegram keeps every update until the
bot confirms it (the stand-in does that by itself), and a Slack event whose POST failed is sent
again with the same ``event_id`` and ``X-Slack-Retry-Num``, as Slack does. ``verify`` then
reads the store and the stand-ins' records and counts what was stored, what was delivered, and
what reached a platform twice.

Used by ``test_crash_recovery`` (SIGKILL at random moments) and ``test_shutdown`` (SIGTERM
with deliveries in flight); ``write_report`` keeps each test's figures for
``docs/reliability.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from adapters.telegram.text import escape, split_html
from bot.actions import CustomerMessage, from_json
from bot.i18n import Translator
from bot.settings import PROJECT_ROOT
from tests.local_network import PROXY_VARIABLES
from tests.standins.slack_api import SlackStandIn
from tests.standins.telegram_api import SentMessage, TelegramStandIn

T = TypeVar("T")

# Credentials the bot is started with. Shaped like the real ones, so the bot's own checks and
# the stand-ins accept them; nothing here reaches a real platform.
TELEGRAM_TOKEN = "7012345678:AAH-load-driver-token-0123456789abcdefgh"
SLACK_BOT_TOKEN = "xoxb-4242-load-driver-token"
SIGNING_SECRET = "5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5"
AGENTS = "CAGENTS01"
AGENT_USERS = {"UAGENTANNA": "Anna Nowak", "UAGENTBOB": "Bob Smith"}
CUSTOMER_BASE = 710_000  # Telegram user ids of the load's customers: CUSTOMER_BASE + n

REPORT_DIR_VARIABLE = "RELIABILITY_REPORT_DIR"  # where write_report also puts its JSON

_TICKET_NUMBER = re.compile(r"Przyjęliśmy zgłoszenie nr (\d+)\.")
_FOLLOW_UP_MARK = re.compile(r"FU-\d{4}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_report(name: str, figures: Mapping[str, Any], folder: Path) -> Path:
    """Print a test's figures and keep them as JSON (in ``folder``, and in the folder named by
    ``$RELIABILITY_REPORT_DIR`` when set, so docs/reliability.md can quote a real run)."""
    text = json.dumps(figures, indent=2, ensure_ascii=False, sort_keys=True)
    print(f"\n{name}: {text}")
    path = folder / f"{name}.json"
    path.write_text(text + "\n", encoding="utf-8")
    extra = os.environ.get(REPORT_DIR_VARIABLE)
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        (Path(extra) / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    return path


def record_case(report: str, case: str, figures: Mapping[str, Any]) -> None:
    """One case of a report made of several tests (``<report>.json`` gathers them all) in
    ``$RELIABILITY_REPORT_DIR`` when set; always printed (``pytest -s`` shows it)."""
    print(f"\n{report} / {case}: {json.dumps(figures, ensure_ascii=False, sort_keys=True)}")
    folder = os.environ.get(REPORT_DIR_VARIABLE)
    if not folder:
        return
    path = Path(folder) / f"{report}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    cases = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    cases[case] = dict(figures)
    path.write_text(json.dumps(cases, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")


async def until(predicate: Callable[[], T | None], *, timeout: float, what: str,
                every: float = 0.02) -> T:
    """Wait for ``predicate`` to give something truthy; a clear failure when it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(every)


# -- the bot process -----------------------------------------------------------------------------
def clean_environment() -> dict[str, str]:
    """This process's environment without supportbot settings or proxies (everything here is
    on 127.0.0.1, and httpx and aiohttp would send it to a proxy)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SUPPORTBOT_") and key not in PROXY_VARIABLES}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               PYTHONUNBUFFERED="1")
    return env


def bot_environment(tg: TelegramStandIn, slack: SlackStandIn, database: Path,
                    slack_port: int, **settings: str) -> dict[str, str]:
    """What an admin would put in ``.env`` to run Telegram and the Slack desk (HTTP mode)."""
    env = clean_environment()
    values = {
        "DATABASE": str(database),
        "LOG_LEVEL": "INFO",
        # Fair use is not what is tested: a load customer writes faster than a person.
        "MESSAGES_PER_MINUTE": "100000",
        "TELEGRAM__ENABLED": "true",
        "TELEGRAM__TOKEN": tg.token,
        "TELEGRAM__API_BASE_URL": tg.base_url,
        "TELEGRAM__FILE_BASE_URL": tg.base_file_url,
        # Paced just above the stand-in's per-chat limit, which tests set low for speed.
        "TELEGRAM__CHAT_INTERVAL": f"{tg.per_chat_interval + 0.01:.3f}",
        "TELEGRAM__MESSAGES_PER_SECOND": str(tg.global_per_second),
        "SLACK__ENABLED": "true",
        "SLACK__BOT_TOKEN": slack.bot_token,
        "SLACK__SIGNING_SECRET": SIGNING_SECRET,
        "SLACK__AGENT_CHANNEL": AGENTS,
        "SLACK__API_BASE_URL": slack.api_url,
        "SLACK__HTTP_LISTEN": "127.0.0.1",
        "SLACK__HTTP_PORT": str(slack_port),
        **settings,
    }
    env.update({f"SUPPORTBOT_{key}": value for key, value in values.items()})
    return env


def populate_slack(slack: SlackStandIn) -> None:
    """The agents' channel and its members, as the bot will look them up."""
    slack.channel_members[AGENTS] = {*AGENT_USERS, slack.bot_user_id}
    for user, name in AGENT_USERS.items():
        slack.users[user] = {"name": user.lower(), "real_name": name, "locale": "pl-PL"}


class BotProcess:
    """``supportbot run`` as a child process; every start writes a log file of its own."""

    def __init__(self, env: Mapping[str, str], workdir: Path,
                 args: tuple[str, ...] = ("run",)) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.args = args
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0
        self.log_paths: list[Path] = []
        self._log: Any = None

    async def start(self) -> None:
        self.starts += 1
        path = self.workdir / f"bot-{self.starts}.log"
        self.log_paths.append(path)
        self._log = path.open("wb")
        # The working directory holds no .env, so only the environment configures the bot.
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "supportbot.cli", *self.args, cwd=self.workdir,
            env=self.env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        """What the current (or last) run printed so far."""
        return self.log_paths[-1].read_text(errors="replace") if self.log_paths else ""

    def output(self) -> str:
        """Everything every run printed."""
        return "\n".join(p.read_text(errors="replace") for p in self.log_paths)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the bot logs that every app is taking updates."""
        def ready() -> bool:
            if not self.running:
                raise AssertionError(f"the bot exited while starting:\n{self.log()[-3000:]}")
            return "running: " in self.log()
        await until(ready, timeout=timeout, what="the bot to start", every=0.05)

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed; like a power cut to the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1
        self._close_log()

    async def terminate(self, timeout: float = 30.0) -> tuple[int | None, float]:
        """SIGTERM, as systemd or Docker stop it; returns (exit code, seconds it took)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            code = None
        self._close_log()
        return code, time.monotonic() - started

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


# -- what the stand-ins saw, indexed as it comes in ----------------------------------------------
class Observer:
    """Indexes the stand-ins' records incrementally (their lists only grow), so hundreds of
    waiting customers do not each scan thousands of messages."""

    def __init__(self, tg: TelegramStandIn, slack: SlackStandIn) -> None:
        self.tg = tg
        self.slack = slack
        self.telegram: dict[int, list[SentMessage]] = defaultdict(list)
        self.follow_up_threads: dict[str, str] = {}  # "FU-0007" -> thread ts it was posted in
        self._tg_seen = 0
        self._slack_seen = 0

    def refresh(self) -> None:
        sent = self.tg.sent
        for message in sent[self._tg_seen:]:
            self.telegram[int(message.chat_id)].append(message)
        self._tg_seen = len(sent)
        posts = self.slack.posts
        for post in posts[self._slack_seen:]:
            if post.channel == AGENTS and post.thread_ts:
                for mark in _FOLLOW_UP_MARK.findall(post.text):
                    self.follow_up_threads.setdefault(mark, post.thread_ts)
        self._slack_seen = len(posts)

    def count(self, chat: int) -> int:
        self.refresh()
        return len(self.telegram[chat])

    def ticket_number(self, chat: int) -> int | None:
        self.refresh()
        for message in self.telegram[chat]:
            found = _TICKET_NUMBER.search(message.visible_text or "")
            if found:
                return int(found.group(1))
        return None

    def thread_of(self, mark: str) -> str | None:
        self.refresh()
        return self.follow_up_threads.get(mark)


# -- the load ------------------------------------------------------------------------------------
def subject(n: int) -> str:
    return f"Klient {n:04d}: nie mogę zmienić adresu"


def description(n: int) -> str:
    return f"DESC-{n:04d} Formularz zmiany adresu nie zapisuje zmian po kliknięciu Zapisz."


def follow_up(n: int) -> str:
    return f"FU-{n:04d} Dodam, że problem występuje też w aplikacji mobilnej."


def agent_text(n: int, k: int) -> str:
    return f"AR-{n:04d}-{k} Sprawdzamy to, prosimy o chwilę cierpliwości."


@dataclass
class Pushed:
    """Everything the platforms handed the bot, to hold the store against."""

    updates: list[int] = field(default_factory=list)  # Telegram update ids
    tickets: dict[int, int] = field(default_factory=dict)  # customer -> ticket number
    agent_replies: list[tuple[int, int, str, str]] = field(default_factory=list)
    # ^ (customer, k, Slack ts, text)
    slack_posts: int = 0  # POSTs to the bot's Slack endpoint, re-sends included
    slack_resends: int = 0  # of which re-sends (X-Slack-Retry-Num)


class LoadDriver:
    def __init__(self, tg: TelegramStandIn, slack: SlackStandIn, slack_url: str, *,
                 rng: random.Random, lookups: int = 10, agent_replies: int = 2,
                 timeout: float = 240.0) -> None:
        self.tg = tg
        self.slack = slack
        self.slack_url = slack_url
        self.rng = rng
        self.lookups = lookups
        self.agent_replies = agent_replies
        self.timeout = timeout
        self.observer = Observer(tg, slack)
        self.pushed = Pushed()
        self.began = time.monotonic()  # the load's start, for the moments reported
        self.duplicates: list[tuple[float, int, str]] = []  # (moment, chat, text) received twice

    # -- a customer on Telegram ------------------------------------------------------------------
    async def customer(self, n: int) -> None:
        """One person: the intake by buttons and text, a follow-up, then look-ups."""
        chat = CUSTOMER_BASE + n
        name = f"Klient{n:04d}"
        tg = self.tg
        await self._step(chat, lambda: tg.push_command(chat, "/start", first_name=name))
        for data in ("m:new", "cat:other"):
            await self._step(chat, partial(tg.push_callback, chat, data, first_name=name))
        for text in (subject(n), description(n)):
            await self._step(chat, partial(tg.push_text, chat, text, first_name=name))
        for data in ("f:done", "f:skip"):  # no files; no e-mail
            await self._step(chat, partial(tg.push_callback, chat, data, first_name=name))
        self.pushed.updates.append(tg.push_callback(chat, "f:ok", first_name=name))
        ticket = await until(lambda: self.observer.ticket_number(chat), timeout=self.timeout,
                             what=f"customer {n}'s ticket number")
        self.pushed.tickets[n] = ticket
        await self._step(chat, lambda: tg.push_text(chat, follow_up(n), first_name=name))
        for k in range(self.lookups):
            command = (f"/status {ticket}", "/tickets", "/help")[k % 3]
            await self._step(chat, partial(tg.push_command, chat, command, first_name=name))

    async def _step(self, chat: int, push: Callable[[], int]) -> None:
        """Do something and wait for the bot's answer, as a person would. Updates are taken in
        order, so the conversation would be the same without the wait: it only paces."""
        before = self.observer.count(chat)
        self.pushed.updates.append(push())
        await until(lambda: self.observer.count(chat) > before, timeout=self.timeout,
                    what=f"an answer in chat {chat}", every=0.05)
        await asyncio.sleep(self.rng.uniform(0.0, 0.05))

    # -- an agent in the ticket's Slack thread ---------------------------------------------------
    async def agent(self, n: int) -> None:
        """Answer customer n in the ticket's thread, once the bot has posted there (so the
        thread is the one the store knows; see docs/reliability.md on roots posted twice)."""
        thread = await until(lambda: self.observer.thread_of(f"FU-{n:04d}"),
                             timeout=self.timeout, what=f"the thread of customer {n}",
                             every=0.1)
        user = self.rng.choice(sorted(AGENT_USERS))
        for k in range(1, self.agent_replies + 1):
            ts = self.slack.new_ts()
            text = agent_text(n, k)
            event = self.slack.message_event(AGENTS, user, text, ts=ts, thread_ts=thread)
            await self.send_event(event, event_id=f"EvLoad{n:04d}x{k}")
            self.pushed.agent_replies.append((n, k, ts, text))
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))

    async def send_event(self, event: dict[str, Any], *, event_id: str) -> None:
        """POST an event until the bot accepts it, as Slack does: every failure (connection
        refused while the bot is down, a reset, a non-2xx) is retried with the same
        ``event_id`` and the next ``X-Slack-Retry-Num``."""
        retry: int | None = None
        while True:
            self.pushed.slack_posts += 1
            try:
                status, _ = await asyncio.wait_for(self.slack.send_event(
                    self.slack_url, event, signing_secret=SIGNING_SECRET, event_id=event_id,
                    retry_num=retry, retry_reason="http_error"), 15)
            except (aiohttp.ClientError, OSError, TimeoutError):
                status = 0
            if 200 <= status < 300:
                return
            retry = (retry or 0) + 1
            self.pushed.slack_resends += 1
            await asyncio.sleep(min(2.0, 0.2 * retry) * self.rng.uniform(0.5, 1.0))


# -- checking ------------------------------------------------------------------------------------
@dataclass
class Findings:
    """What the store and the platforms hold at the end, against what was pushed."""

    figures: dict[str, Any]
    problems: list[str]


def rendered_parts(payload: str, translator: Translator) -> list[str]:
    """The Telegram messages an outbox row becomes (what the adapter sends, part by part)."""
    action = from_json(payload)
    if not isinstance(action, CustomerMessage):
        return []
    return split_html(translator.render_all(action.texts, action.language, escape=escape))


def verify(database: Path, driver: LoadDriver, customers: int) -> Findings:
    """Every inbound message stored exactly once, every outbound one delivered, and what a
    platform received twice, counted. Run after the bot has stopped."""
    pushed = driver.pushed
    problems: list[str] = []
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    try:
        processed = {r[0] for r in conn.execute("SELECT event_id FROM processed_events")}
        telegram_ids = {f"telegram:update:{u}" for u in pushed.updates}
        stored_updates = {e for e in processed if e.startswith("telegram:update:")}
        missing = telegram_ids - stored_updates
        extra = stored_updates - telegram_ids
        if missing:
            problems.append(f"{len(missing)} Telegram updates not stored: {sorted(missing)[:5]}")
        if extra:
            problems.append(f"{len(extra)} Telegram updates stored that were never pushed")

        tickets = {r["id"]: r for r in conn.execute("SELECT * FROM tickets")}
        if len(tickets) != customers:
            problems.append(f"{len(tickets)} tickets for {customers} customers")
        messages = conn.execute("SELECT * FROM ticket_messages ORDER BY id").fetchall()
        bodies = Counter(str(m["body"]) for m in messages)
        for n in range(customers):
            number = pushed.tickets.get(n)
            ticket = tickets.get(number) if number is not None else None
            if ticket is None or ticket["subject"] != subject(n):
                problems.append(f"customer {n}: no ticket with their subject")
            for text in (description(n), follow_up(n)):
                if bodies[text] != 1:
                    problems.append(f"customer {n}: {text[:8]} stored {bodies[text]} times")
        slack_events = {f"slack:msg:{AGENTS}:{ts}" for _, _, ts, _ in pushed.agent_replies}
        if not slack_events <= processed:
            problems.append(f"{len(slack_events - processed)} agent replies not stored")
        for n, _, _, text in pushed.agent_replies:
            if bodies[text] != 1:
                problems.append(f"customer {n}: agent reply stored {bodies[text]} times")

        outbox = conn.execute("SELECT * FROM outbox ORDER BY id").fetchall()
        undelivered = [r["id"] for r in outbox
                       if r["delivered_at"] is None and r["failed_at"] is None]
        failed = [(r["id"], r["error"]) for r in outbox if r["failed_at"] is not None]
        if undelivered:
            problems.append(f"{len(undelivered)} outbox rows never delivered")
        if failed:
            problems.append(f"{len(failed)} outbox rows failed: {failed[:3]}")
        retried = sum(1 for r in outbox if r["attempts"] > 1)
        telegram_rows = [r for r in outbox if r["destination"] == "telegram"]
        desk_rows = [r for r in outbox if r["destination"] == "desk"]
    finally:
        conn.close()

    duplicates_telegram, out_of_order = _telegram_deliveries(telegram_rows, driver, problems)
    duplicate_roots, duplicate_lines = _slack_deliveries(pushed, driver, customers, problems)
    reacted = {(r.channel, r.ts) for r in driver.slack.reactions
               if r.name == "white_check_mark"}
    unmarked = [ts for _, _, ts, _ in pushed.agent_replies if (AGENTS, ts) not in reacted]
    if unmarked:
        problems.append(f"{len(unmarked)} agent replies never marked delivered on Slack")

    tg = driver.tg
    figures: dict[str, Any] = {
        "customers": customers,
        "inbound_pushed": {
            "telegram_updates": len(pushed.updates),
            "slack_agent_replies": len(pushed.agent_replies),
            "total": len(pushed.updates) + len(pushed.agent_replies),
        },
        "inbound_stored": {
            "telegram_updates": len(telegram_ids & stored_updates),
            "slack_agent_replies": len(slack_events & processed),
            "tickets": len(tickets),
            "ticket_messages": len(messages),
        },
        "redelivered_by_platforms": {
            "telegram_updates_sent_again": len(tg.delivered_ids) - len(set(tg.delivered_ids)),
            "slack_posts": pushed.slack_posts,
            "slack_resends_with_retry_num": pushed.slack_resends,
        },
        "outbound": {
            "outbox_rows": len(outbox),
            "telegram_rows": len(telegram_rows),
            "desk_rows": len(desk_rows),
            "undelivered": len(undelivered),
            "failed": len(failed),
            "rows_tried_more_than_once": retried,
            "telegram_messages_received": len(tg.sent),
            "telegram_429_answers": tg.rejected_429,
            "slack_posts_received": len(driver.slack.posts),
        },
        "duplicates_at_platforms": {
            "telegram_messages": duplicates_telegram,
            "slack_ticket_roots": duplicate_roots,
            "slack_thread_lines": duplicate_lines,
            "total": duplicates_telegram + duplicate_roots + duplicate_lines,
        },
        "telegram_out_of_order": out_of_order,
    }
    return Findings(figures, problems)


def _telegram_deliveries(rows: list[sqlite3.Row], driver: LoadDriver,
                         problems: list[str]) -> tuple[int, int]:
    """Each chat must have received the rendered outbox rows in order; a message received
    twice (sent, then the process died before it was marked delivered) is counted."""
    translator = Translator(PROJECT_ROOT / "locales", default_language="pl",
                            timezone="Europe/Warsaw")
    expected: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        chat = int(str(row["recipient"]).split(":", 1)[1])
        expected[chat].extend(rendered_parts(str(row["payload"]), translator))
    driver.observer.refresh()
    duplicates = out_of_order = 0
    for chat in set(expected) | set(driver.observer.telegram):
        want = expected.get(chat, [])
        matched = 0
        for message in driver.observer.telegram.get(chat, []):
            text = message.text or ""
            if matched < len(want) and text == want[matched]:
                matched += 1
            elif matched and text == want[matched - 1]:
                duplicates += 1  # the one just delivered, once more
                driver.duplicates.append((round(message.at - driver.began, 2), chat,
                                          text[:50]))
            else:
                out_of_order += 1
        if matched < len(want):
            problems.append(f"chat {chat}: {len(want) - matched} of {len(want)} messages "
                            f"never arrived (first missing: {want[matched][:60]!r})")
    if out_of_order:
        problems.append(f"{out_of_order} Telegram messages out of order or unexpected")
    return duplicates, out_of_order


def _slack_deliveries(pushed: Pushed, driver: LoadDriver, customers: int,
                      problems: list[str]) -> tuple[int, int]:
    """Each ticket's root message and each customer's follow-up line in its thread: once."""
    roots: Counter[int] = Counter()
    lines: Counter[str] = Counter()
    for post in driver.slack.posts:
        if post.channel != AGENTS:
            continue
        root = re.match(r"Zgłoszenie #(\d+):", post.text)
        if post.thread_ts is None and root:
            roots[int(root.group(1))] += 1
        for mark in _FOLLOW_UP_MARK.findall(post.text):
            lines[mark] += 1
    for n in range(customers):
        number = pushed.tickets.get(n)
        if number is not None and roots[number] == 0:
            problems.append(f"ticket {number} never appeared in the agents' channel")
        if lines[f"FU-{n:04d}"] == 0:
            problems.append(f"customer {n}'s follow-up never appeared on the desk")
    return (sum(c - 1 for c in roots.values() if c > 1),
            sum(c - 1 for c in lines.values() if c > 1))


# -- the crash scenario --------------------------------------------------------------------------
@dataclass
class CrashRun:
    customers: int
    kills: int
    seed: int
    # Kills fall at random moments of this span (seconds since the load began), one in each
    # equal slice of it, so they hit the intake, the follow-ups and the agents' replies
    # alike; at least a second of uptime comes before each, so each hits a bot at work.
    kill_window: tuple[float, float] = (3.0, 75.0)
    down_for: tuple[float, float] = (0.2, 1.5)  # seconds the bot stays dead
    lookups: int = 10
    agent_replies: int = 2
    quiet_timeout: float = 240.0
    kill_moments: list[float] = field(default_factory=list)  # seconds since the load began


InFlight = tuple[str, str, str, str]  # (platform, chat or channel, message id, text)


def unrecorded_sends(database: Path, tg: TelegramStandIn,
                     slack: SlackStandIn) -> set[InFlight]:
    """Messages a platform holds that the store has not recorded as delivered. Read just after
    a kill, these are the deliveries that were in flight: the platform took them, the process
    died before the store marked them, so the next start sends each again (at-least-once)."""
    recorded: set[tuple[str, str, str]] = set()
    with contextlib.closing(sqlite3.connect(database, timeout=5)) as conn:
        for destination, recipient, ref in conn.execute(
                "SELECT destination, recipient, delivered_ref FROM outbox "
                "WHERE delivered_ref IS NOT NULL"):
            if destination == "telegram":  # "t12,t13,f14": the ids of the parts sent
                chat = str(recipient).split(":", 1)[1]
                recorded |= {("telegram", chat, item.strip()[1:]) for item in ref.split(",")}
            else:
                recorded.add(("slack", AGENTS, str(ref)))
        recorded |= {("slack", AGENTS, str(r[0]))
                     for r in conn.execute("SELECT thread_ref FROM desk_threads")}
    sends = {("telegram", str(m.chat_id), str(m.message_id), (m.text or "")[:50])
             for m in tg.sent}
    sends |= {("slack", AGENTS, p.ts, p.text[:50]) for p in slack.posts if p.channel == AGENTS}
    return {send for send in sends if send[:3] not in recorded}


def outbox_backlog(database: Path) -> int:
    """Outbox rows not yet delivered (nor given up), read beside the running bot."""
    with contextlib.closing(sqlite3.connect(database, timeout=5)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL "
                                "AND failed_at IS NULL").fetchone()[0])


async def run_crash_scenario(tg: TelegramStandIn, slack: SlackStandIn, workdir: Path,
                             run: CrashRun) -> tuple[Findings, BotProcess]:
    """Load the real bot and SIGKILL it ``run.kills`` times at random moments; restart it each
    time, finish the load, let it go quiet, stop it, and check the store and the platforms."""
    rng = random.Random(run.seed)
    populate_slack(slack)
    port = free_port()
    database = workdir / "data" / "supportbot.sqlite3"
    bot = BotProcess(bot_environment(tg, slack, database, port), workdir)
    driver = LoadDriver(tg, slack, f"http://127.0.0.1:{port}/slack/events", rng=rng,
                        lookups=run.lookups, agent_replies=run.agent_replies)
    await bot.start()
    await bot.wait_ready()
    began = driver.began = time.monotonic()

    start, end = run.kill_window
    width = (end - start) / max(1, run.kills)
    moments = [rng.uniform(start + i * width, start + (i + 1) * width) for i in range(run.kills)]

    in_flight: set[InFlight] = set()

    async def killer() -> None:
        for moment in moments:
            await asyncio.sleep(max(1.0, began + moment - time.monotonic()))
            run.kill_moments.append(round(time.monotonic() - began, 2))
            await bot.kill()
            in_flight.update(unrecorded_sends(database, tg, slack))
            await asyncio.sleep(rng.uniform(*run.down_for))
            await bot.start()
            await bot.wait_ready()

    try:
        async def customers() -> float:
            await asyncio.gather(*(driver.customer(n) for n in range(run.customers)))
            return time.monotonic() - began

        customers_done, *_ = await asyncio.gather(
            customers(), killer(), *(driver.agent(n) for n in range(run.customers)))
        loaded = time.monotonic() - began
        # The quiet period: the backlog (the desk is paced at Slack's ~1 post a second per
        # channel) drains, with nothing new coming in.
        await until(lambda: outbox_backlog(database) == 0, timeout=run.quiet_timeout,
                    what="the outbox to drain", every=0.5)
        await asyncio.sleep(1.0)
        code, stop_seconds = await bot.terminate()
    finally:
        if bot.running:
            await bot.kill()
    findings = verify(database, driver, run.customers)
    findings.figures.update({
        "kills": bot.kills,
        "restarts": bot.starts - 1,
        "kill_moments_s": run.kill_moments,
        "seed": run.seed,
        "customers_done_after_s": round(customers_done, 1),
        "load_seconds": round(loaded, 1),
        "total_seconds": round(time.monotonic() - began, 1),
        "final_sigterm_exit_code": code,
        "final_sigterm_seconds": round(stop_seconds, 2),
        "telegram_pending_after_stop": len(tg.pending_update_ids),
        "duplicate_moments_s": driver.duplicates,
        "in_flight_at_kills": len(in_flight),
        "in_flight_examples": sorted(in_flight)[:10],
    })
    # Every message received twice must be one the platform took just before a kill.
    sent_twice = Counter((str(chat), text) for _, chat, text in driver.duplicates)
    explained = Counter((chat, text) for platform, chat, _, text in in_flight
                        if platform == "telegram")
    if sent_twice - explained:
        findings.problems.append(f"sent twice without a kill to explain it: "
                                 f"{sorted(sent_twice - explained)[:5]}")
    return findings, bot

