"""Speed of the elmo plugin's biLM on this machine: pretraining and feature-extraction throughput in tokens/s.

    nice -n 10 python bench/bench_elmo.py --data-dir /work/shared/data --json /tmp/elmo-speed.json

Every variant is measured in the same process on the same IMDB windows (ratios between variants are meaningful
even on a shared machine; absolute numbers depend on the load, which is printed). Variants: the ``tiny`` and
``small`` presets (sampled softmax), ``small`` with the full softmax, ``small`` with ELMo's LSTMP cells
(hidden 512 projected to 128) to show why the presets use plain LSTMs on CPU, and ``small`` with the char-CNN
token layer (``elmo-chars``). Accuracy is measured with
``tlbench compare`` (commands in docs/elmo.md).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from tlbench.corpora.base import CorpusOptions
from tlbench.text import tokenize_all
from tlbench_elmo.bilm import BiLM, BiLMConfig
from tlbench_elmo.presets import resolve
from tlbench_elmo.pretrain import Pretrained, _windows
from tlbench_elmo.vocab import EOS, Vocab


def imdb_texts(data_dir: Path | None, n: int) -> list[str]:
    from tlbench.corpora.imdb import ImdbCorpus

    split = ImdbCorpus(CorpusOptions(data_dir=data_dir)).load("train")
    return list(split.texts[:n])


def train_speed(bilm: BiLM, windows: torch.Tensor, batch: int, k: int, steps: int, spell=None) -> float:
    opt = torch.optim.Adam(bilm.parameters(), lr=1e-3)
    bilm.train()
    tokens, elapsed = 0, 0.0
    for step in range(steps + 1):
        ids = windows[(step * batch) % max(1, len(windows) - batch):][:batch]
        start = time.perf_counter()
        loss = bilm.lm_loss(ids, num_samples=k, spell=spell)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step > 0:  # the first step warms up allocators and kernels
            elapsed += time.perf_counter() - start
            tokens += ids[:, 1:].numel()
    return tokens / elapsed


@torch.no_grad()
def feature_speed(bilm: BiLM, docs: list[list[int]], batch: int = 32, spell=None) -> float:
    bilm.eval()
    tokens, start = 0, time.perf_counter()
    for i in range(0, len(docs), batch):
        chunk = docs[i:i + batch]
        lengths = torch.tensor([len(d) for d in chunk])
        ids = torch.zeros(len(chunk), int(lengths.max()), dtype=torch.long)
        for j, d in enumerate(chunk):
            ids[j, :len(d)] = torch.tensor(d)
        bilm.layers(ids, lengths, spell)
        tokens += int(lengths.sum())
    return tokens / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--texts", type=int, default=2000, help="IMDB training reviews to take windows from")
    parser.add_argument("--steps", type=int, default=15, help="timed training steps per variant")
    parser.add_argument("--docs", type=int, default=128, help="documents for the feature-extraction timing")
    parser.add_argument("--threads", default="1,2",
                        help="torch CPU threads: the first for every variant, the others for `small` again")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    torch.manual_seed(0)
    texts = imdb_texts(args.data_dir, args.texts)
    tokens = tokenize_all(texts)
    results = {"cores": len(os.sched_getaffinity(0)), "loadavg_before": os.getloadavg(), "variants": []}
    variants = [("tiny", {}, "sampled", threads[0]),
                ("small", {}, "sampled", threads[0]),
                ("small", {"hidden": 512}, "sampled, LSTMP 512->128", threads[0]),
                ("small", {}, "full softmax", threads[0]),
                ("small", {"tokens": "chars"}, "sampled, char CNN", threads[0]),
                *(("small", {}, "sampled", t) for t in threads[1:])]
    for size, change, label, n_threads in variants:
        torch.set_num_threads(n_threads)
        o = resolve(size, change)
        vocab = Vocab.build(tokens, o["vocab_size"])
        chars = o["tokens"] == "chars"
        windows = _windows(tokens, vocab, o["seq_len"], open_ids=chars)
        bilm = BiLM(BiLMConfig(len(vocab), o["dim"], o["hidden"], o["lm_dropout"], o["tokens"], o["max_chars"]))
        spell = Pretrained(bilm, vocab, "").spell if chars else None
        k = 0 if label == "full softmax" else o["num_samples"]
        steps = max(2, args.steps // 5) if k == 0 else args.steps
        train = train_speed(bilm, windows, o["lm_batch_size"], k, steps, spell)
        encode = vocab.open_ids if chars else vocab.ids
        docs = [[EOS, *encode(t)[: o["max_len"] - 2], EOS] for t in tokens[: args.docs]]
        feats = feature_speed(bilm, docs, spell=spell)
        row = {"size": size, "variant": label, "threads": n_threads, "dim": o["dim"], "hidden": o["hidden"],
               "vocab": len(vocab),
               "train_tokens_per_s": round(train), "feature_tokens_per_s": round(feats),
               "minutes_for_budget": round(o["max_tokens"] / train / 60, 1), "max_tokens": o["max_tokens"]}
        results["variants"].append(row)
        print(json.dumps(row), flush=True)
    results["loadavg_after"] = os.getloadavg()
    print("load average before/after:", results["loadavg_before"], results["loadavg_after"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
