"""The ``mean-lr`` encoder: a document is the mean (or SIF-weighted mean) of its word vectors; a logistic
regression (scikit-learn) classifies it. Works with any embedding that has ``lookup`` (``word2vec+mean-lr``,
``glove+mean-lr``) and needs no deep-learning backend.

The system keeps its own word-vector table: the words of the training texts and of the domain's unlabeled text
(``ctx.unlabeled``), looked up once in ``prepare``. Words outside that table are ignored at prediction, as in any
encoder with a fixed vocabulary. The table is what ``export_vectors`` / ``import_vectors`` exchange: under
embedding-transfer the target model uses the source-trained vector of every shared word. The regularisation
strength is chosen on the validation part, never on test data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.configurable import Configurable
from tlbench.corpora.base import Split
from tlbench.errors import ConfigError, DataError
from tlbench.system import Context, Vectors
from tlbench.text import tokenize
from tlbench_gensim import pooling as pool_ops
from tlbench_gensim.training_text import word_counts


class MeanLR(Configurable):
    """Pooled word vectors + logistic regression.

    :param embedding: the Embedding whose vectors are pooled (trained on ``ctx.unlabeled`` in ``prepare`` when
        it learns from text and is not fitted yet).
    :param pooling: ``mean`` or ``sif``.
    :param sif_a: SIF's smoothing constant ``a``.
    :param min_count: a word enters the table when it occurs this often in the training + unlabeled text.
    :param max_words: the table keeps at most this many words (the most frequent).
    :param C: the inverse regularisation strength; default: the best of ``C_grid`` on the validation part.
    """

    name = "mean-lr"

    def __init__(self, embedding: Any = None, pooling: str = "mean", sif_a: float = 1e-3, min_count: int = 1,
                 max_words: int = 300_000, C: float | None = None,
                 C_grid: Sequence[float] = (0.01, 0.1, 1.0, 10.0, 100.0), max_iter: int = 2000) -> None:
        if embedding is None:
            raise ConfigError("mean-lr pools word vectors and needs an embedding: name one, e.g. word2vec+mean-lr "
                              "or glove+mean-lr")
        if pooling not in pooling_names():
            raise ConfigError(f"mean-lr has no pooling {pooling!r}: use one of {', '.join(pooling_names())}")
        self.embedding = embedding
        self.pooling = pooling
        self.sif_a = sif_a
        self.min_count = min_count
        self.max_words = max_words
        self.C = C
        self.C_grid = tuple(C_grid)
        self.max_iter = max_iter

    # -- capabilities ---------------------------------------------------------------------------------------
    def prepare(self, train: Split, ctx: Context) -> None:
        """Fit the embedding if it learns from text and has not yet, then build the word-vector table from the
        training texts and ``ctx.unlabeled``."""
        emb = self.embedding
        if getattr(emb, "trainable_on_text", False) and not getattr(emb, "is_fitted", True):
            emb.fit(ctx.unlabeled if len(ctx.unlabeled) else train.texts, ctx)
        counts = Counter()
        for text in train.texts:
            counts.update(tokenize(text))
        if len(ctx.unlabeled):
            counts.update(word_counts(ctx.unlabeled, ctx.cache))
        words = sorted((w for w, c in counts.items() if c >= self.min_count), key=lambda w: (-counts[w], w))
        words = words[: self.max_words]
        if not words:
            raise DataError(f"the {len(train)} training texts have no word occurring min_count={self.min_count} "
                            f"times: lower encoder.min_count")
        matrix, found = emb.lookup(words)
        if not found.any():
            raise DataError(f"the {emb.name} embedding knows none of the {len(words)} words of the training texts: "
                            f"its vocabulary does not overlap this text (another language, or vectors that are "
                            f"not lower-cased; tlbench lower-cases tokens)")
        self.words_ = list(words)
        self.index_ = {w: i for i, w in enumerate(self.words_)}
        self.matrix_ = np.array(matrix, dtype=np.float32)
        self.known_ = np.array(found, dtype=bool)
        self.counts_ = np.array([counts[w] for w in self.words_], dtype=np.float64)
        ctx.info["table_words"] = len(self.words_)
        ctx.info["table_known"] = int(self.known_.sum())

    def export_vectors(self) -> Vectors:
        """The vectors of the table's words that have one (after ``fit``/``prepare``)."""
        return Vectors(tuple(w for w, k in zip(self.words_, self.known_) if k), self.matrix_[self.known_].copy())

    def import_vectors(self, vectors: Vectors) -> int:
        """Overwrite the vectors of the table words that ``vectors`` also has; returns how many."""
        if vectors.dim != self.matrix_.shape[1]:
            raise ConfigError(f"the source vectors have dim {vectors.dim} but this model's have "
                              f"{self.matrix_.shape[1]}: use the same embedding (and embedding.dim) on both sides")
        rows = [(self.index_[w], i) for i, w in enumerate(vectors.words) if w in self.index_]
        if not rows:
            raise DataError(f"the source vectors ({len(vectors.words)} words) share no word with this model's "
                            f"{len(self.words_)} words: source and target text do not overlap")
        ours, theirs = (np.array(x, dtype=np.int64) for x in zip(*rows))
        self.matrix_[ours] = vectors.matrix[theirs]
        self.known_[ours] = True
        return len(rows)

    @property
    def adapt(self):
        """Domain-adaptive pretraining of the embedding (offered only when the embedding can adapt)."""
        if not callable(getattr(self.embedding, "adapt", None)):
            raise AttributeError(f"adapt: the {getattr(self.embedding, 'name', 'given')} embedding cannot adapt")
        return self._adapt

    def _adapt(self, target_texts: Sequence[str], ctx: Context, source_texts: Sequence[str] = ()) -> None:
        self.embedding.adapt(target_texts, ctx, source_texts=source_texts)

    # -- training and prediction ---------------------------------------------------------------------------
    def fit(self, train: Split, valid: Split | None, ctx: Context) -> MeanLR:
        from sklearn.linear_model import LogisticRegression

        if not hasattr(self, "words_"):
            self.prepare(train, ctx)
        self.label_names_ = tuple(train.label_names)
        self.weights_ = self._word_weights()
        docs = self._pooled(train.texts)
        self.component_ = (pool_ops.common_component(docs) if self.pooling == "sif"
                           else np.zeros(docs.shape[1], dtype=np.float32))
        docs = pool_ops.remove_component(docs, self.component_)
        self.mean_ = docs.mean(axis=0)
        self.scale_ = docs.std(axis=0) + 1e-6
        X = (docs - self.mean_) / self.scale_
        y = np.asarray(train.labels)
        tune = self.C is None and valid is not None and len(valid) > 0 and len(self.C_grid) > 1
        grid = list(self.C_grid) if tune else [self.C if self.C is not None else 1.0]
        Xv = self._features(valid.texts) if tune else None
        best: tuple[float, float, Any] = (-1.0, grid[0], None)
        for step, C in enumerate(grid, 1):
            model = LogisticRegression(C=C, max_iter=self.max_iter, random_state=ctx.seed).fit(X, y)
            score = float((model.predict(Xv) == valid.labels).mean()) if tune else 0.0
            ctx.report("epoch", step, len(grid), valid_accuracy=score, C=C)
            if score > best[0]:
                best = (score, C, model)
        self.C_, model = best[1], best[2]
        self.coef_ = model.coef_.astype(np.float64)
        self.intercept_ = model.intercept_.astype(np.float64)
        self.classes_ = model.classes_.astype(np.int64)
        ctx.info["C"] = self.C_
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise ConfigError("mean-lr is not trained: call fit first")
        z = self._features(texts) @ self.coef_.T + self.intercept_
        if self.coef_.shape[0] == 1:  # binary: scikit-learn's one logit for classes_[1]
            p1 = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -500, 500)))
            proba = np.stack([1.0 - p1, p1], axis=1)
        else:
            z = z - z.max(axis=1, keepdims=True)
            proba = np.exp(z)
            proba /= proba.sum(axis=1, keepdims=True)
        # Classes missing from the training fraction still get a (zero) column.
        out = np.zeros((len(texts), len(self.label_names_)), dtype=np.float64)
        out[:, self.classes_] = proba
        return out

    def _word_weights(self) -> np.ndarray:
        base = pool_ops.sif_weights(self.counts_, self.sif_a) if self.pooling == "sif" else np.ones(len(self.words_))
        return (base * self.known_).astype(np.float32)

    def _pooled(self, texts: Sequence[str]) -> np.ndarray:
        bag = pool_ops.bag_of_ids(texts, self.index_, len(self.words_))
        return pool_ops.pool(bag, self.matrix_, self.weights_)

    def _features(self, texts: Sequence[str]) -> np.ndarray:
        docs = pool_ops.remove_component(self._pooled(texts), self.component_)
        return (docs - self.mean_) / self.scale_

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the table and the classifier as JSON + ``.npz`` (no pickle)."""
        path = Path(path)
        (path / "mean_lr.json").write_text(json.dumps(
            {"words": self.words_, "labels": list(self.label_names_), "C": self.C_, "config": self.get_config()},
            ensure_ascii=False), encoding="utf-8")
        np.savez(path / "mean_lr.npz", matrix=self.matrix_, known=self.known_, counts=self.counts_,
                 weights=self.weights_, component=self.component_, mean=self.mean_, scale=self.scale_,
                 coef=self.coef_, intercept=self.intercept_, classes=self.classes_)

    def load(self, path: Path) -> MeanLR:
        """Restore what ``save`` wrote into this (fresh) system."""
        path = Path(path)
        try:
            state = json.loads((path / "mean_lr.json").read_text(encoding="utf-8"))
            arrays = np.load(path / "mean_lr.npz", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(f"no saved mean-lr model in {path} ({exc}): save one with save(path) first") from exc
        self.words_ = state["words"]
        self.index_ = {w: i for i, w in enumerate(self.words_)}
        self.label_names_ = tuple(state["labels"])
        self.C_ = state["C"]
        for name in ("matrix", "known", "counts", "weights", "component", "mean", "scale", "coef", "intercept",
                     "classes"):
            setattr(self, f"{name}_", arrays[name])
        return self


def pooling_names() -> tuple[str, ...]:
    return pool_ops.POOLINGS
