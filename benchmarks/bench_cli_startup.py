"""Start-up time of `sgg-bench --help` (and each subcommand's --help), as a ratio to `python -c pass`
measured in the same run.

Usage: .venv/bin/python benchmarks/bench_cli_startup.py [--repeats 7]
Each command runs --repeats times as a fresh process; the table reports the median wall time and
its ratio to the median of `python -c pass` (same interpreter, same machine state).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from sgg_bench.cli import COMMAND_MODULES


def median_seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    baseline = median_seconds([sys.executable, "-c", "pass"], args.repeats)
    rows = [("python -c pass", baseline)]
    for extra in [[]] + [[name] for name in COMMAND_MODULES]:
        command = [sys.executable, "-m", "sgg_bench", *extra, "--help"]
        rows.append(("sgg-bench " + " ".join(extra + ["--help"]), median_seconds(command, args.repeats)))
    torch_import = median_seconds([sys.executable, "-c", "import torch"], args.repeats)
    rows.append(("python -c 'import torch' (for scale)", torch_import))
    print("| command | median s | ratio to `python -c pass` |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| `{name}` | {seconds:.3f} | {seconds / baseline:.1f}x |")


if __name__ == "__main__":
    main()
