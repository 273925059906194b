"""Scale: 1,000,000 tickets and 10,000,000 messages; start-up, the read paths, file size.

The store is generated once (``bench.scale_data``) and cached in ``--data-dir``. Then:

* start-up, with the file's pages evicted from the OS page cache first (``posix_fadvise``
  DONTNEED), so it is a cold start: what the bot does before taking traffic —
  ``open_runtime`` (settings, knowledge base, forms, translations, ``Store.open`` with its
  migration check, the timer sweeper's first sweep), then the dispatcher's first poll of the
  outbox. Baseline: plain ``sqlite3`` opening the same cold file and reading one ticket by its
  primary key.
* the read paths, warm (the start-up test has just emptied the page cache, so each path
  first runs on 300 other probes, and the history of 5,000 other random tickets is read: the
  upper levels of the B-trees are then in memory, as in a running bot, and the measured
  tickets' own rows are still on disk), one request at a time, on probes drawn when the store
  was generated:
  a customer's ``/status N`` and ``/tickets`` through ``Engine.handle`` (what the customer
  waits for, a write transaction included), the same reads through the store's reader, and
  the desk's ``Store.search_tickets`` by order number, by a word in a few hundred to a few
  thousand messages, by a word in millions, and by two words (whole words, the default; the
  same words as prefixes, ``word*``, are a what-if). Baseline: ``Store.ticket`` (a
  primary-key lookup through the same reader connection), measured before and after.
* every SQL statement the start-up and the measured paths ran is captured (trace callbacks on
  the store's connections) and its query plan checked: a ``SCAN`` of a table without an index
  is a full scan.

Engine calls add a few thousand rows to the cached file per run (dedup, outbox, customer
updates); the lookups are unaffected by that.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    Result,
    build_engine,
    file_size,
    fmt_mb,
    fmt_ms,
    percentile,
    ratio,
    shipped_config,
    shipped_settings,
)
from bench.profiling import profile_writer
from bench.scale_data import (
    FULL,
    QUICK,
    Manifest,
    Size,
    ensure,
    identity,
    manifest_path,
    vocabulary,
    word_classes,
)
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.events import CustomerCommand, CustomerRef, InboundEvent
from bot.model import Command
from bot.settings import PROJECT_ROOT
from bot.timers import TimerSweeper
from bot.turn import DESK
from storage.store import Store
from supportbot.app import open_runtime

TARGET_QUERY = 0.005
WARM_TICKETS = 5000  # other tickets whose history is read before measuring
TARGET_START = 1.0
SEARCH_BUDGET = 60.0  # seconds per search class at most: a slow class stops early, reported
# "SCAN t" is a full scan; "SCAN t USING INDEX i" walks an index, "SCAN f VIRTUAL TABLE" is
# a full-text match, "SEARCH" is a lookup.
_SCAN = re.compile(r"\bSCAN (\w+)\b(?! VIRTUAL)(?!.*USING (COVERING )?INDEX)")


def evict(db: Path) -> None:
    """Drop the store's pages from the OS page cache, so the next read comes from disk."""
    for suffix in ("", "-wal", "-shm"):
        path = Path(str(db) + suffix)
        if not path.exists():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages cannot be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


class NullChannel:
    """Takes deliveries and does nothing (nothing is pending in the generated store)."""

    async def deliver(self, action: object) -> str | None:
        return None


class Statements:
    """SQL the store's connections ran (with values bound), for query plans."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}  # normalised text -> one expanded example

    def __call__(self, sql: str) -> None:
        key = re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", sql)
        key = re.sub(r"\s+", " ", key).strip()
        self.seen.setdefault(key, sql)


def full_scans(db: Path, statements: Statements) -> list[tuple[str, str]]:
    """Statements whose plan scans a whole table (not an index, not an FTS match)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    found = []
    for key, sql in statements.seen.items():
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head not in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            continue
        try:
            plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        except sqlite3.Error:
            continue  # e.g. a statement naming a temp object
        # A subquery read whole ("SCAN f" after "CO-ROUTINE f" / "MATERIALIZE f") is a
        # small intermediate result, not a table.
        subqueries = {str(row[-1]).split()[-1] for row in plan
                      if str(row[-1]).startswith(("CO-ROUTINE", "MATERIALIZE"))}
        for row in plan:
            detail = str(row[-1])
            scanned = _SCAN.search(detail)
            if scanned and scanned.group(1) in subqueries:
                continue
            # FTS5 reads its own tiny shadow tables (config, structure) whole: not ours.
            if _SCAN.search(detail) and "CONSTANT ROW" not in detail \
                    and "_fts_" not in detail:
                found.append((key, detail))
    conn.close()
    return found


async def timed(samples: Sequence[Any], call: Callable[[Any], Awaitable[Any]],
                budget: float = 1e9) -> list[float]:
    """Latency of ``call(sample)`` for each sample, one at a time; sorted."""
    out = []
    deadline = time.perf_counter() + budget
    for sample in samples:
        start = time.perf_counter()
        await call(sample)
        out.append(time.perf_counter() - start)
        if time.perf_counter() > deadline:
            break
    return sorted(out)


def ref_of(customer_id: int) -> CustomerRef:
    platform, user, chat = identity(customer_id)
    return CustomerRef(platform, user, chat, f"Klient {customer_id}", "pl")


def status_reads_with_pragmas(db: Path, tickets: Sequence[int]) -> dict[str, tuple[float, float]]:
    """What-if: the status view's three reads on a plain connection, as the store opens it
    (2 MB page cache, no mmap) and with a larger page cache and memory-mapped I/O; p50, p99.
    The same tickets, warm OS cache, so only SQLite's own caching differs."""
    out: dict[str, tuple[float, float]] = {}
    settings = {"default (2 MB page cache)": [],
                "cache_size 256 MB + mmap_size 16 GB": ["PRAGMA cache_size = -262144",
                                                        "PRAGMA mmap_size = 17179869184"]}
    for label, pragmas in settings.items():
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        for pragma in pragmas:
            conn.execute(pragma)
        for ticket in tickets[:200]:  # warm both the same way
            conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket,)).fetchall()
        times = []
        for ticket in tickets:
            start = time.perf_counter()
            conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket,)).fetchall()
            conn.execute("SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id",
                         (ticket,)).fetchall()
            conn.execute("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id",
                         (ticket,)).fetchall()
            times.append(time.perf_counter() - start)
        conn.close()
        times.sort()
        out[label] = (percentile(times, 50.0), percentile(times, 99.0))
    return out


def settle_outbox(db: Path) -> None:
    """Mark the outbox rows the benchmark's own events left as delivered, so the cached store
    stays as generated (everything delivered) and the next start-up has nothing to send."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE outbox SET delivered_at = created_at, attempts = 1 "
                 "WHERE delivered_at IS NULL AND failed_at IS NULL")
    conn.close()


def cold_baseline(db: Path, ticket_id: int) -> float:
    evict(db)
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def start_up(db: Path) -> dict[str, float]:
    """One cold start of a fresh process (page cache of the store evicted first)."""
    evict(db)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "import asyncio, json, sys; from pathlib import Path; "
         "from bench.startup_child import start_up_child; "
         "print(json.dumps(asyncio.run(start_up_child(Path(sys.argv[1])))))", str(db)],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    steps: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    steps["process start to exit"] = time.perf_counter() - start
    return steps


async def capture_start_up(db: Path, statements: Statements) -> None:
    """The statements a start runs, for the plan check (traced in a warm start)."""
    async with open_runtime(shipped_settings(db)) as runtime:
        assert runtime.store._writer is not None and runtime.store._reader is not None
        runtime.store._writer.set_trace_callback(statements)
        await runtime.store._reader.set_trace_callback(statements)
        await TimerSweeper(runtime.store, runtime.engine.config,
                           clock=runtime.engine.clock).sweep()
        for destination in ("telegram", "discord", "slack", DESK):
            runtime.dispatcher.register(destination, NullChannel())
        await runtime.dispatcher.deliver_due()


async def read_paths(result: Result, db: Path, manifest: Manifest, quick: bool,
                     statements: Statements) -> None:
    probes = manifest.probes
    tickets: list[tuple[int, int]] = [(int(t), int(c)) for t, c in probes["tickets"]]
    customers: list[int] = [int(c) for c in probes["customers"]]
    random.Random(1).shuffle(customers)  # regulars (dozens of tickets) among the others
    n = 300 if quick else 2000
    tag = f"scale{int(time.time())}"
    config = shipped_config(db)
    async with Store(db) as store:
        engine: Engine = build_engine(store, config)
        assert store._writer is not None and store._reader is not None
        store._writer.set_trace_callback(statements)
        await store._reader.set_trace_callback(statements)
        dispatcher = Dispatcher(store)  # only for its outbox query shape
        dispatcher.register("telegram", NullChannel())

        async def pk(sample: tuple[int, int]) -> None:
            await store.ticket(sample[0])

        # Warm the paths (and the page cache for these probes' neighbourhood) first.
        await timed(tickets[:50], pk)
        base_before = await timed(tickets[:n], pk)

        counter = iter(range(10**9))

        async def status_engine(sample: tuple[int, int]) -> None:
            ticket, customer = sample
            outcome = await engine.handle(CustomerCommand(
                f"{tag}:s:{next(counter)}", ref_of(customer), Command.STATUS, str(ticket)))
            assert outcome.outbox_ids

        async def status_store(sample: tuple[int, int]) -> None:
            ticket = sample[0]
            await store.ticket(ticket)
            await store.ticket_messages(ticket)
            await store.ticket_events(ticket)

        async def tickets_engine(customer: int) -> None:
            outcome = await engine.handle(CustomerCommand(
                f"{tag}:t:{next(counter)}", ref_of(customer), Command.TICKETS))
            assert outcome.outbox_ids

        async def tickets_store(customer: int) -> None:
            await store.query("SELECT COUNT(*) FROM tickets WHERE customer_id = ?",
                              (customer,))
            await store.query("SELECT * FROM tickets WHERE customer_id = ? ORDER BY id DESC "
                              "LIMIT 5", (customer,))

        measured: dict[str, list[float]] = {}
        # The start-up test above emptied the page cache: the first requests on each path
        # read the upper levels of every B-tree they touch from disk (kept as their own
        # figure). A running bot has those levels in memory, not the rows of an old ticket:
        # warm the paths on tickets and customers that are not measured, so the measured
        # ones read only their own rows from disk.
        spare = tickets[3 * n + 300:3 * n + 600]
        measured["status_first"] = await timed(spare, status_engine)
        probed = {t for t, _ in tickets}
        population = range(1, int(manifest.size["tickets"]) + 1)
        others = [t for t in random.Random(2).sample(
            population, min(len(population), WARM_TICKETS + len(probed)))
            if t not in probed][:WARM_TICKETS]
        await timed([(t, 0) for t in others], status_store)
        await timed([c for _, c in spare], tickets_engine)
        measured["status_engine"] = await timed(tickets[n:2 * n], status_engine)
        # The same tickets again: their pages are now in the OS and SQLite caches, as an
        # active ticket's are (the first pass reads most of them from disk).
        measured["status_engine_cached"] = await timed(tickets[n:2 * n], status_engine)
        measured["status_store"] = await timed(tickets[2 * n:3 * n], status_store)
        measured["tickets_engine"] = await timed(customers[:n], tickets_engine)
        measured["tickets_store"] = await timed(customers[n // 2:n // 2 + n], tickets_store)

        # What the engine's share of those costs is, statement by statement.
        def status_events(round_tag: str) -> list[InboundEvent]:
            return [CustomerCommand(f"{tag}:{round_tag}:s{i}", ref_of(c), Command.STATUS, str(t))
                    for i, (t, c) in enumerate(tickets[3 * n:3 * n + 300])]

        def tickets_events(round_tag: str) -> list[InboundEvent]:
            return [CustomerCommand(f"{tag}:{round_tag}:t{i}", ref_of(c), Command.TICKETS)
                    for i, c in enumerate(customers[-300:])]

        status_profile = profile_writer(store, engine, status_events)
        tickets_profile = profile_writer(store, engine, tickets_events)

        orders: list[str] = probes["order_numbers"]
        classes = word_classes(probes["vocab"], manifest.size["messages"])
        rare, medium, common = classes["rare"], classes["medium"], classes["common"]
        k = 100 if quick else 300

        def cycle(words: list[str]) -> list[list[str]]:
            return [[words[i % len(words)]] for i in range(k)] if words else []

        searches: dict[str, list[list[str]]] = {
            "order number (1 ticket)": [[o] for o in orders[:k]],
            "word in 0.005-0.1% of messages": cycle(rare),
            "word in 0.1-2% of messages": cycle(medium),
            "word in > 2% of messages": cycle(common),
            "two words (common + rare)": [[common[i % len(common)], rare[i % len(rare)]]
                                          for i in range(k)] if common and rare else [],
        }
        hits: dict[str, int] = {}
        for label, queries in searches.items():
            found: list[int] = []

            async def search(words: list[str], found: list[int] = found) -> None:
                found.append(len(await store.search_tickets(words)))

            measured["search " + label] = await timed(queries, search, SEARCH_BUDGET)
            hits[label] = sum(1 for f in found if f)
        # What-if (not judged): the same words as prefixes, ``word*``, as an agent may ask
        # (and as the store matched every word before R9). FTS5 cannot stop early on a prefix:
        # it first merges the rows of every term with that prefix, millions for a common word.
        for label, queries in searches.items():

            async def prefix(words: list[str]) -> None:
                await store.search_tickets([w + "*" for w in words])

            measured["prefix " + label] = await timed(queries, prefix, SEARCH_BUDGET)
        base_after = await timed(tickets[:n], pk)

    pragmas = status_reads_with_pragmas(db, [t for t, _ in tickets[:n]])
    base = min(base_before, base_after, key=lambda b: percentile(b, 99.0))
    base_p99 = percentile(base, 99.0)
    result.add("baseline: Store.ticket(N) by primary key, p50 / p99",
               f"{fmt_ms(percentile(base, 50.0))} / {fmt_ms(base_p99)}")

    def row(metric: str, key: str, judged: bool = True) -> None:
        values = measured[key]
        if not values:
            result.add(metric, "not measured (no probe words)")
            return
        p99 = percentile(values, 99.0)
        result.add(f"{metric} p99 (p50 {fmt_ms(percentile(values, 50.0))}, n={len(values)})",
                   fmt_ms(p99), baseline=f"PK lookup p99 {fmt_ms(base_p99)}",
                   ratio=ratio(p99, base_p99), target="< 5 ms" if judged else "—",
                   passed=p99 < TARGET_QUERY if judged else None)

    row("status: Engine.handle(/status N)", "status_engine")
    row("status: Engine.handle(/status N), the same tickets again (pages cached)",
        "status_engine_cached", judged=False)
    row("status: Engine.handle(/status N), first requests after the page cache was emptied",
        "status_first", judged=False)
    row("status: store reads (ticket, messages, events)", "status_store")
    row("my tickets: Engine.handle(/tickets)", "tickets_engine")
    row("my tickets: store reads (count, first page)", "tickets_store")
    for label in searches:
        row(f"desk search: {label}", "search " + label)
    for label in searches:
        values, store_values = measured["prefix " + label], measured["search " + label]
        if values and store_values:
            p99, store_p99 = percentile(values, 99.0), percentile(store_values, 99.0)
            result.add(f"what-if: desk search with every word a prefix (`word*`), {label} p99",
                       fmt_ms(p99), baseline=f"whole words (the default) {fmt_ms(store_p99)}",
                       ratio=ratio(p99, store_p99))
    for label, (p50, p99) in pragmas.items():
        result.add(f"what-if: status reads on plain sqlite3, {label} p50 / p99",
                   f"{fmt_ms(p50)} / {fmt_ms(p99)}")
    result.note(status_profile.markdown("Profile of `/status N` in the writer (big store)",
                                        top=12))
    result.note(tickets_profile.markdown("Profile of `/tickets` in the writer (big store)",
                                         top=12))
    vocab: dict[str, int] = probes["vocab"]

    def examples(words: list[str]) -> str:
        return ", ".join(f"`{w}` ({vocab[w]:,})" for w in words[:: max(1, len(words) // 4)][:4])

    result.note(
        "Desk search probes: order numbers of random tickets (a ticket found for "
        f"{hits.get('order number (1 ticket)', 0)} of "
        f"{len(measured['search order number (1 ticket)'])}); words with the number of "
        f"messages holding them: rare {examples(rare)}; medium {examples(medium)}; common "
        f"{examples(common)}. Each class stops after {SEARCH_BUDGET:.0f} s; `n` says how many "
        "ran. "
        "Baseline PK lookups before: p99 " + fmt_ms(percentile(base_before, 99.0))
        + ", after: p99 " + fmt_ms(percentile(base_after, 99.0)) + "; the lower is used.")


async def measure(result: Result, db: Path, manifest: Manifest, quick: bool) -> None:
    size = manifest.size
    statements = Statements()

    settle_outbox(db)
    # Start-up, cold, in fresh processes, a few times; the slowest counts.
    runs = [start_up(db) for _ in range(2 if quick else 3)]
    store_key = "store part: Store.open + first sweep + first poll"
    whole_key = "fresh process to ready (imports included)"
    worst = max(runs, key=lambda r: r[store_key])
    baseline_cold = max(cold_baseline(db, t) for t, _ in manifest.probes["tickets"][:3])
    result.add("start-up, cold cache: Store.open + first timer sweep + first outbox poll",
               fmt_ms(worst[store_key]), baseline=f"plain sqlite3 open + PK read "
               f"{fmt_ms(baseline_cold)}", ratio=ratio(worst[store_key], baseline_cold),
               target="< 1 s", passed=worst[store_key] < TARGET_START)
    slowest = max(runs, key=lambda r: r[whole_key])
    result.add("start-up, whole bot: fresh process to ready (cold cache)",
               fmt_ms(slowest[whole_key]), baseline=f"plain sqlite3 open + PK read "
               f"{fmt_ms(baseline_cold)}", ratio=ratio(slowest[whole_key], baseline_cold),
               target="< 1 s", passed=slowest[whole_key] < TARGET_START)
    for step in ("interpreter start and imports",
                 "config: knowledge base, forms, canned replies",
                 "Store.open (connections, migrations check)"):
        result.add(f"  of which {step}", fmt_ms(slowest[step]))
    await capture_start_up(db, statements)
    startup_scans = full_scans(db, statements)

    await read_paths(result, db, manifest, quick, statements)
    settle_outbox(db)
    scans = full_scans(db, statements)

    per_ticket = manifest.file_bytes / size["tickets"]
    result.add("file size per ticket (at generation)", f"{per_ticket / 1024:.1f} KiB",
               baseline=f"file {fmt_mb(manifest.file_bytes)}")
    result.add("file size now (after the benchmark's writes)", fmt_mb(file_size(db)))
    result.add("store generation time (once, then cached)",
               f"{sum(manifest.seconds.values()):.0f} s")

    groups: dict[str, int] = {}
    for name, n_bytes in manifest.bytes_by_table.items():
        group = ("outbox" if name.startswith("outbox")
                 else "messages + full-text index" if name.startswith("ticket_messages")
                 else "dedup (processed_events)" if name.startswith("processed_events")
                 else "tickets + full-text index" if name.startswith("tickets")
                 else "ticket events" if name.startswith("ticket_events")
                 else "other (timers, customers, desk threads, schema)")
        groups[group] = groups.get(group, 0) + n_bytes
    rows = manifest.rows
    result.note(
        f"Store: {rows['tickets']:,} tickets, {rows['ticket_messages']:,} messages, "
        f"{rows['customers']:,} customers, {rows['ticket_events']:,} ticket events, "
        f"{rows['processed_events']:,} dedup rows, {rows['outbox']:,} outbox rows (delivered), "
        f"{rows['timers']:,} timers; schema version {manifest.schema_version}; generated "
        f"{manifest.generated_at} in "
        + ", ".join(f"{k} {v:.0f} s" for k, v in manifest.seconds.items())
        + ". Where the bytes are (dbstat, per ticket): "
        + ", ".join(f"{g} {b / size['tickets'] / 1024:.1f} KiB ({b / manifest.file_bytes:.0%})"
                    for g, b in sorted(groups.items(), key=lambda kv: -kv[1])) + ".")
    result.note(
        "Cold starts, each a fresh process with the store's pages evicted from the page "
        "cache first; steps of the slowest: "
        + "; ".join(f"{k} {fmt_ms(v)}" for k, v in slowest.items())
        + ". Store part of every run: " + ", ".join(fmt_ms(r[store_key]) for r in runs)
        + "; whole start of every run: " + ", ".join(fmt_ms(r[whole_key]) for r in runs)
        + ".")
    if startup_scans or scans:
        listed = {key: detail for key, detail in startup_scans + scans}
        result.add("statements with a full table scan", str(len(listed)), target="none",
                   passed=False)
        result.note("Full scans found in the query plans of the statements run:\n\n"
                    + "\n".join(f"- `{key[:160]}` — {detail}" for key, detail in
                                listed.items()))
    else:
        result.add("statements with a full table scan (start-up and read paths)",
                   f"0 of {len(statements.seen)}", target="none", passed=True)


def run(result: Result, *, quick: bool, data_dir: Path | None) -> None:
    size: Size = QUICK if quick else FULL
    assert data_dir is not None
    start = time.perf_counter()
    db, manifest, how = ensure(data_dir, size)
    if "vocab" not in manifest.probes:  # a store cached by an earlier version of this module
        conn = sqlite3.connect(db)
        manifest.probes["vocab"] = vocabulary(conn)
        conn.close()
        manifest_path(db).write_text(manifest.to_json(), encoding="utf-8")
    print(f"  store: {db} ({how}, {time.perf_counter() - start:.0f} s)", flush=True)
    result.note(f"Store file: `{db.name}` in the data directory, {how}.")
    asyncio.run(measure(result, db, manifest, quick))
