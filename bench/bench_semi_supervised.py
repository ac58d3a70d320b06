"""Semi-supervised benchmarks (issue 14): choosing self-training's defaults, and the accuracy commands.

``tune``: chooses self-training's defaults on held-out parts of *training* splits, never a test split. For each
corpus a stratified 20% of its training split is held out as a development set; the rest plays the training split:
5% labelled fraction (validation carved from it by tlbench's sampler), the unlabeled pool built by
tlbench.unlabeled_pool (the development texts are excluded like test texts). Every round's model is scored on the
development set, so one run shows what each round and each selection rule would have given::

    flock /tmp/tlbench-heavy.lock python bench/bench_semi_supervised.py tune --data-dir ../shared/data \
        --json /tmp/st-tune.json

``commands``: prints (``--run`` runs) the ``tlbench compare`` commands whose results docs/results.md records
(groups: self-training, setfit, minilm, teacher; setfit's CPU defaults come from bench/bench_setfit_defaults.py).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CORPORA = ("imdb", "rotten-tomatoes", "blitzer:books")


def _corpus(name: str, data_dir: str | None):
    from tlbench.plugins import get_registry
    from tlbench.corpora.resolve import open_corpus
    from tlbench.study import StudySpec

    return open_corpus(name, get_registry(), StudySpec(systems=["tfidf-lr"], target=name, data_dir=data_dir))


def _held_out(name: str, data_dir: str | None, dev_share: float):
    from tlbench.sampler import nested_fractions

    corpus = _corpus(name, data_dir)
    full = corpus.load("train")
    parts = nested_fractions(full.labels, [1.0], 99, dev_share)[1.0]
    unlabeled = corpus.load("unlabeled").texts if "unlabeled" in corpus.splits() else ()
    return full.subset(parts.train), full.subset(parts.valid), unlabeled


class _Target:
    def __init__(self, train, valid, pool):
        self.train, self.valid, self._pool = train, valid, pool

    def unlabeled(self):
        return self._pool


def tune_one(rest, dev, unlabeled, seed: int, fraction: float, options: dict) -> dict:
    from tlbench.sampler import nested_fractions
    from tlbench.strategies.self_training import SelfTraining, accuracy
    from tlbench.system import Context
    from tlbench.systems.tfidf_lr import TfidfLR
    from tlbench.unlabeled_pool import unlabeled_pool

    sample = nested_fractions(rest.labels, [fraction], seed, 0.1)[fraction]
    train, valid = rest.subset(sample.train), rest.subset(sample.valid)
    pool = unlabeled_pool(rest.texts, np.concatenate([sample.train, sample.valid]), unlabeled, set(dev.texts))
    made = []

    def new_system():
        made.append(TfidfLR())
        return made[-1]

    ctx = Context(seed=seed)
    start = time.perf_counter()
    SelfTraining(**options).run(new_system, None, _Target(train, valid, pool), ctx)
    record = ctx.info["self_training"]
    for entry, model in zip(record["rounds"], made):
        entry["dev_accuracy"] = accuracy(model, dev)
    record.update(seconds=round(time.perf_counter() - start, 1), n_train=len(train), n_valid=len(valid))
    return record


def tune(args) -> None:
    results = []
    for name in args.corpora:
        rest, dev, unlabeled = _held_out(name, args.data_dir, args.dev_share)
        for per_round in args.per_round:
            for seed in args.seeds:
                options = {"rounds": args.rounds, "per_round": per_round,
                           "max_pool": args.max_pool, "threshold": args.threshold}
                record = tune_one(rest, dev, unlabeled, seed, args.fraction, options)
                row = {"corpus": name, "seed": seed, "per_round_x": per_round, **options, **record}
                results.append(row)
                rounds = " ".join(f"r{h['round']}:{h['valid_accuracy']:.3f}/{h['dev_accuracy']:.4f}"
                                  for h in record["rounds"])
                print(f"{name} seed {seed} per_round {per_round}x: chosen r{record['chosen_round']} "
                      f"[valid/dev {rounds}] {record['seconds']}s", flush=True)
                if args.json:
                    with open(args.json, "w") as f:
                        json.dump(results, f, indent=1)


def choose(rows: list[dict], min_gain: float = 0.0) -> tuple[int, dict[int, float]]:
    """The number of rounds whose validation-chosen model gains most over round 0 on the development sets,
    averaged per corpus then over corpora (ties to fewer rounds), with self-training's rule: a later round must beat
    round 0 by more than ``min_gain`` standard errors of round 0's validation accuracy."""
    from tlbench.strategies.self_training import _standard_error

    gains: dict[int, float] = {}
    for rounds in range(max(len(r["rounds"]) for r in rows)):
        per_corpus: dict[str, list[float]] = {}
        for r in rows:
            first = r["rounds"][0]
            bar = first["valid_accuracy"] + min_gain * _standard_error(first["valid_accuracy"], r["n_valid"])
            best = first
            for h in r["rounds"][1: rounds + 1]:
                if h["valid_accuracy"] > best["valid_accuracy"] and h["valid_accuracy"] > bar:
                    best = h
            per_corpus.setdefault(r["corpus"], []).append(best["dev_accuracy"] - first["dev_accuracy"])
        gains[rounds] = float(np.mean([np.mean(v) for v in per_corpus.values()]))
    return max(gains, key=lambda k: (round(gains[k], 6), -k)), gains


def choose_table(args) -> None:
    rows = json.load(open(args.tune_json))
    for min_gain in args.min_gain:
        _, gains = choose(rows, min_gain)
        print(f"min_gain {min_gain}: " + "  ".join(f"rounds {k}: {100 * v:+.2f}" for k, v in gains.items()))


#: The accuracy commands of docs/results.md, by group; {d} is the data directory.
GROUPS = {
    # self-training against target-only with the cheap system, on three targets, official test sets
    "self-training": [
        f"tlbench compare tfidf-lr --config bench/no_source.toml --target {t} --strategy target-only,self-training "
        f"--fractions 0.05 --seeds 3 --data-dir {{d}} --device cpu --out tlbench-runs/st-{t.replace(':', '-')}"
        for t in CORPORA
    ],
    # setfit (defaults chosen by bench/bench_setfit_defaults.py) and the frozen baseline at 5% IMDB, official test
    # set (25,000); one seed each (a setfit cell costs most of a 20-minute heavy-lock turn on this CPU)
    "setfit": [
        "tlbench compare setfit --config bench/no_source.toml --target imdb --strategy target-only --fractions 0.05 "
        "--seeds 1 --data-dir {d} --device cpu --out tlbench-runs/setfit-imdb",
    ],
    "minilm": [
        "tlbench compare minilm-lr --config bench/no_source.toml --target imdb --strategy target-only "
        "--fractions 0.05 --seeds 1 --data-dir {d} --device cpu --out tlbench-runs/minilm-imdb",
    ],
    # teacher -> student: setfit labels a 10,000-text sample of the pool, tfidf-lr learns from 4.5k / 9k of them
    # (the amount chosen on validation); the student predicts the full official test set
    "teacher": [
        "tlbench compare tfidf-lr --config bench/no_source.toml --target imdb --strategy target-only,self-training "
        "--fractions 0.05 --seeds 1 --data-dir {d} --device cpu -o self-training.teacher=setfit "
        "-o self-training.rounds=2 -o self-training.per_round=4 --out tlbench-runs/teacher-imdb"
    ],
}


def commands(args) -> None:
    for group in args.groups:
        for template in GROUPS[group]:
            cmd = template.format(d=args.data_dir or "../shared/data")
            print(cmd, flush=True)
            if args.run:
                start = time.perf_counter()
                argv = shlex.split(cmd)
                argv[0] = str(Path(sys.executable).with_name("tlbench"))  # the tlbench of this environment
                subprocess.run(argv, check=False)
                print(f"# {time.perf_counter() - start:.0f} s wall", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("tune")
    t.add_argument("--data-dir", default=None)
    t.add_argument("--corpora", nargs="+", default=list(CORPORA))
    t.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    t.add_argument("--fraction", type=float, default=0.05)
    t.add_argument("--dev-share", type=float, default=0.2)
    t.add_argument("--rounds", type=int, default=3)
    t.add_argument("--per-round", nargs="+", type=float, default=[0.5, 1.0, 2.0],
                   help="pseudo-labels added per round, as a multiple of the labelled fraction's size")
    t.add_argument("--threshold", type=float, default=0.0)
    t.add_argument("--max-pool", type=int, default=10000)
    t.add_argument("--json", default=None)
    c = sub.add_parser("commands")
    c.add_argument("--data-dir", default=None)
    c.add_argument("--groups", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    c.add_argument("--run", action="store_true")
    k = sub.add_parser("choose")
    k.add_argument("tune_json")
    k.add_argument("--min-gain", nargs="+", type=float, default=[0.0, 0.5, 1.0, 1.5])
    args = parser.parse_args(argv)
    {"tune": tune, "commands": commands, "choose": choose_table}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
