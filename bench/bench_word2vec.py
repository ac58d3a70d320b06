"""Word2Vec training speed: tlbench's ``word2vec`` embedding against gensim called directly with the same settings,
in the same process, on the same text (issue 5's target: tlbench >= 0.95x gensim's words/s).

Three ways are timed, interleaved round by round so a busy shared machine slows them alike:

- ``tlbench``: ``Word2VecEmbedding.fit(texts, ctx)`` with no cache, as a study's first cell runs it: tokenise with
  ``tlbench.text``, write gensim's corpus file, ``build_vocab`` + ``train`` (``corpus_file=``);
- ``gensim-corpus-file``: the same tokens written to a corpus file by hand, then
  ``Word2Vec(corpus_file=...)``: gensim's own fast path;
- ``gensim-iterable``: the same tokens as a list of token lists, ``Word2Vec(sentences)``: what most scripts do.

Words/s = tokens x epochs / seconds. "end-to-end" starts from raw texts (tokenising included); "train" is
``build_vocab`` + ``train`` alone (for tlbench, from the step record the embedding writes to ``ctx.info``). Wall
seconds and CPU seconds (``time.process_time``: every thread of this process) are both recorded: on a machine
shared with other jobs the wall clock measures the neighbours as much as the code, CPU seconds much less.

    nice -n 10 python bench/bench_word2vec.py --data-dir /work/shared/data --texts 10000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import NamedTuple


class Timing(NamedTuple):
    """Seconds of one run: wall and CPU (all threads of this process), end-to-end and build_vocab + train."""

    end_to_end: float
    train: float
    end_to_end_cpu: float
    train_cpu: float
    vocab: int


def load_texts(data_dir: Path | None, n: int) -> tuple[list[str], str]:
    """The first ``n`` unlabeled IMDB reviews (aclImdb ``train/unsup``), else IMDB train texts."""
    from tlbench.corpora.base import CorpusOptions
    from tlbench.corpora.imdb import ImdbCorpus

    corpus = ImdbCorpus(CorpusOptions(data_dir=data_dir))
    split = "unlabeled" if "unlabeled" in corpus.splits() else "train"
    texts = list(corpus.load(split).texts)[:n]
    return texts, f"imdb/{split} ({corpus.variant}), first {len(texts)}"


def run_tlbench(texts, settings, seed, workers):
    from tlbench.device import Device
    from tlbench.system import Context
    from tlbench_gensim.word2vec import Word2VecEmbedding

    ctx = Context(device=Device("cpu"), seed=seed)
    emb = Word2VecEmbedding(**settings, workers=workers)
    began, cpu = time.perf_counter(), time.process_time()
    emb.fit(texts, ctx)
    total, total_cpu = time.perf_counter() - began, time.process_time() - cpu
    step = ctx.info["word2vec"][0]
    return Timing(total, step["seconds"], total_cpu, step["cpu_seconds"], len(emb.words()))


def gensim_settings(settings, seed, workers):
    return dict(vector_size=settings["dim"], window=settings["window"], min_count=settings["min_count"],
                epochs=settings["epochs"], sg=int(settings["sg"]), negative=settings["negative"],
                sample=settings["sample"], hs=0, workers=workers, seed=seed)


def run_gensim_corpus_file(texts, settings, seed, workers):
    from gensim.models import Word2Vec

    from tlbench.text import tokenize

    began, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        with path.open("w", encoding="utf-8") as f:
            for text in texts:
                words = tokenize(text)
                if words:
                    f.write(" ".join(words) + "\n")
        trained, trained_cpu = time.perf_counter(), time.process_time()
        model = Word2Vec(corpus_file=str(path), **gensim_settings(settings, seed, workers))
        done, done_cpu = time.perf_counter(), time.process_time()
    return Timing(done - began, done - trained, done_cpu - cpu, done_cpu - trained_cpu, len(model.wv))


def run_gensim_iterable(texts, settings, seed, workers):
    from gensim.models import Word2Vec

    from tlbench.text import tokenize

    began, cpu = time.perf_counter(), time.process_time()
    sentences = [words for words in (tokenize(t) for t in texts) if words]
    trained, trained_cpu = time.perf_counter(), time.process_time()
    model = Word2Vec(sentences, **gensim_settings(settings, seed, workers))
    done, done_cpu = time.perf_counter(), time.process_time()
    return Timing(done - began, done - trained, done_cpu - cpu, done_cpu - trained_cpu, len(model.wv))


RUNNERS = {"tlbench": run_tlbench, "gensim-corpus-file": run_gensim_corpus_file,
           "gensim-iterable": run_gensim_iterable}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--sg", action="store_true")
    parser.add_argument("--workers", type=int, default=None, help="default: the cores this process may use")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()

    import gensim

    from tlbench.device import Device
    from tlbench.text import tokenize

    workers = args.workers or Device("cpu").cpu_threads
    settings = {"dim": args.dim, "window": args.window, "min_count": args.min_count, "epochs": args.epochs,
                "sg": args.sg, "negative": 5, "sample": 1e-3}
    texts, what = load_texts(args.data_dir, args.texts)
    tokens = sum(len(tokenize(t)) for t in texts)
    words = tokens * args.epochs
    print(f"text: {what}; {tokens:,} tokens x {args.epochs} epochs = {words:,} words; workers={workers}; "
          f"gensim {gensim.__version__}; {platform.processor() or platform.machine()}")
    phases = Timing._fields[:4]
    times: dict[str, dict[str, list[float]]] = {name: {p: [] for p in phases} for name in RUNNERS}
    names = list(RUNNERS)
    for r in range(args.rounds):
        order = names[r % len(names):] + names[: r % len(names)]  # rotate who goes first
        for name in order:
            t = RUNNERS[name](texts, settings, args.seed, workers)
            for p in phases:
                times[name][p].append(getattr(t, p))
            print(f"round {r + 1} {name:19s} end-to-end {t.end_to_end:7.2f}s ({words / t.end_to_end:9,.0f} w/s) "
                  f"train {t.train:7.2f}s ({words / t.train:9,.0f} w/s)  CPU train {t.train_cpu:7.2f}s "
                  f"({words / t.train_cpu:9,.0f} w/cpu-s)  vocab {t.vocab:,}", flush=True)
    median = {n: {k: statistics.median(v) for k, v in t.items()} for n, t in times.items()}
    ratios = {
        f"tlbench/{other} {phase}": median[other][phase] / median["tlbench"][phase]
        for other in ("gensim-corpus-file", "gensim-iterable") for phase in phases
    }
    print("\nmedian words per second (wall) and per CPU-second (all threads):")
    for name, m in median.items():
        print(f"  {name:19s} " + "  ".join(f"{p} {words / m[p]:10,.0f}" for p in phases))
    print("ratio of words/s (tlbench / gensim; >= 0.95 is the target); CPU ratios resist a busy machine best:")
    for label, value in ratios.items():
        print(f"  {label:45s} {value:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"text": what, "tokens": tokens, "words": words, "workers": workers,
                                         "settings": settings, "seconds": times, "ratios": ratios}, indent=1))


if __name__ == "__main__":
    main()
