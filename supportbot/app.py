"""Assembling the bot from its settings: store, engine, delivery and the enabled chat apps."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.config import EngineConfig
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.forms import FormBook
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.sla import ResponsePolicy
from storage.store import Store

log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to fix."""


def build_policy(settings: Settings) -> ResponsePolicy:
    default = ResponsePolicy.default()
    try:
        return ResponsePolicy(
            timezone=settings.timezone,
            week=ResponsePolicy.parse_week(settings.business_hours),
            first_response=dict(default.first_response),
            holiday_country=settings.holiday_country or None,
            always_served=default.always_served,
        )
    except ValueError as exc:
        raise ConfigurationError(f"business hours: {exc}") from exc


def build_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        knowledge=KnowledgeBase.load(settings.knowledge_dir),
        forms=FormBook.load(settings.forms_file),
        policy=build_policy(settings),
        default_language=settings.default_language,
        tickets_page_size=settings.tickets_page_size,
        team_name=settings.team_name,
        show_agent_names=settings.show_agent_names,
        max_text_length=settings.max_text_length,
    )


@dataclass(slots=True)
class Core:
    """Everything the chat apps share."""

    settings: Settings
    store: Store
    engine: Engine
    dispatcher: Dispatcher
    translator: Translator


@contextlib.asynccontextmanager
async def open_core(settings: Settings) -> AsyncIterator[Core]:
    """Open the store and build the engine; closes everything on the way out."""
    config = build_config(settings)
    translator = Translator(settings.locales_dir, default_language=settings.default_language,
                            timezone=settings.timezone)
    store = Store(settings.database)
    await store.open()
    dispatcher = Dispatcher(store)
    engine = Engine(store, config, on_outbox=dispatcher.wake)
    try:
        yield Core(settings, store, engine, dispatcher, translator)
    finally:
        await store.close()


async def run_console(settings: Settings) -> None:
    from adapters.console.channel import PLATFORM, ConsoleChannel, stdin_lines
    from bot.turn import DESK

    async with open_core(settings) as core:
        console = ConsoleChannel(core.translator, core.store,
                                 desk_language=settings.desk_language)
        core.dispatcher.register(PLATFORM, console)
        core.dispatcher.register(DESK, console)
        await core.dispatcher.drain()  # whatever a previous run left undelivered
        await console.run(stdin_lines(), core.engine, core.dispatcher)
        await core.dispatcher.stop(timeout=5)


async def run_enabled_apps(settings: Settings) -> None:
    missing = settings.missing()
    if missing:
        raise ConfigurationError("missing settings: " + ", ".join(missing))
    apps = settings.enabled_apps()
    if not apps:
        log.info("no chat app is enabled: starting the console channel")
        await run_console(settings)
        return
    raise ConfigurationError(
        f"chat apps enabled but not built into this version yet: {', '.join(apps)}"
    )
