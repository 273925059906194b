"""One cold start of the bot, in a fresh process started by ``bench.scale``.

Kept apart, with only the imports the bot itself needs, so the "fresh process to ready" figure
counts the bot's imports and not the benchmark's.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import supportbot.app as app_module
import supportbot.cli  # noqa: F401  (`supportbot run` starts there: its imports count too)
from bot.settings import Settings
from bot.turn import DESK
from storage.store import Store


class NullChannel:
    """Takes deliveries and does nothing (nothing is pending in the generated store)."""

    async def deliver(self, action: object) -> str | None:
        return None


async def start_up_child(db: Path) -> dict[str, float]:
    """In a fresh process: start the runtime as ``supportbot run`` does, until it could take
    traffic; seconds per step. ``build_config`` and ``Store.open`` are wrapped (in this
    process only) to time them inside ``open_runtime``."""
    steps: dict[str, float] = {"interpreter start and imports": _process_age()}
    real_build = app_module.build_config
    real_open = Store.open

    def build_config(settings: Any) -> Any:
        start = time.perf_counter()
        try:
            return real_build(settings)
        finally:
            steps["config: knowledge base, forms, canned replies"] = time.perf_counter() - start

    async def store_open(self: Store) -> None:
        start = time.perf_counter()
        try:
            await real_open(self)
        finally:
            steps["Store.open (connections, migrations check)"] = time.perf_counter() - start

    app_module.build_config = build_config  # type: ignore[assignment]
    Store.open = store_open  # type: ignore[method-assign]
    start = time.perf_counter()
    settings = Settings(_env_file=None, database=db)  # type: ignore[call-arg]
    async with app_module.open_runtime(settings) as runtime:
        opened = time.perf_counter()
        # open_runtime started the sweeper as a task; let it queue its first sweep, then a
        # write queued behind it returns once that sweep has committed.
        await asyncio.sleep(0)
        await runtime.store.write(lambda tx: None)
        swept = time.perf_counter()
        for destination in ("telegram", "discord", "slack", DESK):
            runtime.dispatcher.register(destination, NullChannel())
        await runtime.dispatcher.deliver_due()
        polled = time.perf_counter()
    # Ready: how old this process was when it could take traffic (imports included), read
    # now, because the process's exit can wait for background work such as the knowledge
    # base's warm-up thread, which the bot does not wait for.
    steps["fresh process to ready (imports included)"] = _process_age() - (
        time.perf_counter() - polled)
    steps["first timer sweep"] = swept - opened
    steps["first outbox poll"] = polled - swept
    steps["open_runtime in all"] = opened - start
    steps["store part: Store.open + first sweep + first poll"] = (
        steps["Store.open (connections, migrations check)"] + (polled - opened))
    return steps


def _process_age() -> float:
    """Seconds since this process started (from /proc; 10 ms resolution)."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time after boot
    return float(Path("/proc/uptime").read_text().split()[0]) - started
