"""What every benchmark shares: result rows, the machine description, the engine as shipped,
percentiles, resident memory, and the Markdown table.

Absolute times drift on shared machines, so every figure is printed next to a baseline
measured in the same process, on the same machine, minutes apart, and judged by the ratio
where the target is relative.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.config import EngineConfig
from bot.engine import Clock, Engine, utc_now
from bot.i18n import Translator
from bot.settings import PROJECT_ROOT, Settings
from storage.store import Store
from supportbot.app import build_config, warm_up

DOC_PATH = PROJECT_ROOT / "docs" / "benchmarks.md"


# -- results -----------------------------------------------------------------------------------
@dataclass
class Row:
    """One line of the table: a figure, what it is compared with, and whether it is good."""

    metric: str
    value: str  # formatted, with unit
    baseline: str = "—"  # formatted, with what the baseline is
    ratio: str = "—"  # formatted, e.g. "0.08 ×"
    target: str = "—"
    passed: bool | None = None  # None: reported only, no target

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "**FAIL**", None: "—"}[self.passed]


@dataclass
class Result:
    """What one benchmark found: its rows, and the notes that explain them."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Markdown paragraphs / list items
    quick: bool = False
    seconds: float = 0.0  # how long the benchmark took, set-up included
    finished_at: str = ""
    load: str = ""  # the machine's 1-minute load average at the start and at the end
    steal: str = ""  # CPU time the hypervisor gave to other machines meanwhile (StolenTime)
    code: str = ""  # the commit measured (others commit while a full run takes 15 minutes)
    error: str | None = None

    def add(self, metric: str, value: str, *, baseline: str = "—", ratio: str = "—",
            target: str = "—", passed: bool | None = None) -> Row:
        row = Row(metric, value, baseline, ratio, target, passed)
        self.rows.append(row)
        verdict = "" if passed is None else ("  PASS" if passed else "  FAIL")
        print(f"  {metric:<44} {value:>18}   baseline {baseline:<30} ratio {ratio:<10}"
              f" target {target}{verdict}", flush=True)
        return row

    def note(self, text: str) -> None:
        self.notes.append(text)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        rows = [Row(**r) for r in data.pop("rows", [])]
        return cls(rows=rows, **data)


def ratio(value: float, baseline: float) -> str:
    if baseline == 0 or math.isnan(value) or math.isnan(baseline):
        return "—"
    r = value / baseline
    return f"{r:.3g} ×"


# -- formatting --------------------------------------------------------------------------------
def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    if ms < 1:
        return f"{ms * 1000:.0f} µs"
    return f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"


def fmt_rate(per_second: float) -> str:
    return f"{per_second:,.0f}/s"


def fmt_mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (p in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# -- the machine -------------------------------------------------------------------------------
def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


class StolenTime:
    """The share of this machine's CPU time its hypervisor gave to other machines while this
    is alive (``steal`` in /proc/stat): on a shared host it is what moves the tails most."""

    def __init__(self) -> None:
        self.start = self._read()

    @staticmethod
    def _read() -> tuple[int, int] | None:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        steal = fields[7] if len(fields) > 7 else 0
        return steal, sum(fields[:8])

    def share(self) -> str:
        end = self._read()
        if self.start is None or end is None or end[1] <= self.start[1]:
            return "?"
        return f"{100 * (end[0] - self.start[0]) / (end[1] - self.start[1]):.0f} %"


def code_state() -> str:
    """The commit measured, and how many files under bot/, storage/ and adapters/ differ from
    it (other engineers edit them while benchmarks run)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--", "bot", "storage",
                                  "adapters", "supportbot"], cwd=PROJECT_ROOT,
                                 capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    n = len([line for line in changed.splitlines() if line.strip()])
    return f"{head}" + (f" + {n} uncommitted files" if n else "")


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
        "code": code_state(),
    }


# -- memory ------------------------------------------------------------------------------------
def rss_bytes(field_name: str = "VmRSS") -> int:
    """Resident memory of this process from /proc/self/status (VmRSS, or VmHWM for the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field_name} not in /proc/self/status")


def settled_rss() -> int:
    gc.collect()
    gc.collect()
    return rss_bytes()


# -- the engine as shipped ---------------------------------------------------------------------
def shipped_settings(db: Path) -> Settings:
    """Settings as a fresh install has them (no .env), on the given store file."""
    return Settings(_env_file=None, database=db)  # type: ignore[call-arg]


def shipped_config(db: Path) -> EngineConfig:
    """The engine configuration ``supportbot run`` builds: shipped knowledge base, forms,
    business hours, fair-use limit (20 messages a minute per customer)."""
    return build_config(shipped_settings(db))


def build_engine(store: Store, config: EngineConfig, clock: Clock = utc_now) -> Engine:
    """The engine, after what the bot loads in the background right after start (locales,
    holidays, the help-article index, then ``gc.freeze()``), as in a running bot."""
    warm_up(config, Translator(PROJECT_ROOT / "locales"))
    # No dispatcher is woken: these benchmarks measure the way in, delivery has its own.
    return Engine(store, config, clock=clock)


def plain_sqlite(path: Path) -> sqlite3.Connection:
    """A connection set up the way the store's writer is: WAL, synchronous=NORMAL, autocommit
    (each statement its own transaction unless BEGIN is issued)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def file_size(path: Path) -> int:
    """Database file plus its WAL: what the store occupies on disk."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            total += p.stat().st_size
    return total


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def python_info() -> str:
    return sys.version.split()[0]
