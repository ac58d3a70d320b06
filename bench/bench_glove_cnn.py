"""Benchmarks of the glove-cnn system (the 2019 talk's table) and of tlbench's overhead over plain Keras.

``table``: runs the talk's study through the CLI and prints accuracy (mean ± sd over seeds) next to the talk's:

    nice -n 10 python bench/bench_glove_cnn.py table --seeds 3 --data-dir /work/shared/data --out bench/out/glove-cnn

which runs ``tlbench compare glove-cnn --source amazon --target imdb --strategy
target-only,embedding-transfer,weight-transfer --fractions 0.05,1.0 --seeds 3`` on the official aclImdb test set.
``--max-test``/``--max-train``/``--max-source`` and ``--fractions``/``--strategies`` cut the study down when time
is short (say so when reporting the numbers); ``--system``, ``--source`` ('' for none) and ``--target`` run the
same check for other systems and corpora (the 5-seed robustness checks of docs/results.md), e.g.

    nice -n 10 python bench/bench_glove_cnn.py table --seeds 5 --source '' --target blitzer:books \
        --strategies target-only --fractions 1.0 --out /tmp/glove-cnn-books

Each row prints mean ± sd, the minimum over seeds, every seed and how many cells the guard found "did not learn".

``overhead``: one target-only cell through ``tlbench compare`` vs ``bench/plain_keras_cnn.py`` training the same
model on the same data for the same fixed number of epochs; both wall times include process start-up, imports,
data loading, tokenisation, training and prediction:

    nice -n 10 python bench/bench_glove_cnn.py overhead --epochs 3 --fraction 1.0 --max-test 5000

``dev``: hyper-parameter checks on held-out parts of the *train* splits of several corpora (1,000 texts each;
no test split is ever read), training the system on a stratified slice of the rest (90% train, 10% validation)
with the given option sets, for each seed:

    nice -n 10 python bench/bench_glove_cnn.py dev --n-train 1250 --corpora imdb,amazon,blitzer:books \
        --seeds 0,1,2 --configs '[{}, {"learning_rate": 0.001}]'

Each part prints one JSON line per measurement and a summary; ``--record FILE`` appends them as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
TALK = {("target-only", 0.05): 70.0, ("target-only", 1.0): 83.7,
        ("embedding-transfer", 0.05): 86.3, ("embedding-transfer", 1.0): 87.3}
TARGETS = {("target-only", 0.05): 80.0, ("target-only", 1.0): 88.0, ("best-transfer", 0.05): 86.3,
           ("best-transfer", 1.0): 89.0}


def tlbench_cmd() -> list[str]:
    exe = shutil.which("tlbench") or str(Path(sys.executable).with_name("tlbench"))
    return [exe]


def run_timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(cmd)}\n{result.stderr[-3000:]}")
    return seconds, result.stdout


def read_results(out: Path) -> list[dict]:
    path = out / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def summarise(rows: list[dict]) -> list[dict]:
    by_cell: dict[tuple[str, float], list[float]] = defaultdict(list)
    info: dict[tuple[str, float], list[dict]] = defaultdict(list)
    learned: dict[tuple[str, float], list] = defaultdict(list)
    for row in rows:
        if row.get("status") != "ok":
            continue
        key = (row["strategy"], float(row["fraction"]))
        by_cell[key].append(100.0 * float(row["metrics"]["accuracy"]))
        info[key].append(row.get("info", {}))
        learned[key].append(row.get("learned"))
    out = []
    for (strategy, fraction), accs in sorted(by_cell.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cells = info[(strategy, fraction)]
        out.append({
            "strategy": strategy, "fraction": fraction, "n_seeds": len(accs),
            "accuracy_mean": round(statistics.fmean(accs), 2),
            "accuracy_sd": round(statistics.stdev(accs), 2) if len(accs) > 1 else 0.0,
            "accuracy_min": round(min(accs), 2), "seeds": [round(a, 2) for a in accs],
            "did_not_learn": sum(c is False for c in learned[(strategy, fraction)]),
            "talk": TALK.get((strategy, fraction)),
            "vectors_updated": [c.get("vectors_updated") for c in cells if "vectors_updated" in c] or None,
            "epochs_run": [c.get("epochs_run") for c in cells],
        })
    return out


def table(args: argparse.Namespace) -> list[dict]:
    out = Path(args.out)
    if out.exists() and not args.resume:
        sys.exit(f"{out} exists: pass --resume to continue that study, or another --out")
    source = ["--source", args.source] if args.source else []
    cmd = [*tlbench_cmd(), "compare", args.system, *source, "--target", args.target,
           "--strategy", args.strategies, "--fractions", args.fractions, "--seeds", str(args.seeds),
           "--data-dir", args.data_dir, "--out", str(out), "--device", "cpu"]
    for flag in ("max_train", "max_test", "max_source"):
        if getattr(args, flag) is not None:
            cmd += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    for option in args.option or []:
        cmd += ["-o", option]
    seconds, _ = run_timed(cmd)
    rows = summarise(read_results(out))
    record = {"bench": "glove-cnn-table", "command": " ".join(cmd), "wall_seconds": round(seconds, 1),
              "cells": rows}
    print(f"{'strategy':<20} {'fraction':>8} {'seeds':>5} {'accuracy':>14} {'min':>6} {'talk':>6}  did not learn")
    for r in rows:
        talk = f"{r['talk']:.1f}" if r["talk"] else "-"
        print(f"{r['strategy']:<20} {r['fraction']:>8g} {r['n_seeds']:>5} "
              f"{r['accuracy_mean']:>7.2f} ± {r['accuracy_sd']:<4.2f} {r['accuracy_min']:>6.2f} {talk:>6}  "
              f"{r['did_not_learn']}   {r['seeds']}")
    print(f"wall: {seconds / 60:.1f} min")
    return [record]


def overhead(args: argparse.Namespace) -> list[dict]:
    env = {**os.environ, "TLBENCH_CACHE_DIR": os.environ.get("TLBENCH_CACHE_DIR", "")}
    env = {k: v for k, v in env.items() if v}
    records = []
    for round_ in range(args.repeats):
        plain_cmd = [sys.executable, str(HERE / "plain_keras_cnn.py"), "--data-dir", args.data_dir,
                     "--epochs", str(args.epochs), "--fraction", str(args.fraction)]
        if args.max_test:
            plain_cmd += ["--max-test", str(args.max_test)]
        plain_s, plain_out = run_timed(plain_cmd, env)
        plain = json.loads(plain_out.strip().splitlines()[-1])
        with tempfile.TemporaryDirectory(prefix="tlbench-overhead-") as tmp:
            cell_cmd = [*tlbench_cmd(), "compare", "glove-cnn", "--target", "imdb", "--strategy", "target-only",
                        "--fractions", str(args.fraction), "--seeds", "1", "--data-dir", args.data_dir,
                        "--out", tmp, "--device", "cpu", "-o", f"glove-cnn.epochs={args.epochs}",
                        "-o", "glove-cnn.patience=100"]
            if args.max_test:
                cell_cmd += ["--max-test", str(args.max_test)]
            cell_s, _ = run_timed(cell_cmd, env)
            cell = read_results(Path(tmp))[-1]
        records.append({"bench": "glove-cnn-overhead", "round": round_, "epochs": args.epochs,
                        "fraction": args.fraction, "plain_wall_seconds": round(plain_s, 1),
                        "tlbench_wall_seconds": round(cell_s, 1), "ratio": round(cell_s / plain_s, 3),
                        "plain_accuracy": plain["accuracy"],
                        "tlbench_accuracy": round(float(cell["metrics"]["accuracy"]), 4),
                        "plain_command": " ".join(plain_cmd), "tlbench_command": " ".join(cell_cmd)})
        print(json.dumps(records[-1]), flush=True)
    return records


def _dev_parts(registry, corpus: str, data_dir: str, n_train: int, n_held_out: int, seed: int):
    """A held-out part and a stratified training slice, both from ``corpus``'s *train* split (never its test)."""
    import numpy as np

    from tlbench.corpora.base import CorpusOptions
    from tlbench.sampler import stratified_limit

    base, _, arg = corpus.partition(":")
    full = registry.get("corpus", base).resolve()(CorpusOptions(data_dir=Path(data_dir), arg=arg or None)).load("train")
    order = np.random.default_rng(123).permutation(len(full))
    held = min(n_held_out, len(full) // 4)
    held_out, rest = full.subset(order[:held]), full.subset(order[held:])
    chosen = rest.subset(stratified_limit(rest.labels, n_train, seed))
    n_valid = max(1, len(chosen) // 10)
    return held_out, chosen.head(n_valid), chosen.subset(np.arange(n_valid, len(chosen)))


def dev(args: argparse.Namespace) -> list[dict]:
    from tlbench.plugins import get_registry
    from tlbench.system import Context

    registry = get_registry()
    records = []
    for corpus in args.corpora.split(","):
        for seed in map(int, args.seeds.split(",")):
            held_out, valid, train = _dev_parts(registry, corpus, args.data_dir, args.n_train, args.n_held_out, seed)
            for options in json.loads(args.configs):
                options = dict(options)
                ctx = Context(seed=seed)
                start = time.perf_counter()
                system = registry.create_system(args.system, options).fit(train, valid, ctx)
                accuracy = float((system.predict_proba(held_out.texts).argmax(axis=1) == held_out.labels).mean())
                records.append({"bench": "glove-cnn-dev", "system": args.system, "corpus": corpus,
                                "n_train": len(train), "n_valid": len(valid), "n_held_out": len(held_out),
                                "options": options, "seed": seed, "dev_accuracy": round(accuracy, 4),
                                "seconds": round(time.perf_counter() - start, 1),
                                **{k: ctx.info.get(k) for k in ("epochs_run", "epoch_cap", "best_epoch",
                                                              "best_val_accuracy", "val_accuracy_by_epoch")}})
                print(json.dumps(records[-1]), flush=True)
    by_config: dict[str, list[float]] = defaultdict(list)
    for r in records:
        by_config[json.dumps(r["options"], sort_keys=True)].append(100 * r["dev_accuracy"])
    for config, accs in by_config.items():
        print(f"{config}: mean {statistics.fmean(accs):.1f} min {min(accs):.1f} over {len(accs)} runs", flush=True)
    return records


def curves(args: argparse.Namespace) -> list[dict]:
    """Train without early stopping for a fixed number of epochs and record, after every epoch, the validation
    accuracy and loss and the accuracy on the held-out part of the *train* split; stopping rules are then compared
    offline on these curves (``bench/glove_cnn_stopping.py``), since a rule only decides where to stop and which
    epoch to keep, never what training does before that."""
    from tlbench.plugins import get_registry
    from tlbench.system import Context

    registry = get_registry()
    records = []
    for corpus in args.corpora.split(","):
        for seed in map(int, args.seeds.split(",")):
            held_out, valid, train = _dev_parts(registry, corpus, args.data_dir, args.n_train, args.n_held_out, seed)
            options = {**json.loads(args.options), "epochs": args.epochs, "patience": args.epochs,
                       "patience_steps": 0}
            system = registry.create_system(args.system, options)
            epochs: list[dict] = []
            held_ids: list = []

            def on_epoch(event, system=system, held_ids=held_ids, epochs=epochs):
                if event.stage != "epoch":
                    return
                if not held_ids:
                    held_ids.append(system.shaper_.ids(held_out.texts))
                proba = system.model_.predict(held_ids[0], batch_size=256, verbose=0)
                held = float((proba.argmax(axis=1) == held_out.labels).mean())
                epochs.append({"val_accuracy": round(event.metrics["val_accuracy"], 4),
                               "val_loss": round(event.metrics["val_loss"], 4), "held_out": round(held, 4)})

            start = time.perf_counter()
            system.fit(train, valid, Context(seed=seed, progress=on_epoch))
            records.append({"bench": "glove-cnn-curves", "system": args.system, "corpus": corpus,
                            "n_train": len(train), "n_valid": len(valid), "n_held_out": len(held_out),
                            "batch_size": system.batch_size, "options": options, "seed": seed,
                            "seconds": round(time.perf_counter() - start, 1), "epochs": epochs})
            print(json.dumps(records[-1]), flush=True)
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="part", required=True)
    t = sub.add_parser("table")
    t.add_argument("--seeds", type=int, default=3)
    t.add_argument("--fractions", default="0.05,1.0")
    t.add_argument("--strategies", default="target-only,embedding-transfer,weight-transfer")
    t.add_argument("--out", default=str(HERE / "out" / "glove-cnn"))
    t.add_argument("--resume", action="store_true")
    t.add_argument("--system", default="glove-cnn")
    t.add_argument("--source", default="amazon", help="source corpus; '' for none (target-only studies)")
    t.add_argument("--target", default="imdb")
    t.add_argument("--max-train", type=int)
    t.add_argument("--max-test", type=int)
    t.add_argument("--max-source", type=int)
    t.add_argument("-o", "--option", action="append")
    o = sub.add_parser("overhead")
    o.add_argument("--epochs", type=int, default=3)
    o.add_argument("--fraction", type=float, default=1.0)
    o.add_argument("--max-test", type=int)
    o.add_argument("--repeats", type=int, default=1)
    d = sub.add_parser("dev")
    d.add_argument("--n-train", type=int, default=1250)
    d.add_argument("--configs", default="[{}]", help="JSON list of option sets for the system")
    d.add_argument("--corpora", default="imdb,amazon,blitzer:books,rotten-tomatoes",
                   help="corpora whose *train* split gives the training slice and the held-out part")
    d.add_argument("--seeds", default="0,1,2")
    d.add_argument("--n-held-out", type=int, default=1000)
    d.add_argument("--system", default="glove-cnn")
    c = sub.add_parser("curves")
    c.add_argument("--n-train", type=int, default=400)
    c.add_argument("--epochs", type=int, default=100)
    c.add_argument("--options", default="{}", help="JSON option set for the system (stopping is turned off)")
    c.add_argument("--corpora", default="imdb,amazon,blitzer:books,rotten-tomatoes")
    c.add_argument("--seeds", default="0,1,2,3,4")
    c.add_argument("--n-held-out", type=int, default=1000)
    c.add_argument("--system", default="glove-cnn")
    for p in (t, o, d, c):
        p.add_argument("--data-dir", default="/work/shared/data")
        p.add_argument("--record", help="append the JSON records to this file")
    args = ap.parse_args()
    records = {"table": table, "overhead": overhead, "dev": dev, "curves": curves}[args.part](args)
    if args.record:
        with open(args.record, "a") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
