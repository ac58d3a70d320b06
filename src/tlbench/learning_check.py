"""Did a fitted model learn anything? The runner's guard, and the unstable-seed rule used at aggregation.

**Learned** (one cell): after a strategy returns its fitted model, the runner predicts the cell's validation part
(carved from the labelled fraction; never the test split) and runs a one-sided exact binomial test of the
validation accuracy against the majority-class rate of that part (H0: the model is no better than always
predicting the most frequent class). ``learned`` is True when ``p < ALPHA``; False when not and the test had
the power to see learning (at least ``MIN_POWER`` for a model halfway between the majority rate and perfect, e.g.
75% on balanced binary labels); None when it cannot decide: no validation part, one so small that even a perfect
score could not reach ``ALPHA`` (no power), or a non-significant result with too little power (inconclusive).
A model that always predicts one class scores the majority rate at best, so it is never "learned".

**Unstable** (one seed of a row): a seed whose validation accuracy lies far below the other seeds of the same
(system, strategy, fraction) — more than ``UNSTABLE_MADS`` robust standard deviations (1.4826 × the median absolute
deviation) *and* more than ``UNSTABLE_SE`` binomial standard errors of its own validation part below the row's
median. The first condition is the usual median/MAD outlier rule (Iglewicz & Hoaglin's 3.5); the second keeps a
row whose seeds agree closely from flagging a seed for a difference the validation part cannot resolve. Needs at
least ``MIN_SEEDS`` seeds with a validation accuracy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

#: Significance level of the one-sided binomial test. 0.01: a model at chance passes by luck once in a hundred
#: cells, and a model that learned even a little (≥ 62% on 125 balanced reviews) passes.
ALPHA = 0.01
#: Below this power (against a model halfway from the majority rate to perfect) a non-significant result says
#: "inconclusive" (learned None), not "did not learn": a 34-review validation part cannot tell 60% from 50%.
MIN_POWER = 0.8
#: Robust standard deviations below the median that make a seed an outlier (Iglewicz & Hoaglin 1993).
UNSTABLE_MADS = 3.5
#: Binomial standard errors of the seed's own validation accuracy it must also lie below the median.
UNSTABLE_SE = 3.0
#: Fewest seeds with a validation accuracy for the unstable rule to say anything.
MIN_SEEDS = 3


def learning_test(y_valid: Sequence[int], pred_valid: Sequence[int], alpha: float = ALPHA) -> tuple[bool | None,
                                                                                                    dict[str, Any]]:
    """``(learned, figures)`` for predictions on a validation part; ``figures`` holds ``valid_accuracy``,
    ``majority``, ``n_valid``, ``p_value``, ``alpha`` and, when the test cannot decide, ``note``."""
    y = np.asarray(y_valid, dtype=np.int64).ravel()
    pred = np.asarray(pred_valid, dtype=np.int64).ravel()
    n = int(y.size)
    if n == 0:
        return None, {"n_valid": 0, "alpha": alpha, "note": "no validation part: the check could not run"}
    if pred.shape != y.shape:
        raise ValueError(f"{pred.size} predictions for {n} validation labels")
    majority = float(np.bincount(y).max() / n)
    correct = int((pred == y).sum())
    figures: dict[str, Any] = {"valid_accuracy": round(correct / n, 6), "majority": round(majority, 6),
                               "n_valid": n, "alpha": alpha}
    if majority >= 1.0 or majority ** n >= alpha:
        # Even n correct out of n would not be significant: the test has no power here.
        figures["p_value"] = None
        figures["note"] = (f"no power: {n} validation example(s) with majority rate {majority:.2f} cannot show "
                           f"learning at alpha {alpha}; use a larger validation part")
        return None, figures
    from scipy.stats import binomtest

    p_value = float(binomtest(correct, n, majority, alternative="greater").pvalue)
    figures["p_value"] = round(p_value, 8)
    if p_value < alpha:
        return True, figures
    power = _power(n, majority, alpha)
    figures["power"] = round(power, 4)
    if power < MIN_POWER:
        figures["note"] = (f"inconclusive: {n} validation example(s) would show even a model halfway from the "
                           f"majority rate to perfect with probability {power:.2f} only; use a larger validation "
                           f"part (valid_fraction in the study file) or a larger fraction")
        return None, figures
    return False, figures


def _power(n: int, majority: float, alpha: float) -> float:
    """Probability that the test finds learning in a model halfway between the majority rate and perfect."""
    from scipy.stats import binom

    needed = int(binom.isf(alpha, n, majority)) + 1  # smallest count correct with P(X >= count) < alpha
    return float(binom.sf(needed - 1, n, majority + (1 - majority) / 2))


def check_model(valid: Any, proba: Any, alpha: float = ALPHA,
                seconds: float | None = None) -> tuple[bool | None, dict[str, Any]]:
    """The guard on a fitted model's validation part: ``valid`` (a Split, or None) and the probabilities the model
    gave for it (computed once by the caller, see :func:`tlbench.evaluation.validation_check`); ``seconds``, the
    time that prediction took, is added to the figures."""
    extra = {} if seconds is None else {"seconds": seconds}
    if valid is None or len(valid) == 0:
        return learning_test([], [], alpha)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[0] != len(valid):
        return None, {"n_valid": len(valid), "alpha": alpha, **extra,
                      "note": f"the model returned probabilities of shape {proba.shape} on the validation part"}
    learned, figures = learning_test(valid.labels, proba.argmax(axis=1), alpha)
    return learned, {**figures, **extra}


def unstable_seeds(valid_accuracy: dict[int, float], n_valid: dict[int, int]) -> list[int]:
    """Seeds whose validation accuracy lies far below the row's median (see the module docstring)."""
    seeds = [s for s, a in valid_accuracy.items() if a is not None and np.isfinite(a)]
    if len(seeds) < MIN_SEEDS:
        return []
    values = np.array([valid_accuracy[s] for s in seeds], dtype=np.float64)
    median = float(np.median(values))
    robust_sd = 1.4826 * float(np.median(np.abs(values - median)))
    out = []
    for seed, value in zip(seeds, values):
        n = max(int(n_valid.get(seed) or 0), 1)
        se = np.sqrt(max(median * (1 - median), 1e-12) / n)
        below = median - value
        if below > UNSTABLE_MADS * robust_sd and below > UNSTABLE_SE * se:
            out.append(seed)
    return sorted(out)


def learned(cell: Any) -> bool:
    """False only for a cell the guard found no better than the majority class (None and old lines pass)."""
    return getattr(cell, "learned", None) is not False


Row = tuple[str, str, float]


def row_flags(cells: Iterable[Any]) -> dict[Row, dict[str, list[int]]]:
    """Per (system, strategy, fraction): the seeds that ``did_not_learn`` and the seeds that are ``unstable``
    (only rows with at least one flag appear)."""
    by_row: dict[Row, list[Any]] = defaultdict(list)
    for c in cells:
        by_row[(c.system, c.strategy, c.fraction)].append(c)
    flags: dict[Row, dict[str, list[int]]] = {}
    for row, group in by_row.items():
        failed = sorted(c.seed for c in group if not learned(c))
        figures = {c.seed: (getattr(c, "learning", None) or {}) for c in group}
        unstable = unstable_seeds({s: f.get("valid_accuracy") for s, f in figures.items()},
                                  {s: f.get("n_valid", 0) for s, f in figures.items()})
        if failed or unstable:
            flags[row] = {"did_not_learn": failed, "unstable": unstable}
    return flags


def mark(flags: dict[str, list[int]] | None) -> str:
    """The words a table adds to a flagged cell: ``did not learn: seed 1; unstable: seed 3``."""
    if not flags:
        return ""
    parts = []
    for key, words in (("did_not_learn", "did not learn"), ("unstable", "unstable")):
        seeds = flags.get(key) or []
        if seeds:
            parts.append(f"{words}: seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}")
    return "; ".join(parts)
