"""A running Slack desk over the Slack stand-in, for the Slack adapter's tests.

The real slack-bolt and slack-sdk talk to ``tests/standins/slack_api.py``; the customer side
is the test harness's recording chat app (platform ``test``), or Slack itself for DMs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.slack.app import SlackApp
from adapters.slack.client import ChannelPacer
from bot.events import Attachment
from bot.runtime import Runtime
from bot.settings import Settings, SlackSettings
from tests.harness import Harness
from tests.standins.slack_api import Message, SlackStandIn

SECRET = "test-signing-secret"
AGENTS = "CAGENTS"
ANNA, BOB, EVE = "UANNA", "UBOB", "UEVE"  # two agents, and someone who is not one

def populate(slack: SlackStandIn) -> None:
    slack.channel_members[AGENTS] = {ANNA, BOB, slack.bot_user_id}
    slack.users[ANNA] = {"name": "anna", "real_name": "Anna Nowak", "locale": "pl-PL"}
    slack.users[BOB] = {"name": "bob", "real_name": "Bob Smith", "locale": "en-US"}
    slack.users[EVE] = {"name": "eve", "real_name": "Eve Intruder", "locale": "en-US"}


@dataclass
class MemoryFiles:
    """A chat app's file store for the recording customer channel (source ``test``)."""

    content: dict[str, bytes] = field(default_factory=dict)

    async def fetch(self, attachment: Attachment) -> bytes:
        return self.content[attachment.file_ref]


@dataclass
class Desk:
    h: Harness
    slack: SlackStandIn
    app: SlackApp
    runtime: Runtime
    files: MemoryFiles
    url: str = ""

    async def settle(self) -> None:
        """Let acknowledged work and outbox deliveries finish."""
        for _ in range(3):
            await self.app.idle()
            await self.h.dispatcher.drain()

    async def thread_ts(self, ticket_id: int) -> str:
        """The ts of the ticket's root message (waiting for it to be posted)."""
        for _ in range(300):
            thread = await self.h.store.desk_thread(ticket_id)
            if thread is not None:
                return thread.thread_ref
            await asyncio.sleep(0.01)
        raise AssertionError(f"ticket {ticket_id} has no thread\n{self.slack.dump()}")

    async def root(self, ticket_id: int) -> Message:
        message = self.slack.message(AGENTS, await self.thread_ts(ticket_id))
        assert message is not None
        return message

    async def thread(self, ticket_id: int) -> list[Message]:
        return self.slack.messages_in(AGENTS, thread_ts=await self.thread_ts(ticket_id))

    # -- what Slack sends ------------------------------------------------------------------------
    async def event(self, event: dict[str, Any], **kwargs: Any) -> int:
        status, _ = await self.slack.send_event(self.url, event, signing_secret=SECRET, **kwargs)
        await self.settle()
        return status

    async def reply(self, ticket_id: int, user: str, text: str, **kwargs: Any) -> str:
        """An agent writes in the ticket's thread; returns the message's ts."""
        event = self.slack.message_event(AGENTS, user, text,
                                         thread_ts=await self.thread_ts(ticket_id))
        assert await self.event(event, **kwargs) == 200
        return str(event["ts"])

    async def press(self, ticket_id: int, user: str, action_id: str, *,
                    option: str | None = None, trigger_id: str | None = None) -> int:
        ts = await self.thread_ts(ticket_id)
        payload = self.slack.block_actions(
            user, action_id, None if option else str(ticket_id), channel=AGENTS,
            message_ts=ts, selected_option=option, trigger_id=trigger_id,
            block_id=f"desk:{ticket_id}")
        status, _ = await self.slack.send_interaction(self.url, payload, signing_secret=SECRET)
        await self.settle()
        return status

    async def command(self, user: str, text: str) -> str:
        before = len(self.slack.responses)
        status, _ = await self.slack.send_command(self.url, "/ticket", text, user_id=user,
                                                  channel_id=AGENTS, signing_secret=SECRET)
        assert status == 200
        await self.settle()
        responses = await self.slack.wait_for(lambda: self.slack.responses[before:])
        body = responses[-1].body
        assert body.get("response_type") == "ephemeral"
        return rendered(body)


def rendered(body: dict[str, Any]) -> str:
    """Everything a person would read in a message: its blocks' text, or its text."""
    parts: list[str] = []
    for block in body.get("blocks") or []:
        parts += block_texts(block)
    return "\n".join(parts) if parts else str(body.get("text") or "")


def block_texts(block: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    if isinstance(block.get("text"), dict):
        texts.append(str(block["text"]["text"]))
    for item in block.get("fields") or []:
        texts.append(str(item["text"]))
    for element in block.get("elements") or []:
        if isinstance(element.get("text"), dict):
            texts.append(str(element["text"]["text"]))
        elif isinstance(element.get("text"), str):
            texts.append(element["text"])
    return texts


def message_text(message: Message) -> str:
    return rendered({"blocks": message.blocks, "text": message.text})


def action_ids(message: Message) -> list[str]:
    return [e["action_id"] for b in message.blocks or [] if b["type"] == "actions"
            for e in b["elements"]]


@contextlib.asynccontextmanager
async def running_desk(tmp_path: Path, slack: SlackStandIn, *, socket_mode: bool = False,
                       slack_options: dict[str, Any] | None = None,
                       **config: Any) -> AsyncIterator[Desk]:
    """A harness engine, with the Slack app as its desk (and Slack customers), running."""
    populate(slack)
    async with Harness(tmp_path / "db.sqlite3", **config) as h:
        settings = Settings(
            _env_file=None,
            database=tmp_path / "db.sqlite3",
            desk_language="pl",
            slack=SlackSettings(
                enabled=True, bot_token=slack.bot_token,
                signing_secret=SECRET,
                app_token=slack.app_token if socket_mode else None,
                agent_channel=AGENTS, api_base_url=slack.api_url,
                http_listen="127.0.0.1", http_port=0, **(slack_options or {})),
        )
        runtime = Runtime(settings, h.store, h.engine, h.dispatcher, h.translator)
        files = MemoryFiles()
        runtime.files["test"] = files
        h.engine.on_outbox = h.dispatcher.wake
        h.dispatcher.poll_interval = 0.05
        app = SlackApp(runtime, pacer=ChannelPacer(burst=50, per_second=50))
        await app.start()
        delivery = asyncio.create_task(h.dispatcher.run())
        url = f"http://127.0.0.1:{app.http_port}/slack/events" if app.http_port else ""
        try:
            yield Desk(h, slack, app, runtime, files, url)
        finally:
            await app.stop()
            await h.dispatcher.stop(timeout=2)
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery


# -- customers -------------------------------------------------------------------------------

ACCOUNT_ANSWERS = ("Nie mogę się zalogować", "Po wpisaniu hasła strona się odświeża.",
                   "jan@example.com")


async def fill_account_form(last_labels: Any, press: Any, say: Any, *,
                            category: str = "Konto i logowanie",
                            answers: tuple[str, ...] = ACCOUNT_ANSWERS,
                            send: str = "Wyślij zgłoszenie") -> None:
    """Walk the intake form from the category choice: answer text fields in order, skip the
    optional ones, finish the files step, and send. Works for any customer chat app."""
    pending = list(answers)
    for _ in range(20):
        labels = last_labels()
        if send in labels:
            await press(send)
            return
        if category in labels:
            await press(category)
        elif "Gotowe" in labels or "Done" in labels:
            await press("Gotowe" if "Gotowe" in labels else "Done")
        elif ("Pomiń" in labels or "Skip" in labels) and not pending:
            await press("Pomiń" if "Pomiń" in labels else "Skip")
        elif pending:
            await say(pending.pop(0))
        else:
            raise AssertionError(f"the form is stuck at {labels}")
    raise AssertionError("the form did not end")


class SlackCustomer:
    """A workspace member who talks to the bot in a direct message."""

    def __init__(self, desk: Desk, user: str = "UJAN", *, name: str = "Jan Kowalski",
                 locale: str = "pl-PL") -> None:
        self.desk = desk
        self.slack = desk.slack
        self.user = user
        self.channel = f"D{user}"
        self.slack.users[user] = {"name": user.lower(), "real_name": name, "locale": locale,
                                  "tz": "Europe/Warsaw"}

    def messages(self) -> list[Message]:
        bot = self.slack.bot_user_id
        return [m for m in self.slack.messages_in(self.channel) if m.user == bot]

    def last(self) -> Message:
        messages = self.messages()
        assert messages, f"the bot said nothing to {self.user}\n{self.slack.dump()}"
        return messages[-1]

    def last_text(self) -> str:
        return message_text(self.last())

    def buttons(self) -> list[dict[str, Any]]:
        return [e for b in self.last().blocks or [] if b["type"] == "actions"
                for e in b["elements"]]

    def labels(self) -> list[str]:
        return [str(b["text"]["text"]) for b in self.buttons()]

    async def say(self, text: str, **kwargs: Any) -> str:
        before = len(self.messages())
        event = self.slack.message_event(self.channel, self.user, text, channel_type="im",
                                         **kwargs)
        assert await self.desk.event(event) == 200
        await self.slack.wait_for(lambda: len(self.messages()) > before)
        return self.last_text()

    async def press(self, label: str) -> str:
        message = self.last()
        button = next((b for b in self.buttons() if b["text"]["text"] == label), None)
        assert button is not None, f"no button {label!r}; there are {self.labels()}"
        before = len(self.messages())
        payload = self.slack.block_actions(self.user, button["action_id"], button["value"],
                                           channel=self.channel, message_ts=message.ts)
        status, _ = await self.slack.send_interaction(self.desk.url, payload,
                                                      signing_secret=SECRET)
        assert status == 200
        await self.desk.settle()
        await self.slack.wait_for(lambda: len(self.messages()) > before)
        return self.last_text()
