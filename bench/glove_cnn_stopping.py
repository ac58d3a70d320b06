"""Compare early-stopping rules offline on the per-epoch curves that ``bench_glove_cnn.py curves`` records.

A stopping rule decides only when training ends and which epoch's weights are kept; training up to that point is
the same run (same seed, same batches). So on a curve recorded without stopping (validation accuracy and loss, and
accuracy on a held-out part of the *train* split, after every epoch) each rule can be replayed exactly: it sees the
validation numbers epoch by epoch, stops when its patience runs out or at its cap, and keeps one epoch; the
held-out accuracy of that epoch is what the rule would have given. No test split is involved.

    python bench/glove_cnn_stopping.py /tmp/curves400.jsonl [more.jsonl ...]

prints, per corpus and budget, mean / min held-out accuracy of each rule over seeds, with the epochs it ran.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence

Curve = Sequence[dict]


def replay(curve: Curve, steps_per_epoch: int, *, monitor: str = "val_accuracy", window: int = 1,
           patience: int = 3, patience_steps: int = 150, epochs: int = 30, cap_steps: int = 0,
           start_steps: int = 0) -> tuple[int, int]:
    """(kept epoch index, epochs run) for a rule: watch ``monitor`` (averaged over the last ``window`` epochs),
    stop after max(patience, patience_steps in epochs) epochs without a strict improvement or at the cap
    (max(epochs, cap_steps in epochs)), keep the epoch that ended the best window (ties: the earlier); epochs
    before ``start_steps`` optimizer steps are neither scored nor kept (Keras' ``start_from_epoch``)."""
    sign = -1.0 if monitor == "val_loss" else 1.0
    wait_for = max(patience, -(-patience_steps // steps_per_epoch))
    cap = min(len(curve), max(epochs, -(-cap_steps // steps_per_epoch)))
    start = min(cap - 1, start_steps // steps_per_epoch)
    best, best_at, run = None, start, 0
    for e in range(cap):
        run = e + 1
        if e < start:
            continue
        recent = curve[max(0, e - window + 1): e + 1]
        score = sign * statistics.fmean(r[monitor] for r in recent)
        if best is None or score > best:
            best, best_at = score, e
        elif e - best_at >= wait_for:
            break
    return best_at, run


RULES: dict[str, Callable[[Curve, int], tuple[int, int]]] = {
    "acc, cap 30 epochs (ELU default)": lambda c, s: replay(c, s),
    "acc, cap 600 steps": lambda c, s: replay(c, s, cap_steps=600),
    "loss, cap 600 steps": lambda c, s: replay(c, s, monitor="val_loss", cap_steps=600),
    "acc mean of 3 epochs, cap 600 steps": lambda c, s: replay(c, s, window=3, cap_steps=600),
    "acc mean of 5 epochs, cap 600 steps": lambda c, s: replay(c, s, window=5, cap_steps=600),
    "acc mean of 3 epochs, patience 300 steps, cap 900": lambda c, s: replay(c, s, window=3, patience_steps=300,
                                                                             cap_steps=900),
    "acc mean of 3 epochs, cap 30 epochs": lambda c, s: replay(c, s, window=3),
    "acc from 150 steps on, cap 600 steps": lambda c, s: replay(c, s, cap_steps=600, start_steps=150),
    "acc from 300 steps on, cap 600 steps": lambda c, s: replay(c, s, cap_steps=600, start_steps=300),
    "acc mean of 3 from 300 steps on, cap 600": lambda c, s: replay(c, s, window=3, cap_steps=600, start_steps=300),
    "last epoch of 600 steps (no selection)": lambda c, s: (min(len(c), -(-600 // s)) - 1,
                                                             min(len(c), -(-600 // s))),
    "oracle: best held-out epoch (not a rule)": lambda c, s: (max(range(len(c)), key=lambda e: c[e]["held_out"]),
                                                              len(c)),
}


def main(paths: list[str]) -> None:
    runs = [json.loads(line) for p in paths for line in open(p) if line.startswith('{"bench": "glove-cnn-curves"')]
    table: dict[tuple[str, int], dict[str, list[tuple[float, int]]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        steps = -(-run["n_train"] // run["batch_size"])
        for name, rule in RULES.items():
            kept, ran = rule(run["epochs"], steps)
            table[(run["corpus"], run["n_train"])][name].append((100 * run["epochs"][kept]["held_out"], ran))
    overall: dict[str, list[float]] = defaultdict(list)
    for (corpus, n_train), rules in table.items():
        print(f"\n{corpus}, {n_train} training texts, {len(next(iter(rules.values())))} seeds")
        for name, results in rules.items():
            accs = [a for a, _ in results]
            overall[name] += accs
            print(f"  {name:<52} mean {statistics.fmean(accs):5.1f} min {min(accs):5.1f}  "
                  f"[{' / '.join(f'{a:.1f}' for a in accs)}]  epochs {[r for _, r in results]}")
    print("\nall runs")
    for name, accs in overall.items():
        print(f"  {name:<52} mean {statistics.fmean(accs):5.1f} min {min(accs):5.1f}  ({len(accs)} runs)")


if __name__ == "__main__":
    main(sys.argv[1:])
