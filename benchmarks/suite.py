"""Time the test suite as `make test` runs it, and how fast the machine was meanwhile.

Usage:  .venv/bin/python benchmarks/suite.py [--runs N] [-- PYTEST ARGS]

Each run prints pytest's own time, the CPU-seconds the whole machine spent busy and idle
during it (from /proc/stat, so Linux only), and the median CPU time of a fixed pure-Python
loop timed once a second meanwhile: the suite's processes do not lengthen it, a slower
machine does. On a shared host one run of the same code can take a quarter longer than
another, so compare the medians of several runs before and after a change to the tests.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOOP = 300_000  # about 30 ms of CPU a second, while the suite runs


# Times the loop once a second until stdin closes, in CPU time: the suite's processes
# competing for the cores do not lengthen it, a slower machine does. Prints the median.
SAMPLER = f"""
import select, statistics, sys, time
samples = []
while not select.select([sys.stdin], [], [], 1.0)[0]:
    started = time.process_time()
    s = 0
    for i in range({LOOP}): s += i * i
    samples.append(time.process_time() - started)
print(statistics.median(samples) if samples else 0.0)
"""


def cpu_ticks() -> tuple[int, int]:
    """(busy, idle) clock ticks of all CPUs since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return user + nice + system + irq + softirq, idle + iowait


def run_suite(pytest_args: list[str]) -> dict:
    """One run of the suite as `make test` runs it; the figures, or exit if a test failed."""
    environment = {name: value for name, value in os.environ.items()
                   if name != "PYTHONDONTWRITEBYTECODE"}
    sampler = subprocess.Popen([sys.executable, "-c", SAMPLER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    busy_before, idle_before = cpu_ticks()
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", *pytest_args],
                            cwd=REPO, env=environment, capture_output=True, text=True)
    wall = time.perf_counter() - started
    busy_after, idle_after = cpu_ticks()
    loop = float(sampler.communicate("")[0])
    if result.returncode != 0:
        raise SystemExit(f"the suite failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    summary = re.search(r"(\d+) passed.* in ([\d.]+)s", result.stdout)
    hertz = os.sysconf("SC_CLK_TCK")
    busy = (busy_after - busy_before) / hertz
    return {"tests": int(summary.group(1)) if summary else 0,
            "pytest": float(summary.group(2)) if summary else wall, "busy": busy,
            "idle": (idle_after - idle_before) / hertz, "loop": loop}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of the suite (default 1)")
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest, after --")
    options = parser.parse_args()
    if not Path("/proc/stat").exists():
        raise SystemExit("benchmarks/suite.py reads /proc/stat: it runs on Linux only")
    print("| run | tests | pytest | busy CPU-s | idle CPU-s | loop (median) |")
    print("|---|---|---|---|---|---|")
    runs = []
    for number in range(1, options.runs + 1):
        run = run_suite(options.pytest_args)
        runs.append(run)
        print(f"| {number} | {run['tests']} | {run['pytest']:.1f} s | {run['busy']:.0f} | "
              f"{run['idle']:.0f} | {run['loop'] * 1000:.1f} ms |", flush=True)
    if len(runs) > 1:
        print(f"| median | | {statistics.median(r['pytest'] for r in runs):.1f} s | "
              f"{statistics.median(r['busy'] for r in runs):.0f} | "
              f"{statistics.median(r['idle'] for r in runs):.0f} | "
              f"{statistics.median(r['loop'] for r in runs) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
