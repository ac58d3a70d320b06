"""The logistic-regression head on sentence embeddings: C chosen on the validation part, kept as plain arrays so
a saved model is safetensors + JSON, never a pickle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Head:
    """A fitted binary or multinomial logistic regression: ``coef`` (k, dim) and ``intercept`` (k,), where k is 1
    for two classes (scikit-learn's layout)."""

    coef: np.ndarray
    intercept: np.ndarray
    n_labels: int
    C: float

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = X @ self.coef.T + self.intercept
        if self.n_labels == 2:
            p = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -50, 50)))
            return np.stack([1.0 - p, p], axis=1)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def fit_head(X: np.ndarray, y: np.ndarray, n_labels: int, Xv: np.ndarray | None, yv: np.ndarray | None,
             C_grid: Sequence[float], seed: int, max_iter: int = 2000) -> tuple[Head, float | None]:
    """The head whose C scores best on (Xv, yv) (the first of ties; the middle of the grid without validation),
    and that validation accuracy."""
    from sklearn.linear_model import LogisticRegression

    grid = list(C_grid) if Xv is not None and len(Xv) else [list(C_grid)[len(C_grid) // 2]]
    best: tuple[float, Head | None] = (-1.0, None)
    for C in grid:
        lr = LogisticRegression(C=C, max_iter=max_iter, random_state=seed).fit(X, y)
        if len(lr.classes_) != n_labels:
            raise ValueError(f"the training part has {len(lr.classes_)} of {n_labels} labels")
        head = Head(lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32), n_labels, float(C))
        score = float((head.predict_proba(Xv).argmax(axis=1) == yv).mean()) if len(grid) > 1 else 0.0
        if score > best[0]:
            best = (score, head)
    return best[1], (best[0] if len(grid) > 1 else None)
