"""Document vectors from word vectors: the plain mean, or SIF (Arora, Liang & Ma 2017, "A simple but tough-to-beat
baseline for sentence embeddings"): a frequency-weighted mean, ``a / (a + p(w))``, with the common component
(the first singular vector of the training documents) removed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from tlbench.text import tokenize

POOLINGS = ("mean", "sif")


def bag_of_ids(texts: Sequence[str], index: dict[str, int], n_words: int) -> sparse.csr_matrix:
    """Counts of table words per text, shape (len(texts), n_words); words outside the table are dropped."""
    indptr = [0]
    ids: list[int] = []
    for text in texts:
        ids.extend(i for i in (index.get(w) for w in tokenize(text)) if i is not None)
        indptr.append(len(ids))
    data = np.ones(len(ids), dtype=np.float32)
    bag = sparse.csr_matrix((data, np.asarray(ids, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
                            shape=(len(texts), n_words))
    bag.sum_duplicates()
    return bag


def sif_weights(counts: np.ndarray, a: float) -> np.ndarray:
    """``a / (a + p(w))`` for words with the given corpus counts."""
    p = counts / max(float(counts.sum()), 1.0)
    return (a / (a + p)).astype(np.float32)


def pool(bag: sparse.csr_matrix, matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of the word vectors of each text (a zero vector for a text with no known word)."""
    weighted = bag.multiply(weights[None, :]).tocsr()
    totals = np.asarray(weighted.sum(axis=1)).ravel()
    docs = np.asarray(weighted @ matrix, dtype=np.float64)
    nonzero = totals > 0
    docs[nonzero] /= totals[nonzero, None]
    return docs.astype(np.float32)


def common_component(docs: np.ndarray) -> np.ndarray:
    """The first right singular vector of the document vectors (a unit vector; zeros when there is none)."""
    if docs.shape[0] == 0 or not np.any(docs):
        return np.zeros(docs.shape[1], dtype=np.float32)
    _, _, vt = np.linalg.svd(docs.astype(np.float64), full_matrices=False)
    return vt[0].astype(np.float32)


def remove_component(docs: np.ndarray, u: np.ndarray) -> np.ndarray:
    return docs - np.outer(docs @ u, u).astype(np.float32)
