"""Encode throughput of the sentence-transformer body on this CPU (issue 14): which inference options pay.

Embeds the same IMDB *training* reviews (never test text) at several ``max_length`` values, in float32, in
bfloat16 and with torch's dynamic int8 quantization of the Linear layers (``tlbench_setfit.body.for_inference``),
and reports texts/s and how close each variant's embeddings are to the float32 ones (mean cosine). Timings under load are noisy: compare the
ratios within one run::

    python bench/bench_setfit_encode.py --data-dir ../shared/data --n 96
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _texts(data_dir: str | None, n: int) -> list[str]:
    from tlbench.corpora.resolve import open_corpus
    from tlbench.plugins import get_registry
    from tlbench.study import StudySpec

    train = open_corpus("imdb", get_registry(), StudySpec(systems=["tfidf-lr"], target="imdb",
                                                          data_dir=data_dir)).load("train")
    pick = np.random.default_rng(0).choice(len(train), n, replace=False)
    return [train.texts[i] for i in pick]


def _rate(body, texts, batch_size: int) -> tuple[float, np.ndarray]:
    from tlbench_setfit.body import encode

    encode(body, texts[:8], batch_size)  # warm-up
    start = time.perf_counter()
    out = encode(body, texts, batch_size)
    return len(texts) / (time.perf_counter() - start), out


def main(argv: list[str] | None = None) -> None:
    import torch

    from tlbench_setfit.body import for_inference, load_body

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--n", type=int, default=96)
    parser.add_argument("--lengths", nargs="+", type=int, default=[128, 192, 256])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[32])
    args = parser.parse_args(argv)
    texts = _texts(args.data_dir, args.n)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.n} IMDB training reviews")
    for length in args.lengths:
        for bs in args.batch_sizes:
            body = load_body(None, "cpu", length)
            fp32, ref = _rate(body, texts, bs)
            line = [f"max_length {length:4d} batch {bs:3d}: float32 {fp32:6.1f} texts/s"]
            for precision in ("bfloat16", "int8"):
                rate, out = _rate(for_inference(body, precision), texts, bs)
                cos = float(np.mean(np.sum(ref * out, axis=1)
                                    / (np.linalg.norm(ref, axis=1) * np.linalg.norm(out, axis=1))))
                line.append(f"{precision} {rate:6.1f} texts/s (x{rate / fp32:.2f}, cosine {cos:.4f})")
            print(", ".join(line), flush=True)

if __name__ == "__main__":
    main()
