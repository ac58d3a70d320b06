"""Shared fixtures: a tiny static embedding (no GloVe load) and synthetic labelled splits."""

from __future__ import annotations

import numpy as np
import pytest

from tlbench.corpora.base import SENTIMENT, Split


class TinyEmbedding:
    """A static embedding with random vectors for a fixed word list (deterministic)."""

    name = "tiny"
    dim = 8

    def __init__(self, words=("good", "bad", "great", "awful", "movie", "plot", "the", "a", "was", "is")) -> None:
        self.words = list(words)
        rng = np.random.default_rng(0)
        self.table = {w: rng.normal(0, 0.5, self.dim).astype(np.float32) for w in self.words}

    def lookup(self, words):
        found = np.array([w in self.table for w in words], dtype=bool)
        out = np.zeros((len(words), self.dim), dtype=np.float32)
        for i, w in enumerate(words):
            if w in self.table:
                out[i] = self.table[w]
        return out, found

    def get_config(self):
        return {"name": self.name, "dim": self.dim}


def keyword_split(n: int, seed: int) -> Split:
    """Reviews whose label is given by one keyword among filler sentences: any working classifier learns it."""
    rng = np.random.default_rng(seed)
    filler = ["the movie was long .", "a plot is a plot .", "the actors were there .", "it was a film ."]
    texts, labels = [], []
    for i in range(n):
        label = int(i % 2)
        word = rng.choice(["great", "good", "wonderful"] if label else ["awful", "bad", "terrible"])
        parts = list(rng.choice(filler, size=3))
        parts.insert(int(rng.integers(0, 4)), f"this one is {word} .")
        texts.append(" ".join(parts))
        labels.append(label)
    return Split(texts, np.array(labels), SENTIMENT)


@pytest.fixture
def tiny_embedding():
    return TinyEmbedding()
