"""Documents as fixed-size integer grids: ``max_sentences`` sentences × ``max_words`` tokens (cnn-doc's defaults
20 × 30; the book's 10 × 30).

Texts are cut with tlbench's shared regex tokenizer (:func:`tlbench.text.sentences`, compiled regular expressions
running in C, so every backend sees the same words), then words become ids through a plain dict. Ids:

- ``0`` (PAD): padding of short sentences and of documents with fewer sentences than ``max_sentences``; a text
  without any word (empty, only punctuation) is all padding and still gets a prediction;
- ``1`` (OOV): a word that is not in the vocabulary (unseen in the cell's training texts, or rarer there than
  ``min_count``);
- ``2 ...``: the vocabulary, most frequent first.

Each sentence keeps its first ``max_words`` tokens. A document with more than ``max_sentences`` sentences keeps its
first ones (``truncate="head"``) or its first half and its last half (``truncate="head+tail"``: reviews often give
their verdict at the end).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tlbench.errors import DataError
from tlbench.text import sentences, vocabulary

PAD, OOV = 0, 1
RESERVED = 2
TRUNCATIONS = ("head", "head+tail")


class DocumentShaper:
    """Maps texts to ``(n, max_sentences, max_words)`` int32 id grids over a vocabulary built from training texts.

    :param words: the vocabulary (ids start at 2, in this order).
    """

    def __init__(self, words: Sequence[str], max_sentences: int, max_words: int, truncate: str = "head") -> None:
        self.words = list(words)
        self.index = {w: i + RESERVED for i, w in enumerate(self.words)}
        self.max_sentences = max_sentences
        self.max_words = max_words
        self.truncate = truncate

    @classmethod
    def from_texts(cls, texts: Sequence[str], max_sentences: int, max_words: int, min_count: int = 1,
                   max_size: int | None = None, truncate: str = "head"
                   ) -> tuple[DocumentShaper, list[list[list[str]]]]:
        """A shaper whose vocabulary holds the words of ``texts`` (within the cut: words a model never sees in
        training are out of its vocabulary), and the texts' cut sentences, to be reused by :meth:`ids`."""
        cut = [cls._cut(t, max_sentences, max_words, truncate) for t in texts]
        words = vocabulary([s for doc in cut for s in doc], min_count=min_count, max_size=max_size)
        if not words:
            raise DataError(f"the {len(texts)} training texts give an empty vocabulary (no word occurs "
                            f"{min_count}+ times): check the corpus' texts or lower encoder.min_count")
        return cls(words, max_sentences, max_words, truncate), cut

    @staticmethod
    def _cut(text: str, max_sentences: int, max_words: int, truncate: str = "head") -> list[list[str]]:
        kept = sentences(text)
        if len(kept) > max_sentences:
            head = max_sentences if truncate == "head" else (max_sentences + 1) // 2
            kept = kept[:head] + kept[len(kept) - (max_sentences - head):]
        return [s[:max_words] for s in kept]

    def ids(self, texts: Sequence[str], cut: list[list[list[str]]] | None = None) -> np.ndarray:
        """The id grid of ``texts`` (``cut``: their sentences already cut, from :meth:`from_texts`)."""
        if cut is None:
            cut = [self._cut(t, self.max_sentences, self.max_words, self.truncate) for t in texts]
        out = np.zeros((len(cut), self.max_sentences, self.max_words), dtype=np.int32)
        get = self.index.get
        for d, doc in enumerate(cut):
            for s, sent in enumerate(doc):
                out[d, s, : len(sent)] = [get(w, OOV) for w in sent]
        return out

    @staticmethod
    def token_stats(grid: np.ndarray) -> dict[str, float]:
        """How full the grids are: mean tokens per document, share of empty documents and of OOV tokens."""
        tokens = grid != PAD
        n_tokens = int(tokens.sum())
        per_doc = tokens.reshape(len(grid), -1).sum(axis=1) if len(grid) else np.zeros(0)
        return {
            "tokens_per_doc": float(per_doc.mean()) if len(grid) else 0.0,
            "empty_docs": float((per_doc == 0).mean()) if len(grid) else 0.0,
            "oov_token_rate": float((grid == OOV).sum() / n_tokens) if n_tokens else 0.0,
        }
