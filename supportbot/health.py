"""The health and metrics endpoint: ``/healthz`` for a supervisor, ``/metrics`` for Prometheus.

Off by default, and bound to 127.0.0.1 unless configured otherwise: it has no authentication,
and although it shows no personal data, ticket counts are the company's business.

``/healthz`` answers 200 when the store answers on both its connections (the reader, and the
single writer every event goes through) and every enabled chat app is connected, else 503;
the JSON body says which part failed. An adapter reports its connection through an optional
``connected`` attribute (a bool, or a method returning one); one without it counts as
connected from a successful ``start()`` on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics, StoreState
from bot.model import ACTIVE_STATUSES, PRIORITY_ORDER
from bot.runtime import ChatApp
from storage import metrics_queries
from storage.reports import backlog, overdue_count
from storage.store import Store

log = logging.getLogger(__name__)

STORE_TIMEOUT = 5.0  # seconds; a store slower than this is reported as not reachable


def _now() -> datetime:
    return datetime.now(UTC)


class HealthServer:
    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        *,
        expected: Iterable[str] = (),
        destinations: Callable[[], Iterable[str]] = tuple,
        listen: str = "127.0.0.1",
        port: int = 9108,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.expected = list(expected)  # apps that should be running, started or not yet
        self.destinations = destinations
        self.listen = listen
        self.port = port
        self.clock = clock
        self._apps: dict[str, ChatApp] = {}
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    def watch(self, name: str, app: ChatApp) -> None:
        """An app has started; from now on its connection counts."""
        self._apps[name] = app
        if name not in self.expected:
            self.expected.append(name)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise OSError(f"health endpoint cannot listen on {self.listen}:{self.port}: "
                          f"{exc.strerror or exc}") from exc
        addresses = self._runner.addresses  # the real port when 0 asked for a free one
        if addresses:
            self.port = int(addresses[0][1])
        log.info("health endpoint on http://%s:%d/healthz and /metrics", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- checks ----------------------------------------------------------------------------------
    async def check(self) -> tuple[bool, dict[str, Any]]:
        store = await self._store_state()
        apps = {name: ("connected" if self._connected(name) else "not connected")
                for name in self.expected}
        healthy = store == "ok" and all(v == "connected" for v in apps.values())
        return healthy, {"status": "ok" if healthy else "fail", "store": store, "apps": apps}

    async def _store_state(self) -> str:
        try:
            async with asyncio.timeout(STORE_TIMEOUT):
                await self.store.query("SELECT 1")
                await self.store.write(lambda tx: None)  # the writer loop is alive
        except TimeoutError:
            return f"no answer within {STORE_TIMEOUT:.0f} s"
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        return "ok"

    def _connected(self, name: str) -> bool:
        app = self._apps.get(name)
        if app is None:
            return False  # not started (yet)
        flag = getattr(app, "connected", True)
        with contextlib.suppress(Exception):
            return bool(flag() if callable(flag) else flag)
        return False

    async def refresh(self) -> None:
        """Set the gauges from the store and the apps, just before a scrape."""
        now = self.clock()
        state = StoreState(
            outbox_backlog=await metrics_queries.outbox_backlog(self.store),
            oldest_pending_seconds=await metrics_queries.oldest_pending_seconds(self.store, now),
            open_tickets={key: n for key, n in (await backlog(self.store)).items()
                          if key[0] in ACTIVE_STATUSES},
            overdue_tickets=await overdue_count(self.store, now),
        )
        self.metrics.set_store_state(
            state, destinations=self.destinations(),
            statuses=[s.value for s in ACTIVE_STATUSES], priorities=[p.value for p in
                                                                    PRIORITY_ORDER])
        for name in self.expected:
            self.metrics.set_connected(name, self._connected(name))

    # -- handlers --------------------------------------------------------------------------------
    async def _healthz(self, _request: web.Request) -> web.Response:
        healthy, body = await self.check()
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        try:
            await self.refresh()
        except Exception:
            # Counters are still worth having when the store does not answer; /healthz says why.
            log.warning("metrics: the store gauges could not be refreshed", exc_info=True)
        return web.Response(body=self.metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})
