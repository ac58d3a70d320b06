"""`tlbench predict` throughput vs the same system's in-cell prediction, and predict's peak memory.

    flock /tmp/tlbench-heavy.lock .venv/bin/python bench/bench_predict.py [--system tfidf-lr] [--lines 100000]

1. ``tlbench train SYSTEM --target imdb --max-train N`` (in this process, through ``train_model``).
2. An input of ``--lines`` real IMDB reviews (the test split, repeated), one per line.
3. In-cell: ``model.predict_proba(all texts)`` on the model in memory, the way a study cell predicts its test
   split (every text held at once), timed.
4. ``tlbench predict DIR input.txt --out out.csv`` in a fresh process, timed from start to exit (start-up, model
   load, reading, predicting, writing); its peak RSS (VmHWM, reset at start) is read at exit.
5. The streaming part alone (model loaded, then read → predict → write) in this process, timed.
Each timing is the median of ``--repeats`` interleaved runs. Prints one JSON line: ``ratio_end_to_end`` is
predict's documents/s (start-up and model load included) over in-cell's; ``ratio_streaming`` leaves out start-up
(the model load is still included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
    parser.add_argument("--repeats", type=int, default=3, help="each timing is the median of this many runs")
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

    in_cell, streamed, cli, peaks = [], [], [], []
    for _ in range(args.repeats):  # interleaved, so load on the shared machine hits every measurement alike
        in_cell.append(_timed(lambda: trained.model.predict_proba(texts)))
        streamed.append(_timed(lambda: _stream(work, args.batch_size)))
        seconds, peak_mb = _cli(work, args.batch_size, args.lines)
        cli.append(seconds)
        peaks.append(peak_mb)
    m_cell, m_stream, m_cli = (statistics.median(x) for x in (in_cell, streamed, cli))
    print(json.dumps({
        "system": args.system, "lines": args.lines, "input_mb": round((work / "input.txt").stat().st_size / 2**20, 1),
        "batch_size": args.batch_size, "repeats": args.repeats,
        "in_cell_seconds": [round(x, 2) for x in in_cell], "in_cell_docs_per_s": round(args.lines / m_cell, 1),
        "streamed_seconds": [round(x, 2) for x in streamed], "predict_seconds": [round(x, 2) for x in cli],
        "predict_docs_per_s": round(args.lines / m_cli, 1),
        "ratio_end_to_end": round(m_cell / m_cli, 3), "ratio_streaming": round(m_cell / m_stream, 3),
        "predict_peak_rss_mb": max(round(x, 1) for x in peaks),
    }))


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _stream(work: Path, batch_size: int) -> None:
    """The streaming part alone, in this process: the saved model loaded, then read → predict → write."""
    from tlbench import load_model
    from tlbench.prediction import PredictionWriter, open_input, predict_stream

    model = load_model(work / "model", device="cpu")
    with (work / "streamed.csv").open("w", encoding="utf-8", newline="") as f:
        predict_stream(model, open_input(work / "input.txt", batch_size), PredictionWriter(f, "csv", model.label_names))


def _cli(work: Path, batch_size: int, lines: int) -> tuple[float, float]:
    """`tlbench predict` in a fresh process, start to exit, and that process's peak RSS in MiB."""
    argv = ["predict", str(work / "model"), str(work / "input.txt"), "--out", str(work / "out.csv"),
            "--batch-size", str(batch_size), "--device", "cpu"]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CHILD, json.dumps(argv), str(work / "peak")], check=True,
                   env={**os.environ})
    seconds = time.perf_counter() - start
    written = sum(1 for _ in (work / "out.csv").open(encoding="utf-8")) - 1
    assert written == lines, (written, lines)
    return seconds, int((work / "peak").read_text()) / 1024


if __name__ == "__main__":
    main()
