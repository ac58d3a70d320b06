"""Start-up of `tlbench list` against `python -c "import pluggy"`, in one run, as a ratio.

    python bench/bench_list_startup.py [--runs 30]

Each command runs --runs times, interleaved; the median wall time of each is reported. Target: ratio <= 1.5.
The entry-point cache is warmed first (the first `tlbench list` after an install scans site-packages once).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    tlbench = str(Path(sys.executable).with_name("tlbench"))
    commands = {"import pluggy": [sys.executable, "-c", "import pluggy"], "tlbench list": [tlbench, "list"]}
    for cmd in commands.values():
        wall(cmd)  # warm the OS cache and tlbench's entry-point cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(wall(cmd))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, m in medians.items():
        print(f"{name:<16} median {m * 1000:7.1f} ms over {args.runs} runs")
    print(f"ratio tlbench list / import pluggy: {medians['tlbench list'] / medians['import pluggy']:.2f} "
          "(target <= 1.5)")


if __name__ == "__main__":
    main()
