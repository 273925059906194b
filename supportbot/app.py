"""Assembling the bot from its settings: store, engine, delivery and the enabled chat apps."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.canned import CannedReplies
from bot.config import EngineConfig
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.forms import FormBook
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.metrics import Metrics
from bot.runtime import ChatApp, Runtime, StartupError
from bot.settings import Settings
from bot.sla import ResponsePolicy
from bot.timers import TimerSweeper
from bot.turn import DESK
from storage.privacy import run_retention
from storage.store import Store

if TYPE_CHECKING:
    # Imported when the endpoint is on: aiohttp alone takes ~0.2 s to import.
    from supportbot.health import HealthServer

log = logging.getLogger(__name__)

YOUNG_COLLECTION_EVERY = 50_000  # new objects between young garbage collections (default 700)


class ConfigurationError(StartupError):
    """The configuration cannot work; the message says what to fix."""


def build_policy(settings: Settings) -> ResponsePolicy:
    try:
        return ResponsePolicy(
            timezone=settings.timezone,
            week=ResponsePolicy.parse_week(settings.business_hours),
            first_response=ResponsePolicy.parse_targets(settings.first_response_hours),
            holiday_country=settings.holiday_country or None,
            always_served=frozenset(p.lower() for p in settings.served_outside_hours),
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
        canned=CannedReplies.load(settings.canned_file),
        priority_customers=tuple(settings.priority_customers),
        supervisor=settings.supervisor,
        messages_per_minute=settings.messages_per_minute,
        follow_up_quiet=timedelta(minutes=settings.follow_up_quiet_minutes),
        max_open_tickets=settings.max_open_tickets,
        auto_close_after=timedelta(days=settings.auto_close_days),
        auto_assign=settings.auto_assign,
    )


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Open the store and build the engine; closes everything on the way out."""
    config = build_config(settings)
    translator = Translator(settings.locales_dir, default_language=settings.default_language,
                            timezone=settings.timezone)
    store = Store(settings.database)
    await store.open()
    metrics = Metrics()  # reached through runtime.engine.metrics (health endpoint, adapters)
    dispatcher = Dispatcher(store, metrics=metrics)
    engine = Engine(store, config, on_outbox=dispatcher.wake, metrics=metrics)
    sweeper = TimerSweeper(store, config, clock=engine.clock, on_outbox=dispatcher.wake,
                           interval=settings.timer_interval_seconds)
    timers = asyncio.create_task(sweeper.run(), name="timers")
    # What the first answers need but ready does not is loaded in the background, so the bot
    # takes updates at once; an early message just waits for the part it needs.
    # A daemon thread: a shutdown in the first seconds does not wait for it.
    threading.Thread(target=warm_up, args=(config, translator), name="warm-up",
                     daemon=True).start()
    retention = (asyncio.create_task(retention_daily(store, settings.retention_months,
                                                     engine.clock), name="retention")
                 if settings.retention_months else None)
    try:
        yield Runtime(settings, store, engine, dispatcher, translator)
    finally:
        sweeper.stop()
        await timers
        if retention is not None:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
        await store.close()


def warm_up(config: EngineConfig, translator: Translator) -> None:
    """Load, in this order, what rendering needs (the locales, ~0.1 s), this year's public
    holidays and the help-article index (the lemmatiser's dictionaries, seconds). Each is also
    loaded on first use, under its own lock, so this only takes the wait off the first answers;
    a part that fails here fails again, and is reported, where it is used."""
    today = datetime.now(UTC).date()
    parts: tuple[tuple[str, Callable[[], object]], ...] = (
        ("locales", translator.warm_up),
        ("public holidays", lambda: config.policy.is_holiday(today)),
        ("help-article index", config.knowledge.warm_up),
    )
    for what, load in parts:
        try:
            load()
        except Exception:
            log.exception("loading the %s in the background failed", what)
    # What is loaded by now lives as long as the process, so a full garbage collection need
    # not walk it each time: one took ~18 ms, and stalls every thread (the store's writer too).
    # Garbage is collected first, so none of it is kept for good.
    gc.collect()
    gc.freeze()
    # A burst keeps thousands of customers' coroutines and futures alive for a batch or two:
    # with Python's default of a young collection every 700 new objects more than were freed,
    # they were walked again and again and promoted into older collections (0.95 s of GC in
    # 100,000 follow-ups from 2,000 customers at once, pauses up to 17 ms). At 50,000 that
    # burst triggers none; one comes only when the heap has grown by 50,000 objects (the
    # writer's cache filling up) and walks them once. 10,000 still made 19 collections.
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 10)


RETENTION_INTERVAL = 24 * 3600.0


async def retention_daily(store: Store, months: int, clock: Callable[[], datetime], *,
                          interval: float = RETENTION_INTERVAL) -> None:
    """Erase what the retention period has run out for: at start, then once a day."""
    while True:
        try:
            erased = await run_retention(store, months, clock())
            if erased.tickets or erased.customers:
                log.info("retention: erased %d tickets and %d customers older than %d months",
                         erased.tickets, erased.customers, months)
        except Exception:
            log.exception("retention run failed; trying again tomorrow")
        await asyncio.sleep(interval)


async def run_console(settings: Settings) -> None:
    from adapters.console.channel import PLATFORM, ConsoleChannel, stdin_lines

    async with open_runtime(settings) as runtime:
        console = ConsoleChannel(runtime.translator, runtime.store,
                                 desk_language=settings.desk_language)
        runtime.dispatcher.register(PLATFORM, console)
        runtime.dispatcher.register(DESK, console)
        await runtime.dispatcher.drain()  # whatever a previous run left undelivered
        await console.run(stdin_lines(), runtime.engine, runtime.dispatcher)
        await runtime.dispatcher.stop(timeout=5)


# Each chat app's adapter module exposes ``create(runtime) -> ChatApp``; imported only when on.
ADAPTERS = {
    "telegram": "adapters.telegram",
    "slack": "adapters.slack",
    "discord": "adapters.discord",
}


def create_app(name: str, runtime: Runtime) -> ChatApp:
    module = importlib.import_module(ADAPTERS[name])
    app: ChatApp = module.create(runtime)
    return app


async def run_enabled_apps(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run every enabled chat app until SIGTERM / SIGINT (or ``stop``), then shut down cleanly."""
    missing = settings.missing()
    if missing:
        raise ConfigurationError("missing settings: " + ", ".join(missing))
    names = settings.enabled_apps()
    if not names:
        log.info("no chat app is enabled: starting the console channel")
        await run_console(settings)
        return
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal_number, stop.set)
    async with open_runtime(settings) as runtime:
        apps = [create_app(name, runtime) for name in names]
        if DESK not in runtime.dispatcher.destinations:
            log.warning("no agents' desk is enabled (Slack): desk notices wait in the store")
        started: list[ChatApp] = []
        health: HealthServer | None = None
        if settings.health_enabled and runtime.engine.metrics is not None:
            from supportbot.health import HealthServer

            health = HealthServer(runtime.store, runtime.engine.metrics, expected=names,
                                  destinations=lambda: runtime.dispatcher.destinations,
                                  listen=settings.health_listen, port=settings.health_port)
            try:
                await health.start()
            except OSError as exc:
                raise ConfigurationError(str(exc)) from None
        delivery = asyncio.create_task(runtime.dispatcher.run(), name="delivery")
        try:
            for name, app in zip(names, apps, strict=True):
                await app.start()
                started.append(app)
                if health is not None:
                    health.watch(name, app)
            log.info("running: %s", ", ".join(names))
            await stop.wait()
            log.info("shutting down")
        finally:
            # Stop taking updates first, then finish delivering what is in hand.
            for app in reversed(started):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(app.stop(), timeout=10)
            await runtime.dispatcher.stop(timeout=10)
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery
            if health is not None:
                await health.stop()
