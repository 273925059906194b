"""An engine wired to recording channels, with helpers that act like a customer or an agent."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.actions import Action, CustomerMessage, DeskNotice
from bot.canned import CannedReplies
from bot.config import EngineConfig
from bot.delivery import DeliveryError, Dispatcher
from bot.engine import Engine, Outcome
from bot.events import (
    AgentAction,
    AgentNote,
    AgentRef,
    AgentReply,
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerFile,
    CustomerRef,
    CustomerText,
    InboundEvent,
)
from bot.forms import FormBook
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.model import AgentOp, Command
from bot.settings import PROJECT_ROOT
from bot.sla import ResponsePolicy
from bot.timers import TimerSweeper
from bot.turn import DESK
from storage.store import Store

# A Monday morning in Warsaw (09:00 local), inside business hours.
MONDAY_9AM = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
_ids = itertools.count(1)


def new_event_id() -> str:
    return f"test:{next(_ids)}"


@dataclass
class RecordingChannel:
    """A chat app that records what it was asked to deliver; can be told to fail."""

    delivered: list[Action] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)

    async def deliver(self, action: Action) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(action)
        return str(len(self.delivered))


class FrozenClock:
    def __init__(self, start: datetime = MONDAY_9AM) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def engine_config(**overrides: Any) -> EngineConfig:
    """The shipped data files; the time stays frozen in tests, so the message limit is high
    unless a test is about fair use."""
    settings: dict[str, Any] = {
        "knowledge": KnowledgeBase.load(PROJECT_ROOT / "knowledge"),
        "forms": FormBook.load(PROJECT_ROOT / "bot" / "data" / "forms.toml"),
        "policy": ResponsePolicy.default(),
        "canned": CannedReplies.load(PROJECT_ROOT / "bot" / "data" / "canned.toml"),
        "messages_per_minute": 1000,
    }
    settings.update(overrides)
    return EngineConfig(**settings)


class Harness:
    """A running engine over a store file; reopen it on the same file to simulate a restart."""

    def __init__(self, db: Path, *, clock: FrozenClock | None = None,
                 **config: Any) -> None:
        self.db = db
        self.clock = clock or FrozenClock()
        self.translator = Translator(PROJECT_ROOT / "locales", strict=True)
        self.chat = RecordingChannel()
        self.desk = RecordingChannel()
        self.store = Store(db)
        self.dispatcher = Dispatcher(self.store, clock=self.clock)
        self.config = engine_config(**config)
        self.engine = Engine(self.store, self.config, clock=self.clock)
        self.sweeper = TimerSweeper(self.store, self.config, clock=self.clock)
        self.dispatcher.register("test", self.chat)
        self.dispatcher.register(DESK, self.desk)
        self.agent = AgentRef("test", "A1", "Anna")

    async def __aenter__(self) -> Harness:
        await self.store.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.store.close()

    # -- acting --------------------------------------------------------------------------------
    def customer(self, user: str = "u1", locale: str | None = "pl-PL",
                 name: str = "Jan") -> CustomerRef:
        return CustomerRef("test", user, f"chat-{user}", name, locale)

    async def send(self, event: InboundEvent) -> Outcome:
        outcome = await self.engine.handle(event)
        await self.dispatcher.drain()
        return outcome

    async def say(self, text: str, *, user: str = "u1", locale: str | None = "pl-PL") -> str:
        await self.send(CustomerText(new_event_id(), self.customer(user, locale), text))
        return self.last_text(user)

    async def command(self, command: Command, argument: str = "", *, user: str = "u1",
                      locale: str | None = "pl-PL") -> str:
        await self.send(CustomerCommand(new_event_id(), self.customer(user, locale),
                                        command, argument))
        return self.last_text(user)

    async def press(self, data: str, *, user: str = "u1", locale: str | None = "pl-PL") -> str:
        await self.send(ButtonPress(new_event_id(), self.customer(user, locale), data))
        return self.last_text(user)

    async def press_label(self, label: str, *, user: str = "u1",
                          locale: str | None = "pl-PL") -> str:
        """Press a button of the last message by its visible label (as a person would)."""
        message = self.last_message(user)
        for button in message.buttons:
            if self.translator.render(button.label, message.language) == label:
                return await self.press(button.data, user=user, locale=locale)
        labels = [self.translator.render(b.label, message.language) for b in message.buttons]
        raise AssertionError(f"no button {label!r}; the last message has {labels}")

    async def send_file(self, name: str, *, user: str = "u1", caption: str = "") -> str:
        attachment = Attachment("document", f"file-{name}", name, "image/png", 1234)
        await self.send(CustomerFile(new_event_id(), self.customer(user), attachment, caption))
        return self.last_text(user)

    async def agent_reply(self, ticket_id: int, text: str) -> Outcome:
        return await self.send(AgentReply(new_event_id(), self.agent, ticket_id, text))

    async def agent_note(self, ticket_id: int, text: str) -> Outcome:
        return await self.send(AgentNote(new_event_id(), self.agent, ticket_id, text))

    async def agent_act(self, ticket_id: int, op: AgentOp, value: str = "") -> Outcome:
        return await self.send(AgentAction(new_event_id(), self.agent, ticket_id, op, value))

    async def sweep(self) -> None:
        """Fire the timers due at the frozen clock's time, and deliver what they say."""
        await self.sweeper.sweep()
        await self.dispatcher.drain()

    # -- observing -----------------------------------------------------------------------------
    def messages_to(self, user: str = "u1") -> list[CustomerMessage]:
        return [a for a in self.chat.delivered
                if isinstance(a, CustomerMessage) and a.chat_id == f"chat-{user}"]

    def last_message(self, user: str = "u1") -> CustomerMessage:
        messages = self.messages_to(user)
        assert messages, f"nothing was sent to {user}"
        return messages[-1]

    def render(self, message: CustomerMessage) -> str:
        return self.translator.render_all(message.texts, message.language)

    def last_text(self, user: str = "u1") -> str:
        return self.render(self.last_message(user))

    def labels(self, user: str = "u1") -> list[str]:
        message = self.last_message(user)
        return [self.translator.render(b.label, message.language) for b in message.buttons]

    def desk_notices(self) -> list[DeskNotice]:
        return [a for a in self.desk.delivered if isinstance(a, DeskNotice)]
