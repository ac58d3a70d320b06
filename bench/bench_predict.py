"""`tlbench predict` throughput vs the same system's in-cell prediction, and predict's peak memory.

    flock /tmp/tlbench-heavy.lock .venv/bin/python bench/bench_predict.py [--system tfidf-lr] [--lines 100000]

1. ``tlbench train SYSTEM --target imdb --max-train N`` (in this process, through ``train_model``).
2. An input of ``--lines`` real IMDB reviews (the test split, repeated), one per line.
3. In-cell: ``model.predict_proba(all texts)`` on the model in memory, the way a study cell predicts its test
   split (every text held at once), timed.
4. ``tlbench predict DIR input.txt --out out.csv`` in a fresh process, timed from start to exit (start-up, model
   load, reading, predicting, writing); its peak RSS (VmHWM, reset at start) is read at exit.
Prints one JSON line; the ratio is predict's documents/s over in-cell's documents/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


# `tlbench predict` as its console script runs it, in a process whose peak RSS counts only itself: a child's
# high-water mark starts at its parent's size (fork), so it is reset first (Linux: clear_refs 5) and read at exit.
_CHILD = """
import json, pathlib, sys
pathlib.Path("/proc/self/clear_refs").write_text("5")
from tlbench.cli import app
try:
    app(args=json.loads(sys.argv[1]), prog_name="tlbench")
except SystemExit as exc:
    if exc.code:
        raise
status = pathlib.Path("/proc/self/status").read_text()
kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
pathlib.Path(sys.argv[2]).write_text(kb)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="tfidf-lr")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--max-train", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("-o", "--option", action="append", default=[], help="SYSTEM option KEY=VALUE")
    args = parser.parse_args()

    from tlbench.config import parse_value
    from tlbench.study import StudySpec
    from tlbench.training import train_model

    work = Path(tempfile.mkdtemp(prefix="bench-predict-"))
    options = {k: parse_value(v) for k, _, v in (o.partition("=") for o in args.option)}
    spec = StudySpec([args.system], "imdb", system_options={args.system: options}, fractions=[1.0], seeds=[0],
                     max_train=args.max_train, device="cpu")
    trained = train_model(spec, work / "model")
    test = list(trained.env.split("target", "test").texts)
    texts = [" ".join(test[i % len(test)].split()) for i in range(args.lines)]  # one review per line
    (work / "input.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")

    start = time.perf_counter()
    trained.model.predict_proba(texts)
    in_cell = time.perf_counter() - start
    del texts

    argv = ["predict", str(work / "model"), str(work / "input.txt"), "--out", str(work / "out.csv"),
            "--batch-size", str(args.batch_size), "--device", "cpu"]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CHILD, json.dumps(argv), str(work / "peak")], check=True,
                   env={**os.environ})
    cli = time.perf_counter() - start
    peak_mb = int((work / "peak").read_text()) / 1024
    written = sum(1 for _ in (work / "out.csv").open(encoding="utf-8")) - 1
    assert written == args.lines, (written, args.lines)
    print(json.dumps({
        "system": args.system, "lines": args.lines, "input_mb": round((work / "input.txt").stat().st_size / 2**20, 1),
        "batch_size": args.batch_size, "in_cell_seconds": round(in_cell, 2),
        "in_cell_docs_per_s": round(args.lines / in_cell, 1), "predict_seconds": round(cli, 2),
        "predict_docs_per_s": round(args.lines / cli, 1), "ratio": round(in_cell / cli, 3),
        "predict_peak_rss_mb": round(peak_mb, 1),
    }))


if __name__ == "__main__":
    main()
