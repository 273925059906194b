"""The Discord adapter running for real: discord.py, the stand-in, and a real runtime.

``DiscordWorld`` acts as the customer does (writes a DM, presses a button by its label,
picks from a select menu, uses /ticket) and waits for what the bot sends back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from adapters.discord import DiscordApp, create
from bot.events import AgentRef, AgentReply, Attachment
from bot.runtime import Runtime
from bot.settings import DiscordSettings, Settings
from supportbot.app import open_runtime
from tests.standins.discord_api import DiscordStandIn, MessageRecord

USER = 4_242_000_000_000_000_001
OTHER_USER = 4_242_000_000_000_000_002
AGENT = AgentRef("test", "A1", "Anna")
TIMEOUT = 5.0

JSON = dict[str, Any]


def settings_for(stand_in: DiscordStandIn, database: Path, *,
                 priority_customers: Sequence[str] = (), **discord: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database=database,
        messages_per_minute=1000,  # fair use is the core's business, not these tests'
        priority_customers=list(priority_customers),
        discord=DiscordSettings(enabled=True, token=SecretStr(stand_in.token),
                                api_base_url=stand_in.api_base,
                                gateway_url=stand_in.gateway_url, **discord),
    )


def buttons_of(message: MessageRecord) -> list[JSON]:
    return [c for row in message.components for c in row.get("components", [])]


def labels_of(message: MessageRecord) -> list[str]:
    """What the person sees to press: button labels, then select menu options."""
    labels: list[str] = []
    for component in buttons_of(message):
        if component["type"] == 2:
            labels.append(component["label"])
        elif component["type"] == 3:
            labels += [option["label"] for option in component["options"]]
    return labels


@dataclass
class DiscordWorld:
    stand_in: DiscordStandIn
    runtime: Runtime
    app: DiscordApp
    _agent_events: int = 0

    # -- observing -----------------------------------------------------------------------------
    def messages(self, user: int = USER) -> list[MessageRecord]:
        return self.stand_in.messages_to(user)

    def last(self, user: int = USER) -> MessageRecord:
        messages = self.messages(user)
        assert messages, f"nothing was sent to {user}\n{self.stand_in.dump()}"
        return messages[-1]

    def texts(self, user: int = USER) -> list[str]:
        return [m.content for m in self.messages(user)]

    async def settle(self, *, quiet: float = 0.05) -> None:
        """Wait until what was handed to the engine is handled and delivered."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            await asyncio.sleep(quiet)
            pending = await self.runtime.store.pending_outbox(["discord"])
            if not pending and self.app.inbound._idle.is_set():
                return
        raise AssertionError("the outbox did not drain\n" + self.stand_in.dump())

    async def replies(self, before: int, user: int = USER, *, count: int = 1
                      ) -> list[MessageRecord]:
        """The messages sent to ``user`` after the first ``before``, once there are some."""
        await self.stand_in.wait_for(lambda: len(self.messages(user)) >= before + count,
                                     timeout=TIMEOUT)
        await self.settle()
        return self.messages(user)[before:]

    # -- acting as the customer ----------------------------------------------------------------
    async def dm(self, text: str, user: int = USER, *,
                 attachments: Sequence[tuple[str, bytes]] | None = None) -> str:
        """Write a direct message; returns the text of the bot's (last) answer."""
        before = len(self.messages(user))
        await self.stand_in.push_dm(user, text, attachments=attachments)
        return (await self.replies(before, user))[-1].content

    def _find(self, label: str, user: int) -> tuple[MessageRecord, JSON, str | None]:
        for message in reversed(self.messages(user)):
            for component in buttons_of(message):
                if component["type"] == 2 and component["label"] == label:
                    return message, component, None
                if component["type"] == 3:
                    for option in component["options"]:
                        if option["label"] == label:
                            return message, component, option["value"]
        raise AssertionError(f"no button or option {label!r}; last has "
                             f"{labels_of(self.last(user))}")

    async def press(self, label: str, user: int = USER, *, locale: str | None = "pl") -> str:
        """Press a button (or pick a select option) by what it says; returns the answer."""
        message, component, value = self._find(label, user)
        before = len(self.messages(user))
        await self.stand_in.push_component(
            user, component["custom_id"], message_id=message.message_id, locale=locale,
            component_type=component["type"], values=[value] if value is not None else None)
        return (await self.replies(before, user))[-1].content

    def agent_event_id(self) -> str:
        self._agent_events += 1
        return f"test:agent:{self._agent_events}"

    async def agent_reply(self, ticket_id: int, text: str,
                          attachments: tuple[Attachment, ...] = ()) -> str:
        """An agent's reply, straight into the engine (the desk's job); returns its id."""
        event_id = self.agent_event_id()
        await self.runtime.engine.handle(AgentReply(event_id, AGENT, ticket_id, text,
                                                    attachments))
        return event_id


@contextlib.asynccontextmanager
async def discord_world(tmp_path: Path, stand_in: DiscordStandIn, *,
                        priority_customers: Sequence[str] = (),
                        **discord: Any) -> AsyncIterator[DiscordWorld]:
    """A runtime on ``tmp_path/db.sqlite3`` with the Discord app started (and stopped)."""
    settings = settings_for(stand_in, tmp_path / "db.sqlite3",
                            priority_customers=priority_customers, **discord)
    async with open_runtime(settings) as runtime:
        app = create(runtime, guild_ready_timeout=0.05)
        delivery = asyncio.create_task(runtime.dispatcher.run())
        await app.start()
        try:
            yield DiscordWorld(stand_in, runtime, app)
        finally:
            await app.stop()
            await runtime.dispatcher.stop(timeout=2)
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery
