"""Run the benchmarks of issue 8 and write ``docs/benchmarks.md``.

    python -m bench                          # all five, full size; writes docs/benchmarks.md
    python -m bench throughput latency       # a subset; their rows in the doc are replaced
    python -m bench --quick throughput memory  # small sizes, smoke run: prints, writes nothing
    python -m bench scale --data-dir /var/tmp/bench   # where the 1M-ticket store is cached
    python -m bench --render                 # rebuild the doc from its kept results

Each benchmark runs in its own child process, so one's memory and caches never colour
another's figures (the memory benchmark reads this process's RSS), and a crash in one still
leaves the others' results.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.common import DOC_PATH, Result, StolenTime, code_state, load_average, machine

# name -> (module, title), in the order of the issue.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "throughput": ("bench.throughput", "1. Throughput"),
    "latency": ("bench.latency", "2. Latency"),
    "scale": ("bench.scale", "3. Scale"),
    "memory": ("bench.memory", "4. Memory"),
    "delivery": ("bench.delivery", "5. Delivery"),
}
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "supportbot-bench"
FINDINGS = Path(__file__).with_name("findings.md")
_RESULTS_BLOCK = re.compile(r"<!-- bench-results\n(.*?)\n-->", re.DOTALL)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for a smoke run; figures are not comparable")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="where the scale benchmark caches its generated store "
                             f"(default {DEFAULT_DATA_DIR})")
    parser.add_argument("--output", type=Path, default=None,
                        help="Markdown file to write (default docs/benchmarks.md for a full "
                             "run; a --quick run writes none unless given)")
    parser.add_argument("--render", action="store_true",
                        help="rewrite the doc from the results kept in it (after editing "
                             "bench/findings.md); runs nothing")
    parser.add_argument("--child", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(BENCHMARKS)}")
    return args


# -- one benchmark, in a child process ---------------------------------------------------------
def run_child(name: str, result_file: Path, *, quick: bool, data_dir: Path) -> int:
    module_name, title = BENCHMARKS[name]
    result = Result(name=name, title=title, quick=quick, code=code_state())
    load_before = load_average()
    stolen = StolenTime()
    start = time.perf_counter()
    code = 0
    try:
        module = importlib.import_module(module_name)
        module.run(result, quick=quick, data_dir=data_dir)
    except BaseException as exc:  # reported in the table rather than lost
        result.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        traceback.print_exc()
        code = 1
    result.seconds = time.perf_counter() - start
    result.finished_at = time.strftime("%Y-%m-%d %H:%M:%S")
    result.load = f"{load_before} → {load_average()}"
    result.steal = stolen.share()
    result_file.write_text(json.dumps(result.to_json(), ensure_ascii=False), encoding="utf-8")
    return code


def run_here(name: str, *, data_dir: Path) -> Result:
    print(f"\n== {BENCHMARKS[name][1]} (quick) ==", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-result-") as tmp:
        result_file = Path(tmp) / "result.json"
        run_child(name, result_file, quick=True, data_dir=data_dir)
        result = Result.from_json(json.loads(result_file.read_text(encoding="utf-8")))
    print(f"  ({result.seconds:.0f} s)" + (f"  ERROR: {result.error}" if result.error else ""),
          flush=True)
    return result


def settle_disk() -> None:
    """Let what the previous benchmark wrote reach the disk before the next one starts: the
    scale benchmark's read tails measured twice as long (p99 8-10 ms against 3.5-4 ms) right
    after the latency benchmark, while the kernel was still writing its files back."""
    os.sync()
    time.sleep(2)


def run_in_child(name: str, *, quick: bool, data_dir: Path) -> Result:
    title = BENCHMARKS[name][1]
    print(f"\n== {title} ==", flush=True)
    if not quick:
        settle_disk()
    with tempfile.TemporaryDirectory(prefix="bench-result-") as tmp:
        result_file = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "bench", "--child", name,
                   "--result-file", str(result_file), "--data-dir", str(data_dir)]
        if quick:
            command.append("--quick")
        proc = subprocess.run(command, check=False)
        if result_file.exists():
            result = Result.from_json(json.loads(result_file.read_text(encoding="utf-8")))
        else:
            result = Result(name=name, title=title, quick=quick,
                            error=f"the benchmark process exited with {proc.returncode}")
    print(f"  ({result.seconds:.0f} s, CPU steal {result.steal or '?'})"
          + (f"  ERROR: {result.error}" if result.error else ""), flush=True)
    return result


# -- the report --------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(results: list[Result], *, what_ifs: bool | None = None) -> str:
    """The Markdown table; ``what_ifs`` True/False keeps only / leaves out the what-if rows."""
    lines = ["| benchmark | figure | measured | baseline (same run) | ratio | target | result |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for result in results:
        if result.error and what_ifs is not True:
            lines.append(f"| {result.title} | — | error: {_cell(result.error)} | — | — | — | "
                         "**ERROR** |")
        for row in result.rows:
            is_what_if = row.metric.startswith("what-if")
            if what_ifs is not None and is_what_if != what_ifs:
                continue
            metric = row.metric.removeprefix("what-if: ")
            lines.append(f"| {result.title} | {_cell(metric)} | {_cell(row.value)} | "
                         f"{_cell(row.baseline)} | {_cell(row.ratio)} | {_cell(row.target)} | "
                         f"{row.verdict} |")
    return "\n".join(lines)


def previous_results(path: Path) -> tuple[dict[str, Result], dict[str, str] | None]:
    """Results (and the machine they ran on) kept in an earlier doc, so a subset run replaces
    only its own rows and ``--render`` can rebuild the doc."""
    if not path.exists():
        return {}, None
    match = _RESULTS_BLOCK.search(path.read_text(encoding="utf-8"))
    if not match:
        return {}, None
    try:
        data = json.loads(match.group(1))
        return ({r["name"]: Result.from_json(r) for r in data["results"]},
                data.get("machine"))
    except (ValueError, KeyError, TypeError):
        return {}, None


def document(results: list[Result], info: dict[str, str], runs: dict[str, str]) -> str:
    verdicts = [row.passed for r in results for row in r.rows if row.passed is not None]
    failed = sum(1 for v in verdicts if not v)
    parts = [
        "# Benchmarks (issue 8)",
        "",
        "Generated by `python -m bench` (`make bench`); do not edit by hand — the findings "
        "section comes from `bench/findings.md`. Every figure is compared with a baseline "
        "measured in the same run on the same machine, because absolute times drift on shared "
        "machines. Each benchmark runs in its own process.",
        "",
        "```sh",
        "make bench                                   # all five, full size: about 8-14 min, "
        "plus about 11 min the first time, to build the 12 GB scale store",
        ".venv/bin/python -m bench throughput latency # a subset (replaces their rows here)",
        ".venv/bin/python -m bench --quick            # smoke run at small sizes, writes nothing",
        "```",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} RAM, {info['os']}; "
        f"{info['python']}; SQLite {info['sqlite']}. Run started {info['date']}.",
        "",
        "Each benchmark: the commit it measured (files under bot/, storage/, adapters/, "
        "supportbot/ differing from it, if any), when it finished, how long it took, and the "
        "machine's 1-minute load average at its start and end (other engineers' test runs "
        "share these 2 CPUs), and the share of CPU time the host's hypervisor gave to other "
        "virtual machines meanwhile (steal; above a few per cent, tails and ratios drift): "
        + "; ".join(f"{r.title}: {r.code or '?'}, {runs.get(r.name, '?')}, {r.seconds:.0f} s, "
                    f"load {r.load}, steal {r.steal or '?'}{' (quick)' if r.quick else ''}"
                    for r in results) + ".",
        "",
        f"**{len(verdicts) - failed} of {len(verdicts)} targets met.**",
        "",
        "## Results",
        "",
        table(results, what_ifs=False),
        "",
        "## What-ifs",
        "",
        "Not the engine and never judged: measurements on each benchmark's own temporary "
        "store (or with a setting or a wrapper changed in the benchmark process only) that put "
        "numbers on the changes recommended below. How each is made is in its benchmark's "
        "notes and in `bench/whatif.py`.",
        "",
        table(results, what_ifs=True),
        "",
        "## Notes per benchmark",
        "",
    ]
    for result in results:
        if not result.notes:
            continue
        parts += [f"### {result.title}", ""]
        for note in result.notes:
            parts += [note, ""]
    if FINDINGS.exists():
        parts += [FINDINGS.read_text(encoding="utf-8").rstrip(), ""]
    blob = json.dumps({"machine": info, "results": [r.to_json() for r in results]},
                      ensure_ascii=False, indent=1)
    parts += [f"<!-- bench-results\n{blob}\n-->", ""]
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.child:
        return run_child(args.child, args.result_file, quick=args.quick,
                         data_dir=args.data_dir)
    if args.render:
        path = args.output or DOC_PATH
        kept, info_kept = previous_results(path)
        if not kept or info_kept is None:
            print(f"no results kept in {path}; run the benchmarks first", file=sys.stderr)
            return 1
        ordered = [kept[n] for n in BENCHMARKS if n in kept]
        path.write_text(document(ordered, info_kept, {r.name: r.finished_at for r in ordered}),
                        encoding="utf-8")
        print(f"rewrote {path} from its kept results", flush=True)
        return 0
    names = args.names or list(BENCHMARKS)
    info = machine()
    print(f"benchmarks: {', '.join(names)}{' (quick)' if args.quick else ''} — "
          f"{info['nproc']} CPUs, {info['python']}, SQLite {info['sqlite']}", flush=True)
    if args.quick:
        # A smoke run stays in this process: it saves a start-up (the knowledge base's
        # lemmatiser alone takes seconds) per benchmark, and its figures mean nothing anyway.
        fresh = [run_here(n, data_dir=args.data_dir) for n in names]
    else:
        fresh = [run_in_child(n, quick=False, data_dir=args.data_dir) for n in names]
    print("\n" + table(fresh), flush=True)

    output = args.output if args.output is not None else (None if args.quick else DOC_PATH)
    if output is not None:
        kept, _ = previous_results(output)
        for result in fresh:
            kept[result.name] = result
        ordered = [kept[n] for n in BENCHMARKS if n in kept]
        runs = {r.name: r.finished_at for r in ordered}
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(document(ordered, info, runs), encoding="utf-8")
        print(f"\nwrote {output}", flush=True)
    failed = any(r.error for r in fresh)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
