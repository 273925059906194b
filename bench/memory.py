"""Memory: 10,000 customers in the middle of the intake form at once.

Every customer goes through the real engine: ``/new``, presses the "orders" category, types a
subject, and stops there, with the form asking for the order number. Customers are driven in
waves of 1,000 at a time (each customer's three events in order), the way a burst arrives.

Baseline: the resident memory (VmRSS from /proc/self/status, after ``gc.collect()``) of the
idle engine, once a warm-up of 200 customers has been through the same steps, so code paths,
statement caches and SQLite's page caches are already in use. The figure is the growth from
there once all 10,000 stand in the form; the target is under 50 MB, i.e. the form state lives
in the store, not in Python objects. The store's ``conversations`` table is checked to hold
every one of them at the order-number field.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Result, build_engine, fmt_mb, ratio, rss_bytes, settled_rss
from bench.common import shipped_config as _config
from bot.engine import Engine
from bot.events import ButtonPress, CustomerCommand, CustomerRef, CustomerText
from bot.model import Command
from storage.store import Store

TARGET_GROWTH = 50e6
WAVE = 1000


def ref(n: int) -> CustomerRef:
    return CustomerRef("telegram", str(500_000 + n), str(500_000 + n), f"Klient {n}", "pl")


async def into_form(engine: Engine, first: int, count: int, tag: str) -> None:
    """Customers first..first+count-1 each start a ticket and stop at its second field."""

    async def one(n: int) -> None:
        who = ref(n)
        for step, event in enumerate((
            CustomerCommand(f"{tag}:{n}:new", who, Command.NEW),
            ButtonPress(f"{tag}:{n}:cat", who, "cat:orders"),
            CustomerText(f"{tag}:{n}:subject", who, f"Paczka {n} nie dotarła na czas"),
        )):
            outcome = await engine.handle(event)
            if not outcome.outbox_ids:
                raise RuntimeError(f"customer {n}, step {step}: no answer")

    for start in range(first, first + count, WAVE):
        await asyncio.gather(*(one(n) for n in range(start, min(first + count, start + WAVE))))


async def measure(result: Result, workdir: Path, customers: int, warm: int) -> None:
    db = workdir / "memory.sqlite3"
    config = _config(db)
    async with Store(db) as store:
        engine = build_engine(store, config)
        await into_form(engine, 0, warm, "warm")
        before = settled_rss()
        blocks_before = sys.getallocatedblocks()
        print(f"  idle engine after warm-up: {fmt_mb(before)}", flush=True)
        start = time.perf_counter()
        await into_form(engine, warm, customers, "bench")
        elapsed = time.perf_counter() - start
        after = settled_rss()
        blocks_after = sys.getallocatedblocks()
        peak = rss_bytes("VmHWM")
    conn = sqlite3.connect(db)
    in_form = conn.execute(
        "SELECT COUNT(*) FROM conversations WHERE state = 'field' "
        "AND json_extract(data, '$.field') = 'order_id'").fetchone()[0]
    conn.close()
    if in_form != warm + customers:
        raise RuntimeError(f"{in_form} customers stand at the order number field, "
                           f"expected {warm + customers}")

    growth = after - before
    result.add(f"RSS growth with {customers:,} customers mid-form", fmt_mb(growth),
               baseline=f"idle engine {fmt_mb(before)}", ratio=ratio(after, before),
               target="< 50 MB", passed=growth < TARGET_GROWTH)
    result.add("per customer in the form", f"{growth / customers / 1024:.2f} KiB")
    result.add("peak RSS of the process (VmHWM)", fmt_mb(peak))
    result.add("Python heap blocks retained", f"{blocks_after - blocks_before:+,}")
    result.note(
        f"{customers:,} customers × 3 events (`/new`, category button, subject) through "
        f"`Engine.handle` in waves of {WAVE:,} concurrent customers, {elapsed:.1f} s; "
        f"afterwards {in_form:,} rows in `conversations` stand at the order-number field "
        f"(the warm-up's {warm} included). RSS {fmt_mb(before)} → {fmt_mb(after)} "
        f"(after `gc.collect()`); Python's allocated blocks "
        f"{blocks_before:,} → {blocks_after:,}. The ratio is RSS after / RSS before.")


def run(result: Result, *, quick: bool, data_dir: Path | None) -> None:
    customers, warm = (300, 50) if quick else (10_000, 200)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        asyncio.run(measure(result, Path(tmp), customers, warm))
