"""Shared fixtures: small in-memory corpora and an isolated cache for every test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tlbench.corpora.base import SENTIMENT, Split
from tlbench.plugins import load_plugins
from tlbench.testing.dummies import DummyCorpus, dummy_plugin

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _reviews(words_pos, words_neg, n, seed):
    rng = np.random.default_rng(seed)
    filler = "the a movie film plot actor scene story it was this and".split()
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        cue = words_pos if label else words_neg
        words = list(rng.choice(filler, 8)) + list(rng.choice(cue, 2))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return Split(texts, np.array(labels), SENTIMENT)


@pytest.fixture
def toy_registry():
    """A registry with the core plus two in-memory corpora (``toy-src``, ``toy-tgt``) and ``keyword`` system.

    The texts are generated word lists, not real language: these tests check the machinery (sampling, resume,
    strategies), and real-data tests live beside them."""
    pos, neg = ["great", "superb", "fine"], ["awful", "dull", "bad"]
    source = DummyCorpus("toy-src", {"train": _reviews(pos, neg, 120, 1), "test": _reviews(pos, neg, 40, 2)})
    target = DummyCorpus("toy-tgt", {"train": _reviews(pos[:2] + ["lovely"], neg[:2] + ["boring"], 200, 3),
                                     "test": _reviews(pos[:2] + ["lovely"], neg[:2] + ["boring"], 60, 4),
                                     "unlabeled": _reviews(pos, neg, 50, 5)})
    return load_plugins(extra=[dummy_plugin({"toy-src": source, "toy-tgt": target})]).registry
