"""Choosing setfit's CPU defaults on held-out parts of *training* splits (issue 14), never a test split.

For each corpus a stratified share of its training split is held out as a development set (``--n-dev`` of it are
scored); from the rest ``--n-labelled`` texts are sampled as the labelled part (tlbench's sampler carves 10% of them
as validation, which picks the head's C). Then, every variant scored on the same development texts:

* ``minilm-lr``: the frozen body, encoding at ``max_length`` 256 in bfloat16;
* ``setfit``: the body trained contrastively on ``--pairs`` pairs at ``train_max_length`` 128 (float32), then
  encoded at several ``max_length`` × ``precision`` variants (float32, bfloat16, int8), a new head each time.

It prints one line per variant (development accuracy, seconds) and writes them to ``--json``::

    flock /tmp/tlbench-heavy.lock python bench/bench_setfit_defaults.py --data-dir ../shared/data \\
        --corpora imdb blitzer:books --json /tmp/setfit-defaults.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_semi_supervised import _held_out  # noqa: E402  (the same held-out split as self-training's tuning)

#: (max_length, precision) the trained body is scored with
VARIANTS = ((256, "bfloat16"), (256, "float32"), (256, "int8"), (128, "bfloat16"))


def _score(system, train, valid, dev, max_length: int, precision: str, seed: int) -> dict:
    """Encode with ``max_length``/``precision``, fit a new head (C on validation), score on the development set."""
    from tlbench_setfit.head import fit_head

    system.max_length, system.precision, system.encoder_ = max_length, precision, None
    system.body_.max_seq_length = max_length
    start = time.perf_counter()
    X, Xv, Xd = (system._encode(list(s.texts)) for s in (train, valid, dev))
    seconds = time.perf_counter() - start
    head, _ = fit_head(X, np.asarray(train.labels), len(train.label_names), Xv, np.asarray(valid.labels),
                       system.C_grid, seed)
    acc = float((head.predict_proba(Xd).argmax(axis=1) == np.asarray(dev.labels)).mean())
    n = len(train) + len(valid) + len(dev)
    return {"max_length": max_length, "precision": precision, "dev_accuracy": acc, "C": head.C,
            "encode_texts_per_s": round(n / seconds, 1)}


def _variant(text: str) -> tuple[int, str]:
    length, precision = text.split(":")
    return int(length), precision


def run_corpus(name: str, args) -> list[dict]:
    from tlbench.sampler import nested_fractions
    from tlbench.system import Context
    from tlbench_setfit.system import SentenceEmbeddingLR, SetFitSystem

    rest, dev, _ = _held_out(name, args.data_dir, args.dev_share)
    dev = dev.subset(nested_fractions(dev.labels, [min(1.0, args.n_dev / len(dev))], 7, 0.0)
                     [min(1.0, args.n_dev / len(dev))].train)
    rows = []
    for seed in args.seeds:
        share = min(1.0, args.n_labelled / len(rest))
        part = nested_fractions(rest.labels, [share], seed, 0.1)[share]
        train, valid = rest.subset(part.train), rest.subset(part.valid)
        base = {"corpus": name, "seed": seed, "n_train": len(train), "n_valid": len(valid), "n_dev": len(dev)}
        frozen = SentenceEmbeddingLR()
        frozen._body("cpu")
        rows.append({**base, "system": "minilm-lr", **_score(frozen, train, valid, dev, 256, "bfloat16", seed)})
        print(json.dumps(rows[-1]), flush=True)
        for pairs in args.pairs:
            system = SetFitSystem(pairs=pairs, train_max_length=args.train_max_length)
            start = time.perf_counter()
            system.fit(train, valid, Context(seed=seed))
            fit_s = round(time.perf_counter() - start, 1)
            for max_length, precision in args.variants:
                rows.append({**base, "system": "setfit", "pairs": pairs, "train_max_length": args.train_max_length,
                             "fit_seconds": fit_s, **_score(system, train, valid, dev, max_length, precision, seed)})
                print(json.dumps(rows[-1]), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--corpora", nargs="+", default=["imdb", "blitzer:books"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--pairs", nargs="+", type=int, default=[2000])
    parser.add_argument("--train-max-length", type=int, default=128)
    parser.add_argument("--n-labelled", type=int, default=1000)
    parser.add_argument("--n-dev", type=int, default=600)
    parser.add_argument("--dev-share", type=float, default=0.2)
    parser.add_argument("--variants", nargs="+", type=_variant, default=list(VARIANTS),
                        help="max_length:precision pairs to score the trained body with, e.g. 256:bfloat16")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = []
    for name in args.corpora:
        rows += run_corpus(name, args)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
