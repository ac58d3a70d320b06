"""Nested, stratified training fractions per seed, with validation carved from the fraction itself.

For one seed, every class's indices are shuffled once; the fraction ``f`` takes the first ``ceil(f * n_c)`` of
class ``c``. So 5% ⊂ 10% ⊂ … ⊂ 100% for a seed, and every system and strategy sees the same examples. The
validation part is a stratified share of the fraction's own examples (never of unused data, never the test set).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: Bump when sampling changes: it is part of every cell key, so old results are not mixed with new ones.
SAMPLER_VERSION = 1


@dataclass(frozen=True, eq=False)
class Sample:
    fraction: float
    seed: int
    train: np.ndarray
    valid: np.ndarray


def _rng(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, *salt])


def nested_fractions(labels: np.ndarray, fractions: Iterable[float], seed: int,
                     valid_fraction: float = 0.1) -> dict[float, Sample]:
    """Samples for each fraction; indices refer to ``labels``. Every class keeps at least one training example."""
    labels = np.asarray(labels)
    fractions = sorted(set(float(f) for f in fractions))
    for f in fractions:
        if not 0.0 < f <= 1.0:
            raise ValueError(f"fraction {f} is outside (0, 1]")
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid_fraction {valid_fraction} is outside [0, 1)")
    classes = np.unique(labels[labels >= 0])
    order = {c: _rng(seed, 1).permutation(np.flatnonzero(labels == c)) for c in classes}
    samples = {}
    for k, f in enumerate(fractions):
        train, valid = [], []
        for c in classes:
            chosen = order[c][: max(1, math.ceil(f * len(order[c])))]
            n_valid = round(valid_fraction * len(chosen))
            if valid_fraction > 0 and n_valid == 0 and len(chosen) >= 2:
                n_valid = 1  # early stopping needs every class in validation
            picked = _rng(seed, 2, int(round(f * 1e6)), int(c)).permutation(chosen)
            valid.append(picked[:n_valid])
            train.append(picked[n_valid:])
        samples[f] = Sample(f, seed, np.sort(np.concatenate(train)), np.sort(np.concatenate(valid)))
    return samples


def stratified_limit(labels: np.ndarray, limit: int | None, seed: int = 0) -> np.ndarray:
    """Indices of a fixed stratified subset of at most ``limit`` examples (all of them when ``limit`` is None).

    Used to cut corpora to small slices for tests and demos; the same limit always gives the same subset.
    """
    n = len(labels)
    if limit is None or limit >= n:
        return np.arange(n)
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.maximum(1, np.floor(counts / n * limit).astype(int))
    picked = [_rng(seed, 3, int(c)).permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))
