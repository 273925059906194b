"""The metrics endpoint, scraped over HTTP during a scripted conversation: counters move by
exactly what happened, gauges show the store, /healthz says what is wrong."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.delivery import DeliveryError
from bot.events import AgentReply, CustomerText
from bot.metrics import Metrics
from bot.model import AgentOp, Command
from bot.settings import Settings
from supportbot import app as app_module
from supportbot.health import HealthServer
from tests.harness import Harness, new_event_id

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def open_suggestion(h: Harness, *, user: str = "u1") -> int:
    """Five customer events: /new, the category, a subject, a description, send."""
    await h.command(Command.NEW, user=user)
    await h.press_label("Sugestia", user=user)
    await h.say("Ciemny motyw", user=user)
    await h.say("Proszę o ciemny motyw w aplikacji.", user=user)
    text = await h.press_label("Wyślij zgłoszenie", user=user)
    return int(text.split("nr ")[1].split(".")[0])


async def scrape(url: str) -> Samples:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@contextlib.asynccontextmanager
async def served(h: Harness) -> AsyncIterator[tuple[HealthServer, Metrics]]:
    metrics = Metrics()
    # The harness builds its own engine and dispatcher; give them this registry.
    h.engine.metrics = metrics
    h.dispatcher.metrics = metrics
    server = HealthServer(h.store, metrics, destinations=lambda: h.dispatcher.destinations,
                          clock=h.clock, port=0)
    await server.start()
    try:
        yield server, metrics
    finally:
        await server.stop()


async def test_counters_move_with_the_conversation(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h, served(h) as (server, _):
        url = f"http://127.0.0.1:{server.port}/metrics"
        start = await scrape(url)
        assert value(start, "supportbot_inbound_events_total", platform="test",
                     outcome="processed") == 0
        assert value(start, "supportbot_open_tickets", status="new", priority="normal") == 0

        number = await open_suggestion(h)
        sent = len(h.chat.delivered) + len(h.desk.delivered)
        after_intake = await scrape(url)
        assert value(after_intake, "supportbot_inbound_events_total", platform="test",
                     outcome="processed") == 5
        assert value(after_intake, "supportbot_deliveries_total", destination="test",
                     outcome="delivered") == len(h.chat.delivered) == 5
        assert value(after_intake, "supportbot_deliveries_total", destination="desk",
                     outcome="delivered") == len(h.desk.delivered) == 1
        assert value(after_intake, "supportbot_delivery_latency_seconds_count",
                     destination="test") == 5
        assert value(after_intake, "supportbot_open_tickets", status="new",
                     priority="normal") == 1
        assert value(after_intake, "supportbot_outbox_backlog", destination="test") == 0

        # The same platform update twice: counted once as processed, once as a duplicate.
        reply = AgentReply(new_event_id(), h.agent, number, "Dziękujemy za pomysł!")
        await h.engine.handle(reply)
        await h.engine.handle(reply)
        # Not delivered yet: the backlog shows it; three seconds later it goes out, after a
        # 429 from the platform that asked for a 0 s wait.
        backlog = await scrape(url)
        assert value(backlog, "supportbot_outbox_backlog", destination="test") == 1
        assert value(backlog, "supportbot_outbox_backlog", destination="desk") == 1
        assert value(backlog, "supportbot_outbox_oldest_pending_seconds") == 0
        h.clock.advance(seconds=3)
        h.chat.failures.append(DeliveryError("429 Too Many Requests", permanent=False,
                                             retry_after=0.0))
        await h.dispatcher.drain()
        after_reply = await scrape(url)
        assert value(after_reply, "supportbot_inbound_events_total", platform="test",
                     outcome="processed") == 6
        assert value(after_reply, "supportbot_inbound_events_total", platform="test",
                     outcome="duplicate") == 1
        assert value(after_reply, "supportbot_rate_limit_waits_total", destination="test") == 1
        assert value(after_reply, "supportbot_deliveries_total", destination="test",
                     outcome="retry") == 1
        assert value(after_reply, "supportbot_deliveries_total", destination="test",
                     outcome="delivered") == 6
        # The reply waited three seconds: the histogram's 2.5 s bucket misses it, 5 s has it.
        assert value(after_reply, "supportbot_delivery_latency_seconds_bucket",
                     destination="test", le="2.5") == 5
        assert value(after_reply, "supportbot_delivery_latency_seconds_bucket",
                     destination="test", le="5.0") == 6
        assert value(after_reply, "supportbot_delivery_latency_seconds_sum",
                     destination="test") == 3
        assert value(after_reply, "supportbot_outbox_backlog", destination="test") == 0
        assert value(after_reply, "supportbot_open_tickets", status="open",
                     priority="normal") == 1
        assert value(after_reply, "supportbot_open_tickets", status="new",
                     priority="normal") == 0
        assert len(h.chat.delivered) + len(h.desk.delivered) == sent + 3

        # A customer who blocked the bot: a permanent failure, counted as failed.
        await h.agent_act(number, AgentOp.ASK_INFO, "Na jakim urządzeniu?")
        h.chat.failures.append(DeliveryError("blocked by the user", permanent=True))
        await h.agent_act(number, AgentOp.RESOLVE)
        final = await scrape(url)
        assert value(final, "supportbot_deliveries_total", destination="test",
                     outcome="failed") == 1
        assert value(final, "supportbot_open_tickets", status="open", priority="normal") == 0


async def test_overdue_tickets_and_failed_events(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h, served(h) as (server, _):
        url = f"http://127.0.0.1:{server.port}/metrics"
        await open_suggestion(h, user="u1")
        await open_suggestion(h, user="u2")
        assert value(await scrape(url), "supportbot_overdue_tickets") == 0
        h.clock.advance(days=3)
        assert value(await scrape(url), "supportbot_overdue_tickets") == 2
        # An event the engine cannot apply (here: the store is told to fail) is counted.
        h.engine.config = None  # type: ignore[assignment]
        with pytest.raises(AttributeError):
            await h.engine.handle(CustomerText(new_event_id(), h.customer(), "hej"))
        assert value(await scrape(url), "supportbot_inbound_events_total", platform="test",
                     outcome="failed") == 1


async def test_healthz_reports_store_and_apps(tmp_path: Path) -> None:
    class App:
        connected = True

        async def start(self) -> None: ...

        async def stop(self) -> None: ...

    async with Harness(tmp_path / "db.sqlite3") as h, served(h) as (server, _):
        server.expected = ["telegram"]
        url = f"http://127.0.0.1:{server.port}/healthz"
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:  # not started yet
                assert response.status == 503
                assert (await response.json())["apps"] == {"telegram": "not connected"}
            app = App()
            server.watch("telegram", app)
            async with session.get(url) as response:
                assert response.status == 200
                assert await response.json() == {"status": "ok", "store": "ok",
                                                 "apps": {"telegram": "connected"}}
            app.connected = False  # the adapter lost its connection
            async with session.get(url) as response:
                assert response.status == 503
            app.connected = True
            await h.store.close()
            async with session.get(url) as response:
                body = await response.json()
                assert response.status == 503 and body["store"] == "error: StoreClosed"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_running_bot_serves_health_when_enabled(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    class App:
        async def start(self) -> None: ...

        async def stop(self) -> None: ...

    monkeypatch.setattr(app_module, "create_app", lambda name, runtime: App())
    port = free_port()
    settings = Settings(_env_file=None, database=tmp_path / "db.sqlite3",
                        telegram={"enabled": True, "token": "1:x"},
                        health_enabled=True, health_port=port)
    stop = asyncio.Event()
    task = asyncio.create_task(app_module.run_enabled_apps(settings, stop=stop))
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the health endpoint never answered 200")
        samples = await scrape(f"http://127.0.0.1:{port}/metrics")
        assert value(samples, "supportbot_adapter_connected", platform="telegram") == 1
    finally:
        stop.set()
        await task
    with pytest.raises(aiohttp.ClientConnectionError):  # stopped with the bot
        await scrape(f"http://127.0.0.1:{port}/metrics")
