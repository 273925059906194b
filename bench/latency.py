"""Latency: follow-ups offered at a steady 1,000 messages/s for 30 s, open loop.

Arrivals follow a fixed schedule (message i is due at start + i / rate) whether or not earlier
ones are done, the way platform updates arrive; latency is measured from the scheduled arrival,
so a late scheduler or a queue building up counts against the engine (no coordinated
omission). Each message is handed to ``Engine.handle`` as its own task. Two end points:
"commit" is when the writer's batch holding the message had committed (its outbox rows are
durable), "acknowledged" is when ``handle`` returned to the caller (what the platform waits
for). Customers: 5,000 with an open ticket, writing in turn, so each writes every 5 s (well
inside the fair-use limit).

Baseline: the same schedule into plain ``sqlite3`` the way the simplest durable asyncio
service would do it: one writer thread, each message awaited as one INSERT + commit on it
(``run_in_executor``), rows as large as the engine stores per message. It pays the same
thread hop per message that the engine pays per batch.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Result, build_engine, fmt_ms, percentile, plain_sqlite, ratio
from bench.common import shipped_config as _config
from bench.throughput import (
    FOLLOW_UP,
    BatchLog,
    customer_ref,
    open_tickets,
    stored_row_bytes,
)
from bot.engine import Engine, utc_now
from bot.events import CustomerText
from storage.store import Store

TARGET_P99 = 0.010
PERCENTILES = (50.0, 99.0, 99.9)


async def schedule(rate: float, seconds: float, fire: Callable[[int, float], None]
                   ) -> list[float]:
    """Call ``fire(i, due)`` for every message at its due time; returns how late each firing
    was (scheduler lag), which is part of every measured latency anyway."""
    total = int(rate * seconds)
    lags: list[float] = []
    start = time.perf_counter() + 0.05
    i = 0
    while i < total:
        now = time.perf_counter()
        due = start + i / rate
        if due > now:
            await asyncio.sleep(due - now)
            now = time.perf_counter()
        # Everything due by now goes out in this turn of the loop.
        while i < total and start + i / rate <= now:
            due_i = start + i / rate
            fire(i, due_i)
            lags.append(now - due_i)
            i += 1
    return lags




async def engine_run(engine: Engine, log: BatchLog, customers: int, rate: float,
                     seconds: float, tag: str) -> tuple[list[float], list[float], list[float]]:
    """Returns sorted commit latencies, sorted acknowledgement latencies, scheduler lags."""
    due_of: dict[str, float] = {}
    acked: list[float] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(i: int, due: float) -> None:
        n = i % customers
        event = CustomerText(f"{tag}:{i}", customer_ref(n), FOLLOW_UP.format(n=n, j=i))
        due_of[event.event_id] = due
        outcome = await engine.handle(event)
        acked.append(time.perf_counter() - due)
        if outcome.duplicate or not outcome.outbox_ids:
            raise RuntimeError(f"{event.event_id} was not taken in")

    def fire(i: int, due: float) -> None:
        task = asyncio.create_task(one(i, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    lags = await schedule(rate, seconds, fire)
    while tasks:
        await asyncio.gather(*list(tasks))
    committed = sorted(log.committed[e] - due for e, due in due_of.items())
    return committed, sorted(acked), lags


async def baseline_run(path: Path, row_bytes: int, rate: float,
                       seconds: float) -> list[float]:
    conn = plain_sqlite(path)
    conn.execute("CREATE TABLE IF NOT EXISTS message (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    body = "x" * row_bytes
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baseline-writer")
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    tasks: set[asyncio.Task[None]] = set()

    def insert() -> None:
        conn.execute("INSERT INTO message (body) VALUES (?)", (body,))  # autocommit: one commit

    async def one(due: float) -> None:
        await loop.run_in_executor(executor, insert)
        latencies.append(time.perf_counter() - due)

    def fire(_i: int, due: float) -> None:
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    await schedule(rate, seconds, fire)
    while tasks:
        await asyncio.gather(*list(tasks))
    executor.shutdown(wait=True)
    conn.close()
    return sorted(latencies)


async def measure(result: Result, workdir: Path, *, customers: int, rate: float,
                  seconds: float) -> None:
    db = workdir / "latency.sqlite3"
    config = _config(db)
    async with Store(db) as store:
        engine = build_engine(store, config, utc_now)
        await store.write(open_tickets(customers, utc_now()))
        log = BatchLog(store)
        # Warm-up at the same rate for a few seconds (statement caches, page cache, code
        # paths), which also gives the size of a stored follow-up for the baseline.
        await engine_run(engine, log, customers, rate, min(3.0, seconds), "warm")
        sizes_of = stored_row_bytes(db, "warm:")
        row_bytes = (sizes_of["dedup"] + sizes_of["message"] + sizes_of["state"]
                     + sizes_of["outbox"] * sizes_of["outbox rows"])
        print(f"  set-up: {customers:,} customers; offered {rate:,.0f}/s for {seconds:.0f} s; "
              f"{row_bytes} bytes stored per follow-up", flush=True)
        base_before = await baseline_run(workdir / "baseline-1.sqlite3", row_bytes, rate,
                                         seconds)
        log.reset()
        start = time.perf_counter()
        committed, acked, lags = await engine_run(engine, log, customers, rate, seconds,
                                                  "bench")
        wall = time.perf_counter() - start
        sizes, busy, busy_times = list(log.sizes), sum(log.busy), list(log.busy)
        # What-ifs: the same at lower offered loads (where does the queue start to grow?).
        sweep: dict[str, float] = {}
        short = min(10.0, seconds)
        for lower in (rate / 4, rate / 2):
            log.reset()
            c, _, _ = await engine_run(engine, log, customers, lower, short, f"sweep{lower:.0f}")
            sweep[f"at {lower:,.0f}/s offered ({short:.0f} s)"] = percentile(c, 99.0)
    base_after = await baseline_run(workdir / "baseline-2.sqlite3", row_bytes, rate, seconds)
    # The better of the two baseline runs: the baseline is the floor the machine allows.
    base = min((base_before, base_after), key=lambda b: percentile(b, 99.0))

    for p in PERCENTILES:
        value, floor = percentile(committed, p), percentile(base, p)
        passed = value < TARGET_P99 if p == 99.0 else None
        result.add(f"p{p:g} event in → outbox row committed", fmt_ms(value),
                   baseline=f"plain sqlite3 {fmt_ms(floor)}", ratio=ratio(value, floor),
                   target="< 10 ms" if p == 99.0 else "—", passed=passed)
    for p in PERCENTILES:
        value, floor = percentile(acked, p), percentile(base, p)
        result.add(f"p{p:g} event in → acknowledged (handle returned)", fmt_ms(value),
                   baseline=f"plain sqlite3 {fmt_ms(floor)}", ratio=ratio(value, floor))
    result.add("max event in → acknowledged", fmt_ms(acked[-1]),
               baseline=f"plain sqlite3 {fmt_ms(base[-1])}")
    lag_sorted = sorted(lags)
    result.add("writer busy / batches / mean batch",
               f"{busy / wall:.0%} / {len(sizes):,} / {sum(sizes) / max(1, len(sizes)):.1f}")
    result.add("writer time per event at this load", fmt_ms(busy / max(1, sum(sizes))))
    batch_times = sorted(busy_times)
    result.add("writer time per batch p50 / p99 / max",
               f"{fmt_ms(percentile(batch_times, 50.0))} / {fmt_ms(percentile(batch_times, 99.0))}"
               f" / {fmt_ms(batch_times[-1])}")
    for label, p99 in sweep.items():
        result.add(f"what-if: p99 to commit {label}", fmt_ms(p99),
                   baseline=f"at {rate:,.0f}/s {fmt_ms(percentile(committed, 99.0))}")
    result.note(
        f"Offered load: {rate:,.0f} follow-ups/s for {seconds:.0f} s ({len(acked):,} messages) "
        f"from {customers:,} customers with an open ticket, open loop; all acknowledged. "
        f"Scheduler lag p99 {fmt_ms(percentile(lag_sorted, 99.0))}, max "
        f"{fmt_ms(lag_sorted[-1])} (included in every latency). The writer thread was busy "
        f"{busy:.1f} s of {wall:.1f} s; {len(sizes):,} batches, mean size "
        f"{sum(sizes) / max(1, len(sizes)):.1f}, largest {max(sizes, default=0)}.")
    result.note(
        "Baseline: the same schedule into plain `sqlite3` (WAL, `synchronous=NORMAL`), one "
        f"writer thread, each message awaited as one INSERT + commit of {row_bytes} bytes "
        "through `run_in_executor`: the floor for an asyncio service that makes every message "
        "durable on a writer thread before answering. Measured before and after the engine "
        "run; the table uses the run with the lower p99 — before: "
        + ", ".join(f"p{p:g} {fmt_ms(percentile(base_before, p))}" for p in PERCENTILES)
        + "; after: "
        + ", ".join(f"p{p:g} {fmt_ms(percentile(base_after, p))}" for p in PERCENTILES) + ".")


def run(result: Result, *, quick: bool, data_dir: Path | None) -> None:
    customers, rate, seconds = (500, 200.0, 2.0) if quick else (5000, 1000.0, 30.0)
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        asyncio.run(measure(result, Path(tmp), customers=customers, rate=rate,
                            seconds=seconds))
