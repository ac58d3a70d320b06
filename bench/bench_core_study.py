"""The core's end-to-end check on real data: tfidf-lr, Amazon -> IMDB (official aclImdb test set), killed with
SIGKILL half-way and rerun.

    python bench/bench_core_study.py --data-dir ../shared/data [--out DIR] [--kill-after 4]

Runs `tlbench compare tfidf-lr --source amazon --target imdb --fractions 0.05,1.0 --seeds 3` in a subprocess,
SIGKILLs it once `--kill-after` cells are in the results file, reruns the same command to completion, then checks
that no completed cell was computed twice and that every line of the results file parses. Prints wall times and
the final table (the rerun's output).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--out", default="tlbench-runs/bench-core")
    parser.add_argument("--kill-after", type=int, default=4)
    parser.add_argument("--strategies", default="target-only,zero-shot,pooled")
    args = parser.parse_args()
    tlbench = str(Path(sys.executable).with_name("tlbench"))
    cmd = [tlbench, "compare", "tfidf-lr", "--source", "amazon", "--target", "imdb", "--strategy", args.strategies,
           "--fractions", "0.05,1.0", "--seeds", "3", "--data-dir", args.data_dir, "--out", args.out,
           "--device", "cpu"]
    results = Path(args.out) / "results.jsonl"
    print("$", " ".join(cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if results.exists() and len(results.read_bytes().splitlines()) >= args.kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    proc.wait()
    first = time.perf_counter() - start
    before = [json.loads(line)["key"] for line in results.read_text().splitlines() if line.endswith("}")]
    print(f"killed (SIGKILL) after {first:.1f} s with {len(before)} cells written", flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    second = time.perf_counter() - start
    lines = results.read_bytes().splitlines()
    keys = [json.loads(line)["key"] for line in lines]  # raises on a corrupt line
    assert keys[: len(before)] == before, "cells written before the kill changed"
    assert len(keys) == len(set(keys)), "a completed cell was computed again"
    print(f"rerun: {second:.1f} s, {len(keys) - len(before)} new cells, {len(keys)} lines, all parse, no duplicates")


if __name__ == "__main__":
    main()
