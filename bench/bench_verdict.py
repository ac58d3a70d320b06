"""What the verdict costs ``tlbench report``: a synthetic 36-cell study (3 systems × 2 strategies × 2 fractions ×
3 seeds) with 25,000 test examples per cell, written as a results file the way the runner writes it.

Median of 3 wall times, in one process: reading the file, the aggregation (``summarize``, built once per report), the verdict
(``study_verdict``: costs, paired bootstrap + Holm per fraction, labels-equivalent, Pareto front), and the whole
``tlbench report --format md,html,json`` path (plots included). Usage::

    flock /tmp/tlbench-heavy.lock .venv/bin/python bench/bench_verdict.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from tlbench.cli import app
from tlbench.report import read_results
from tlbench.report.summary import latest_ok, split_studies, summarize
from tlbench.report.verdict_text import study_verdict
from tlbench.results import CellResult, ResultStore, encode_labels

N_TEST = 25_000
SYSTEMS = {"bert": 0.86, "glove-cnn": 0.80, "tfidf-lr": 0.855}
STRATEGIES = {"target-only": 0.0, "fine-tune": 0.01}
FRACTIONS = (0.05, 1.0)
SEEDS = (0, 1, 2)


def synthetic_results() -> list[CellResult]:
    y_true = np.arange(N_TEST) % 2
    out = []
    for system, base in SYSTEMS.items():
        for strategy, gain in STRATEGIES.items():
            for fraction in FRACTIONS:
                for seed in SEEDS:
                    rng = np.random.default_rng([len(system), len(strategy), int(100 * fraction), seed])
                    correct = rng.random(N_TEST) < base + gain + 0.03 * fraction
                    out.append(CellResult(
                        key=f"{system}/{strategy}/{fraction}/{seed}", status="ok", system=system, strategy=strategy,
                        target="imdb", source="amazon", fraction=fraction, seed=seed,
                        n_train=int(22500 * fraction), n_valid=int(2500 * fraction), n_test=N_TEST,
                        metrics={"accuracy": float(correct.mean())}, label_names=["neg", "pos"],
                        y_true=encode_labels(y_true), y_pred=encode_labels(np.where(correct, y_true, 1 - y_true)),
                        cost={"train_seconds": 10.0 * (1 + fraction), "source_seconds": 50.0 if seed == 0 else 0.0,
                              "predict_examples_per_s": 5000.0},
                        test_set={"digest": "synthetic"}))
    return out


def _clock(fn, repeat: int = 3):
    """The value and the median wall time of ``repeat`` calls (the first call also pays imports: scipy, matplotlib)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return value, sorted(times)[len(times) // 2]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.jsonl"
        store = ResultStore(path)
        for r in synthetic_results():
            store.append(r)
        results, read_s = _clock(lambda: read_results(path))
        (study,) = split_studies(latest_ok(results)[0])
        summary, summarize_s = _clock(lambda: summarize(study))
        verdict, verdict_s = _clock(lambda: study_verdict(summary))
        out, report_s = _clock(lambda: CliRunner().invoke(app, ["report", str(path), "--format", "md,html,json",
                                                               "--out", str(Path(tmp) / "report")]))
        if out.exit_code != 0:
            sys.exit(out.output)
    comparisons = sum(len(v.comparisons) for v in verdict.verdicts)
    print(f"{len(results)} cells × {N_TEST:,} test examples; {comparisons} paired comparisons")
    print(f"read results file      {read_s:7.2f} s")
    print(f"aggregation (once)     {summarize_s:7.2f} s")
    print(f"verdict                {verdict_s:7.2f} s")
    print(f"tlbench report md,html,json (whole command, plots included) {report_s:7.2f} s")
    print(f"verdict / (aggregation + verdict) = {verdict_s / (summarize_s + verdict_s):.0%}")


if __name__ == "__main__":
    main()
