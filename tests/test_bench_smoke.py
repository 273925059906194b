"""The benchmark command works end to end at small sizes (no timing is asserted: a smoke run
on a shared machine says nothing about speed). The real run is ``make bench``."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import PROJECT_ROOT


def test_quick_benchmarks_run_and_print_a_table() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "throughput", "memory"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| benchmark | figure | measured")
    assert any(line.startswith("| 1. Throughput |") for line in table)
    assert any(line.startswith("| 4. Memory |") for line in table)
    assert "ERROR" not in proc.stdout
