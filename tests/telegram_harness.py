"""The real Telegram adapter over a real runtime, talking to the local Bot API stand-in.

``running_bot`` builds the runtime with ``supportbot.app.open_runtime`` (store file in
``tmp_path``), creates the adapter, runs the delivery loop and starts the adapter; ``Rig`` acts
like a person in Telegram and reads what they would see.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import supportbot.app
from adapters.telegram import TelegramApp, create
from bot.config import EngineConfig
from bot.runtime import Runtime
from bot.settings import Settings, TelegramSettings
from supportbot.app import open_runtime
from tests.standins.telegram_api import SentMessage, TelegramStandIn

USER = 4242


@dataclass
class Rig:
    tg: TelegramStandIn
    runtime: Runtime
    app: TelegramApp

    # -- acting like a person --------------------------------------------------------------------
    async def say(self, text: str, *, user: int = USER, language: str | None = "pl") -> str:
        return await self.expect_reply(lambda: self.tg.push_text(user, text,
                                                                 language_code=language), user)

    async def command(self, text: str, *, user: int = USER, language: str | None = "pl") -> str:
        return await self.expect_reply(lambda: self.tg.push_command(user, text,
                                                                    language_code=language), user)

    async def press(self, label: str, *, user: int = USER, language: str | None = "pl") -> str:
        return await self.expect_reply(
            lambda: self.tg.push_button_press(user, label, language_code=language), user)

    async def expect_reply(self, push: Any, user: int = USER) -> str:
        """Do something, wait for the bot's answer; returns what the person now reads."""
        before = len(self.tg.messages_for(user))
        push()
        await self.tg.wait_for(lambda tg: len(tg.messages_for(user)) > before)
        await self.settle()
        return "\n".join(m.visible_text or "" for m in self.tg.messages_for(user)[before:])

    # -- observing -------------------------------------------------------------------------------
    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until nothing is left to deliver to Telegram."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.runtime.store.pending_outbox(["telegram"]):
            if loop.time() > deadline:
                raise AssertionError(f"outbox not delivered\n{self.tg.dump()}")
            await asyncio.sleep(0.02)

    def last(self, user: int = USER) -> SentMessage:
        return self.tg.messages_for(user)[-1]

    def labels(self, user: int = USER) -> list[str]:
        return [label for row in self.tg.buttons(user) for label in row]


def settings_for(tg: TelegramStandIn, db: Path, **telegram: Any) -> Settings:
    options: dict[str, Any] = {
        "enabled": True,
        "token": tg.token,
        "api_base_url": tg.base_url,
        "file_base_url": tg.base_file_url,
        "chat_interval": tg.per_chat_interval + 0.05,  # paced just above the stand-in's limit
        **telegram,
    }
    return Settings(_env_file=None, database=db,  # type: ignore[call-arg]
                    telegram=TelegramSettings(**options))


_build_config = supportbot.app.build_config
_configs: dict[str, EngineConfig] = {}


def shared_config(settings: Settings) -> EngineConfig:
    """The engine's configuration is immutable data read from files the tests do not change;
    indexing the knowledge base costs more than a whole scenario, so it is built once."""
    key = settings.model_dump_json(exclude={"database", "telegram"})
    if key not in _configs:
        _configs[key] = _build_config(settings)
    return _configs[key]


@asynccontextmanager
async def running_bot(tg: TelegramStandIn, db: Path, **telegram: Any) -> AsyncIterator[Rig]:
    with patch.object(supportbot.app, "build_config", shared_config):
        async with open_runtime(settings_for(tg, db, **telegram)) as runtime:
            app = create(runtime)
            delivery = asyncio.create_task(runtime.dispatcher.run())
            try:
                await app.start()
                try:
                    yield Rig(tg, runtime, app)
                finally:
                    await app.stop()
            finally:
                await runtime.dispatcher.stop(timeout=5)
                delivery.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await delivery
