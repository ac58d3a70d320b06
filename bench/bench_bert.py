"""bert benchmarks: throughput against a plain transformers loop (same process, same model, batch and length), and
the accuracy commands.

``speed``: IMDB training reviews with at least ``--max-length`` word pieces, so every sequence is exactly
``--max-length`` long on both sides and both process the same tokens. Each round times, interleaved so a busy shared
machine slows them alike: one training epoch over ``--train`` reviews and prediction of ``--predict`` reviews, by
tlbench's ``bert`` (``BertSystem.fit`` / ``predict_proba``, model loaded beforehand) and by
bench/plain_transformers_loop.py. Examples/s are reported from wall seconds and from CPU seconds
(``time.process_time``, every thread of this process: on a shared machine the wall clock measures the neighbours
too). FLOP/s use the 6 × parameters × tokens rule for training (2 × for prediction), with all parameters (the
issue's rule) and without the embedding tables (Kaplan et al.'s N, closer to the real work), against an assumed
peak given by ``--peak-gflops``.

``accuracy``: prints (or, with ``--run``, runs) the ``tlbench compare`` commands of docs/bert.md.

    nice -n 10 python bench/bench_bert.py speed --data-dir /work/shared/data --json /tmp/bert-speed.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import plain_transformers_loop as plain  # noqa: E402

#: AMD EPYC family 25 model 17 (Zen 4): two 256-bit FMA pipes per core = 32 FP32 FLOP/cycle; 2 cores at an
#: assumed 3.7 GHz all-core clock (not reported by the virtual machine) -> 237 GFLOP/s FP32.
DEFAULT_PEAK_GFLOPS = 2 * 32 * 3.7


def _texts(data_dir: str | None, n: int, max_length: int, tokenizer):
    import numpy as np

    from tlbench.corpora.base import CorpusOptions
    from tlbench.plugins import get_registry

    options = CorpusOptions(data_dir=Path(data_dir) if data_dir else None)
    split = get_registry().get("corpus", "imdb").resolve()(options).load("train")
    texts, labels = [], []
    for text, label in zip(split.texts, split.labels):
        if len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]) >= max_length:
            texts.append(text)
            labels.append(int(label))
        if len(texts) == n:
            break
    return texts, np.asarray(labels)


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def speed(args) -> dict:
    import torch

    from tlbench.corpora.base import SENTIMENT, Split
    from tlbench.device import Device
    from tlbench.system import Context
    from tlbench_transformers import models
    from tlbench_transformers.system import BertSystem

    torch.set_num_threads(args.threads)
    model_dir = str(models.default_model_dir())
    tokenizer, _ = plain.load(model_dir)
    n = max(args.train, args.predict)
    texts, labels = _texts(args.data_dir, n, args.max_length, tokenizer)
    train_texts, train_labels = texts[:args.train], labels[:args.train]
    predict_texts = texts[:args.predict]
    split = Split(train_texts, train_labels, SENTIMENT)
    L, B = args.max_length, args.batch_size
    rows = []
    for r in range(args.rounds):
        order = ("tlbench", "plain") if r % 2 == 0 else ("plain", "tlbench")
        for who in order:
            if who == "plain":
                tok, model = plain.load(model_dir)
                tokens, tw, tc = _timed(lambda: plain.train_epoch(tok, model, train_texts, train_labels,
                                                                   batch_size=B, max_length=L, seed=r))
                (_, ptokens), pw, pc = _timed(lambda: plain.predict(tok, model, predict_texts, batch_size=B,
                                                                    max_length=L))
                params = sum(p.numel() for p in model.parameters())
                emb = sum(p.numel() for p in model.base_model.embeddings.parameters())
            else:
                system = BertSystem(max_length=L, batch_size=B, eval_batch_size=B, epochs=1,
                                    threads=args.threads, precision="none")
                ctx = Context(device=Device("cpu"), seed=r)
                system.prepare(split, ctx)
                _, tw, tc = _timed(lambda: system.fit(split, None, ctx))
                _, pw, pc = _timed(lambda: system.predict_proba(predict_texts))
                tokens, ptokens = len(train_texts) * L, len(predict_texts) * L
            rows.append({"who": who, "round": r, "train_wall": tw, "train_cpu": tc, "predict_wall": pw,
                         "predict_cpu": pc, "train_tokens": tokens, "predict_tokens": ptokens})
            print(json.dumps(rows[-1]), flush=True)

    def med(who, key):
        return statistics.median(x[key] for x in rows if x["who"] == who)

    summary = {}
    for who in ("tlbench", "plain"):
        s = {}
        for phase, count, mult in (("train", args.train, 6), ("predict", args.predict, 2)):
            tokens = med(who, f"{phase}_tokens")
            for clock in ("wall", "cpu"):
                sec = med(who, f"{phase}_{clock}")
                s[f"{phase}_examples_per_s_{clock}"] = count / sec
                s[f"{phase}_gflops_all_params_{clock}"] = mult * params * tokens / sec / 1e9
                s[f"{phase}_gflops_non_embedding_{clock}"] = mult * (params - emb) * tokens / sec / 1e9
        summary[who] = s
    ratios = {k: summary["tlbench"][k] / summary["plain"][k] for k in summary["tlbench"] if "examples" in k}
    result = {"settings": vars(args), "parameters": params, "embedding_parameters": emb,
              "peak_gflops_assumed": args.peak_gflops, "rows": rows, "summary": summary,
              "ratio_tlbench_over_plain": ratios, "machine": platform.processor() or platform.machine(),
              "torch": torch.__version__, "load_average": list(__import__("os").getloadavg())}
    return result


def accuracy_commands(args) -> list[list[str]]:
    common = ["--target", "imdb", "--fractions", "0.05", "--seeds", str(args.seeds), "--data-dir", args.data_dir,
              "--max-test", str(args.max_test), "--out", args.out]
    opts = []
    for o in args.option:
        opts += ["-o", o]
    return [
        ["tlbench", "compare", "bert", "tfidf-lr", "--strategy", "target-only", *common, *opts],
        ["tlbench", "compare", "bert", "--source", "amazon", "--max-source", str(args.max_source),
         "--strategy", "fine-tune", *common, *opts],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("speed")
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--max-length", type=int, default=128)
    sp.add_argument("--batch-size", type=int, default=16)
    sp.add_argument("--train", type=int, default=64)
    sp.add_argument("--predict", type=int, default=128)
    sp.add_argument("--rounds", type=int, default=3)
    sp.add_argument("--threads", type=int, default=2)
    sp.add_argument("--peak-gflops", type=float, default=DEFAULT_PEAK_GFLOPS)
    sp.add_argument("--json", default=None)
    ac = sub.add_parser("accuracy")
    ac.add_argument("--data-dir", default="/work/shared/data")
    ac.add_argument("--max-test", type=int, default=5000)
    ac.add_argument("--max-source", type=int, default=2000)
    ac.add_argument("--seeds", type=int, default=1)
    ac.add_argument("--out", default="results/bert")
    ac.add_argument("--option", "-o", action="append", default=[])
    ac.add_argument("--run", action="store_true")
    args = parser.parse_args()
    if args.command == "speed":
        result = speed(args)
        print(json.dumps({"summary": result["summary"], "ratio": result["ratio_tlbench_over_plain"]}, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))
    else:
        for cmd in accuracy_commands(args):
            print(shlex.join(cmd), flush=True)
            if args.run:
                subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
