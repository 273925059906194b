"""Where an event's time goes inside the writer: per SQL statement, and per Python function.

The store's own batch runner (``Store._run_batch``, the code the writer thread runs) is called
directly, in this thread, with the engine's real transaction functions, over a connection
wrapper that times every ``execute``. Nothing else runs meanwhile, so the time not spent in
statements is the engine's Python (flow logic, records, JSON). A second pass runs the same
under cProfile for the functions. Used by the throughput and latency benchmarks to explain
their figures.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bot.engine import Engine
from bot.events import InboundEvent
from storage.store import Store
from storage.tx import Tx

_SPACES = re.compile(r"\s+")


_LABELS: dict[str, str] = {}


def _label(sql: str) -> str:
    # Cached: the wrapper's own cost must stay small next to what it measures.
    label = _LABELS.get(sql)
    if label is None:
        text = _SPACES.sub(" ", sql).strip()
        label = _LABELS[sql] = text if len(text) <= 90 else text[:87] + "..."
    return label


@dataclass
class StatementTimes:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class _TimedCursor:
    """A cursor whose fetches are charged to the statement that made it (fetching can step
    SQLite further, e.g. for RETURNING or multi-row selects)."""

    __slots__ = ("_cursor", "_label", "_times")

    def __init__(self, cursor: sqlite3.Cursor, label: str, times: StatementTimes) -> None:
        self._cursor = cursor
        self._label = label
        self._times = times

    def fetchone(self) -> Any:
        start = time.perf_counter()
        row = self._cursor.fetchone()
        self._times.seconds[self._label] += time.perf_counter() - start
        return row

    def fetchall(self) -> list[Any]:
        start = time.perf_counter()
        rows = self._cursor.fetchall()
        self._times.seconds[self._label] += time.perf_counter() - start
        return rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class TimedConnection:
    """Stands in for the writer's ``sqlite3.Connection``; times each statement."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.times = StatementTimes()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _TimedCursor:
        label = _label(sql)
        start = time.perf_counter()
        cursor = self._conn.execute(sql, params)
        self.times.seconds[label] += time.perf_counter() - start
        self.times.calls[label] += 1
        return _TimedCursor(cursor, label, self.times)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _TimedCursor:
        rows = list(rows)
        label = _label(sql)
        start = time.perf_counter()
        cursor = self._conn.executemany(sql, rows)
        self.times.seconds[label] += time.perf_counter() - start
        # Counted per row, so "per event" reads the same whether a row was held back or not.
        self.times.calls[label] += len(rows)
        return _TimedCursor(cursor, label, self.times)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@dataclass
class Profile:
    events: int
    seconds: float  # the whole batch runner, commit included
    statements: list[tuple[str, int, float]]  # label, calls, seconds
    functions: str  # cProfile listing

    @property
    def per_event(self) -> float:
        return self.seconds / self.events

    def statement_seconds(self, *prefixes: str) -> float:
        """Seconds per event spent in statements starting with any of ``prefixes``."""
        total = sum(seconds for label, _, seconds in self.statements
                    if label.startswith(prefixes))
        return total / self.events

    @property
    def sql_seconds(self) -> float:
        return sum(s for _, _, s in self.statements)

    def markdown(self, title: str, *, top: int = 16) -> str:
        """A Markdown table of statements per event and cost, then the Python remainder."""
        n = self.events
        lines = [
            f"{title}: {n:,} events through `Store._run_batch` in batches of 512, "
            f"**{self.per_event * 1e6:.0f} µs per event** in the writer, of which SQL "
            f"statements (SQLite work plus the `sqlite3` call) {self.sql_seconds / n * 1e6:.0f} "
            f"µs and the engine's Python around them "
            f"{(self.seconds - self.sql_seconds) / n * 1e6:.0f} µs.",
            "",
            "| statement | per event | µs per call | µs per event | share |",
            "| --- | --- | --- | --- | --- |",
        ]
        ranked = sorted(self.statements, key=lambda s: -s[2])
        for label, calls, seconds in ranked[:top]:
            lines.append(
                f"| `{label.replace('|', '/')}` | {calls / n:.2f} | "
                f"{seconds / calls * 1e6:.1f} | {seconds / n * 1e6:.1f} | "
                f"{seconds / self.seconds:.0%} |")
        rest = ranked[top:]
        if rest:
            seconds = sum(s for _, _, s in rest)
            lines.append(f"| {len(rest)} other statements | {sum(c for _, c, _ in rest) / n:.2f} "
                         f"| — | {seconds / n * 1e6:.1f} | {seconds / self.seconds:.0%} |")
        other = self.seconds - self.sql_seconds
        lines.append(f"| *Python outside statements* | — | — | {other / n * 1e6:.1f} | "
                     f"{other / self.seconds:.0%} |")
        return "\n".join(lines)


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def profile_writer(store: Store, engine: Engine, make_events: Callable[[str], list[InboundEvent]],
                   *, batch: int = 512) -> Profile:
    """Run two rounds of events through the writer's code in this thread: one timing each
    statement, one under cProfile. ``make_events(tag)`` builds a fresh round (new event ids).
    The store must be open and idle (no writes in flight)."""
    writer = store._writer
    assert writer is not None, "the store must be open"
    timed = TimedConnection(writer)
    apply: Callable[[InboundEvent, Tx], Any] = engine._apply
    events = make_events("prof-sql")
    store._writer = timed  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        for chunk in _batches(events, batch):
            outcomes = store._run_batch([partial(apply, e) for e in chunk])
            failed = [value for ok, value in outcomes if not ok]
            if failed:
                raise RuntimeError(f"profiled event failed: {failed[0]!r}")
        seconds = time.perf_counter() - start
    finally:
        store._writer = writer
    statements = [(label, timed.times.calls[label], timed.times.seconds[label])
                  for label in timed.times.calls]

    profiler = cProfile.Profile()
    second = make_events("prof-py")
    profiler.enable()
    for chunk in _batches(second, batch):
        store._run_batch([partial(apply, e) for e in chunk])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(22)
    listing = _trim_listing(out.getvalue())
    return Profile(len(events), seconds, statements, listing)


def _trim_listing(text: str) -> str:
    """The cProfile table without its preamble, with paths shortened to the project's."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    keep = [line.rstrip() for line in lines[start:] if line.strip()]
    return "\n".join(re.sub(r"\S*/(bot|storage|adapters|bench)/", r"\1/",
                            re.sub(r"\S*/lib/python3\.\d+/", "", line)) for line in keep)
