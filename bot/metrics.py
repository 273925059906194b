"""What the bot counts for Prometheus: inbound events, deliveries, latency, rate-limit waits.

Every metric lives in the registry of one ``Metrics`` object rather than prometheus_client's
process-wide default registry, so each test (and each runtime) gets fresh counters and two of
them never collide. Counters move as things happen (the engine and the dispatcher call
``inbound`` and ``delivery``); the gauges describe the store, so they are set from store
queries just before each scrape (``set_store_state``), never kept up to date by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Inbound outcomes (Engine.handle) and delivery outcomes (Dispatcher).
PROCESSED, DUPLICATE, FAILED = "processed", "duplicate", "failed"
DELIVERED, RETRY = "delivered", "retry"

# Delivery latency runs from milliseconds (a healthy desk) to hours (a platform outage).
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, float("inf"))


@dataclass(frozen=True, slots=True)
class StoreState:
    """What the gauges show, read from the store at scrape time."""

    outbox_backlog: Mapping[str, int] = field(default_factory=dict)  # destination -> rows
    oldest_pending_seconds: float = 0.0
    open_tickets: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (status, prio)
    overdue_tickets: int = 0


class Metrics:
    __slots__ = ("adapter_connected", "deliveries", "delivery_latency", "inbound_events",
                 "open_tickets", "outbox_backlog", "outbox_oldest", "overdue_tickets",
                 "rate_limit_wait_seconds", "rate_limit_waits", "registry")

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.inbound_events = Counter(
            "supportbot_inbound_events", "Inbound events by platform and outcome "
            "(processed, duplicate, failed).", ["platform", "outcome"], registry=r)
        self.deliveries = Counter(
            "supportbot_deliveries", "Outbound delivery attempts by destination and outcome "
            "(delivered, retry, failed).", ["destination", "outcome"], registry=r)
        self.delivery_latency = Histogram(
            "supportbot_delivery_latency_seconds", "From the outbox row's creation to its "
            "delivery, retries included.", ["destination"], buckets=LATENCY_BUCKETS,
            registry=r)
        self.rate_limit_waits = Counter(
            "supportbot_rate_limit_waits", "Times a platform told us to wait (HTTP 429 with "
            "retry-after).", ["destination"], registry=r)
        self.rate_limit_wait_seconds = Counter(
            "supportbot_rate_limit_wait_seconds", "Seconds platforms told us to wait.",
            ["destination"], registry=r)
        self.outbox_backlog = Gauge(
            "supportbot_outbox_backlog", "Outbox rows not yet delivered (nor given up), by "
            "destination.", ["destination"], registry=r)
        self.outbox_oldest = Gauge(
            "supportbot_outbox_oldest_pending_seconds", "Age of the oldest undelivered "
            "outbox row (0 when none).", registry=r)
        self.open_tickets = Gauge(
            "supportbot_open_tickets", "Active tickets (new, open, waiting) by status and "
            "priority.", ["status", "priority"], registry=r)
        self.overdue_tickets = Gauge(
            "supportbot_overdue_tickets", "Active tickets past their promised first answer "
            "and still without one.", registry=r)
        self.adapter_connected = Gauge(
            "supportbot_adapter_connected", "1 when the chat app's adapter is connected.",
            ["platform"], registry=r)

    # -- events --------------------------------------------------------------------------------
    def inbound(self, platform: str, outcome: str) -> None:
        self.inbound_events.labels(platform=platform, outcome=outcome).inc()

    def delivery(self, destination: str, outcome: str, *, latency: float | None = None) -> None:
        self.deliveries.labels(destination=destination, outcome=outcome).inc()
        if latency is not None:
            # A clock that moved backwards (NTP) must not make a negative observation.
            self.delivery_latency.labels(destination=destination).observe(max(0.0, latency))

    def rate_limited(self, destination: str, retry_after: float) -> None:
        self.rate_limit_waits.labels(destination=destination).inc()
        self.rate_limit_wait_seconds.labels(destination=destination).inc(max(0.0, retry_after))

    # -- scrape-time state ---------------------------------------------------------------------
    def set_store_state(self, state: StoreState, *, destinations: Iterable[str] = (),
                        statuses: Iterable[str] = (), priorities: Iterable[str] = ()) -> None:
        """Replace the store gauges. Known destinations and every status x priority show 0
        rather than vanish, so dashboards and alerts see an explicit zero."""
        self.outbox_backlog.clear()
        for destination in {*destinations, *state.outbox_backlog}:
            self.outbox_backlog.labels(destination=destination).set(
                state.outbox_backlog.get(destination, 0))
        self.outbox_oldest.set(state.oldest_pending_seconds)
        self.open_tickets.clear()
        keys = {(s, p) for s in statuses for p in priorities} | set(state.open_tickets)
        for status, priority in keys:
            self.open_tickets.labels(status=status, priority=priority).set(
                state.open_tickets.get((status, priority), 0))
        self.overdue_tickets.set(state.overdue_tickets)

    def set_connected(self, platform: str, connected: bool) -> None:
        self.adapter_connected.labels(platform=platform).set(1 if connected else 0)

    def exposition(self) -> bytes:
        """The Prometheus text format of everything in this registry."""
        return generate_latest(self.registry)
