"""How long a corpus takes to load: the first time (parse + write the Parquet cache) and from the cache.

    PYTHONPATH=src python bench/bench_corpus_load.py --data-dir ../shared/data [--corpus imdb]

Targets for the full aclImdb tarball (100k documents) on a 2-core machine: first load <= 15 s, cached <= 1 s.
The cache goes to a temporary directory unless --cache-dir is given, so the user's cache is left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tlbench.corpora.amazon import AmazonCorpus
from tlbench.corpora.base import Corpus, CorpusOptions
from tlbench.corpora.blitzer import BlitzerCorpus
from tlbench.corpora.imdb import ImdbCorpus
from tlbench.corpora.rotten_tomatoes import RottenTomatoesCorpus

CORPORA = {"imdb": ImdbCorpus, "amazon": AmazonCorpus, "rotten-tomatoes": RottenTomatoesCorpus,
           "blitzer": BlitzerCorpus}

# Run in a fresh interpreter: what a second `tlbench` command pays, imports included.
_CHILD = """
import json, sys, time
start = time.perf_counter()
from pathlib import Path
from tlbench.corpora.base import CorpusOptions
from {module} import {cls}
imported = time.perf_counter()
data_dir, cache_dir, arg = json.loads(sys.argv[1])
corpus = {cls}(CorpusOptions(data_dir=data_dir and Path(data_dir), cache_dir=Path(cache_dir), arg=arg))
corpus.splits()
print(json.dumps({{"load": time.perf_counter() - imported, "total": time.perf_counter() - start}}))
"""


def make(name: str, options: CorpusOptions) -> Corpus:
    base, _, arg = name.partition(":")
    return CORPORA[base](CorpusOptions(data_dir=options.data_dir, cache_dir=options.cache_dir, arg=arg or None))


def timed(corpus: Corpus) -> tuple[float, float]:
    """Wall and CPU seconds of loading every split; CPU time says more than wall time on a busy machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    corpus.splits()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="where the distribution is (default: cache/data)")
    parser.add_argument("--corpus", default="imdb", help=f"one of {', '.join(CORPORA)} (blitzer:<domain>)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache to use (default: a temporary one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tlbench-bench-") as tmp:
        options = CorpusOptions(data_dir=args.data_dir, cache_dir=args.cache_dir or Path(tmp))
        first_corpus = make(args.corpus, options)
        first = timed(first_corpus)
        described = first_corpus.describe()
        cached = timed(make(args.corpus, options))

        fresh = make(args.corpus, options)
        child = _CHILD.format(module=type(fresh).__module__, cls=type(fresh).__name__)
        child_args = [str(options.data_dir) if options.data_dir else None, str(options.cache_dir), fresh.options.arg]
        out = subprocess.run([sys.executable, "-c", child, json.dumps(child_args)], check=True,
                             capture_output=True, text=True)
        new_process = json.loads(out.stdout)

    sizes = described["sizes"]
    print(f"{described['name']} ({described['variant']}): {sum(sizes.values()):,} documents {sizes}")
    print(f"first load (parse + write cache): {first[0]:6.2f} s  ({first[1]:.2f} s CPU)")
    print(f"cached load, same process:        {cached[0]:6.2f} s  ({cached[1]:.2f} s CPU)")
    print(f"cached load, new process:         {new_process['load']:6.2f} s "
          f"({new_process['total']:.2f} s with imports)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (timings stretch when busy)")


if __name__ == "__main__":
    main()
