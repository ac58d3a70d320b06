"""tfidf-lr: TF-IDF n-grams + logistic regression (scikit-learn). The strong, cheap baseline every transfer
method has to beat; needs no deep-learning backend. The regularisation strength is chosen on the validation part
(never the test set)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.configurable import Configurable
from tlbench.corpora.base import Split
from tlbench.system import Context


class TfidfLR(Configurable):
    name = "tfidf-lr"

    def __init__(self, ngram_max: int = 2, min_df: int = 2, max_features: int | None = 200_000,
                 sublinear_tf: bool = True, C: float | None = None,
                 C_grid: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0), max_iter: int = 1000) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.C_grid = tuple(C_grid)
        self.max_iter = max_iter

    def _vectorizer(self, n_docs: int):
        from sklearn.feature_extraction.text import TfidfVectorizer

        # min_df > 1 would leave a handful of documents without any feature.
        return TfidfVectorizer(ngram_range=(1, self.ngram_max), min_df=self.min_df if n_docs >= 50 else 1,
                               max_features=self.max_features, sublinear_tf=self.sublinear_tf,
                               strip_accents="unicode", dtype=np.float32)

    def fit(self, train: Split, valid: Split | None, ctx: Context) -> TfidfLR:
        from sklearn.linear_model import LogisticRegression

        self.label_names_ = tuple(train.label_names)
        self.vectorizer_ = self._vectorizer(len(train))
        X = self.vectorizer_.fit_transform(train.texts)
        y = np.asarray(train.labels)
        if self.C is not None:
            grid = [self.C]
        elif valid is None or len(valid) == 0:
            grid = [4.0]  # nothing to choose on: a value that does well on review sentiment
        else:
            grid = list(self.C_grid)
        Xv = self.vectorizer_.transform(valid.texts) if len(grid) > 1 else None
        best = (-1.0, None, None)
        for step, C in enumerate(grid, 1):
            model = LogisticRegression(C=C, max_iter=self.max_iter, random_state=ctx.seed)
            model.fit(X, y)
            score = float((model.predict(Xv) == valid.labels).mean()) if Xv is not None else 0.0
            ctx.report("epoch", step, len(grid), valid_accuracy=score, C=C)
            if score > best[0]:
                best = (score, C, model)
        self.C_ = best[1]
        self.model_ = best[2]
        self.classes_ = self.model_.classes_
        ctx.info["C"] = self.C_
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.model_.predict_proba(self.vectorizer_.transform(texts))
        # Classes missing from the training fraction still get a (zero) column.
        out = np.zeros((len(texts), len(self.label_names_)), dtype=np.float64)
        out[:, self.classes_] = proba
        return out

    def save(self, path: Path) -> None:
        """Write the fitted state as JSON + ``.npz`` (nothing pickled): vocabulary, idf, coefficients."""
        from tlbench.systems.tfidf_lr_state import save_tfidf_lr

        save_tfidf_lr(Path(path), self)

    def load(self, path: Path) -> TfidfLR:
        """Restore what ``save`` wrote (arrays read with ``allow_pickle=False``); raises DataError otherwise."""
        from tlbench.systems.tfidf_lr_state import load_tfidf_lr

        return load_tfidf_lr(Path(path), self)
