"""Statistics for studies: spread over seeds, bootstrap confidence intervals, transfer gain, paired tests.

Pure numpy (scipy only for the binomial test, imported when a test runs). Inputs are per-example correctness
matrices: one row per seed, one column per test example (1 = correct). Everything random uses a fixed seed, so
the same results always give the same intervals.

How the bootstrap works (see docs/reports.md):

- **Aligned** rows (every seed scored on the same test examples): each replicate draws the seeds with replacement
  and, independently, the test examples with replacement — one draw of examples shared by all seeds, because the
  seeds share the test set. The replicate value is the mean over the drawn seeds of the mean over the drawn
  examples. This crossed bootstrap covers both sources of variation (training randomness and test-set sampling)
  and errs on the wide side.
- **Unaligned** rows (seeds scored on different test examples): seeds are drawn, then examples are drawn
  independently within each seed.

The interval is the percentile interval of the replicates. Transfer gain uses the same bootstrap on the
difference matrix ``strategy - baseline`` (paired on seed and test example), so both sides see the same draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Bootstrap replicates per interval.
N_BOOT = 2000
#: The fixed RNG seed of every bootstrap (reproducible intervals).
BOOT_SEED = 20190


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval."""

    estimate: float
    low: float
    high: float
    level: float = 0.95

    @property
    def below_zero(self) -> bool:
        """The whole interval lies below 0."""
        return self.high < 0

    @property
    def above_zero(self) -> bool:
        """The whole interval lies above 0."""
        return self.low > 0


@dataclass(frozen=True)
class PairedTest:
    """McNemar-style test on per-example correctness of a strategy against its baseline.

    ``wins``: examples the strategy gets right and the baseline wrong; ``losses``: the reverse (for several
    seeds, counted on per-example means, see :func:`paired_test`). ``p_exact``: two-sided exact binomial p-value;
    ``p_mid``: the mid-p version (less conservative, recommended by Fagerland et al. 2013).
    """

    wins: float
    losses: float
    p_exact: float
    p_mid: float
    method: str


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0.0 for a single value, NaN for none)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan")
    return float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0


def _rows(matrix: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    rows = [np.asarray(r, dtype=np.float64).ravel() for r in matrix]
    if not rows:
        raise ValueError("need at least one seed (row)")
    if any(r.size == 0 for r in rows):
        raise ValueError("every seed needs at least one test example")
    return rows


def _example_means(rows: Sequence[np.ndarray], n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, len(rows))``: each row's mean over the same bootstrap draws of its (equally many) examples.

    Examples whose values agree in every row are interchangeable, so instead of drawing ``n`` example indices
    per replicate we draw how many of the ``n`` draws fall in each distinct column pattern (a multinomial over
    the patterns, with their frequencies as probabilities). That is the same distribution, and for correctness
    matrices there are at most ``3 ** n_seeds`` patterns, so a replicate costs next to nothing.
    """
    X = np.stack(rows)
    n = X.shape[1]
    levels, codes = np.unique(X, return_inverse=True)
    codes = codes.reshape(X.shape)
    if len(levels) ** len(rows) < 2**62:
        # One integer per column (its pattern in base len(levels)): a 1-D unique is far faster than axis=1.
        column = (codes * len(levels) ** np.arange(len(rows))[:, None]).sum(axis=0)
        _, first, counts = np.unique(column, return_index=True, return_counts=True)
        patterns = X[:, first]
    else:
        patterns, counts = np.unique(X, axis=1, return_counts=True)
    draws = rng.multinomial(n, counts / n, size=n_boot)
    return draws @ patterns.T / n


def _seed_weights(n_seeds: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n_seeds)``: how often each seed is drawn in each replicate, divided by ``n_seeds``."""
    return rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), size=n_boot) / n_seeds


def _aligned(rows: list[np.ndarray], aligned: bool | None) -> bool:
    same_length = len({r.size for r in rows}) == 1
    if aligned and not same_length:
        raise ValueError("aligned rows (same test examples) need equal lengths")
    return same_length if aligned is None else aligned


def bootstrap_replicates(matrix: np.ndarray | Sequence[np.ndarray], *, aligned: bool | None = None,
                         n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> np.ndarray:
    """Bootstrap replicates of the mean over seeds of the mean over test examples.

    ``matrix``: one row per seed. ``aligned``: whether all rows score the same test examples (one shared draw of
    examples) or not (independent draws per row, see the module docstring); None takes rows of equal length as
    aligned. The RNG is seeded with ``seed`` for each call, so a matrix always gets the same replicates.
    """
    rows = _rows(matrix)
    rng = np.random.default_rng(seed)
    weights = _seed_weights(len(rows), n_boot, rng)
    if _aligned(rows, aligned):
        per_seed = _example_means(rows, n_boot, rng)
    else:
        per_seed = np.hstack([_example_means([r], n_boot, rng) for r in rows])
    return np.sum(per_seed * weights, axis=1)


def bootstrap_ci(matrix: np.ndarray | Sequence[np.ndarray], *, aligned: bool | None = None, level: float = 0.95,
                 n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> Interval:
    """Mean over seeds of per-seed mean, with a percentile bootstrap interval over seeds and test examples.

    ``matrix``: one row per seed. For accuracy pass the correctness matrix; for transfer gain pass
    ``strategy_correct - baseline_correct`` (same seeds, same test examples, same row order). ``aligned``: see
    :func:`bootstrap_replicates`.
    """
    if not 0 < level < 1:
        raise ValueError("level must lie strictly between 0 and 1")
    rows = _rows(matrix)
    reps = bootstrap_replicates(rows, aligned=aligned, n_boot=n_boot, seed=seed)
    low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(np.mean([r.mean() for r in rows])), float(low), float(high), level)


def binomial_p(wins: int, losses: int) -> tuple[float, float]:
    """Two-sided exact and mid-p p-values for ``wins`` against ``losses`` under a fair coin (1.0, 1.0 when both
    are 0)."""
    from scipy.stats import binom, binomtest

    if wins < 0 or losses < 0:
        raise ValueError("counts must be non-negative")
    n = wins + losses
    if n == 0:
        return 1.0, 1.0
    k = min(wins, losses)
    exact = float(binomtest(k, n, 0.5).pvalue)
    # mid-p = P(X < k) + P(X > n-k) + P(X = k) over two tails = 2 * (P(X <= k) - P(X = k) / 2), at most 1.
    mid = 1.0 if wins == losses else min(1.0, 2.0 * (float(binom.cdf(k, n, 0.5)) - 0.5 * float(binom.pmf(k, n, 0.5))))
    return exact, mid


def mcnemar(baseline_correct: np.ndarray, strategy_correct: np.ndarray) -> PairedTest:
    """McNemar's test for one seed: discordant pairs, exact binomial p-value and mid-p."""
    base = np.asarray(baseline_correct, dtype=bool)
    strat = np.asarray(strategy_correct, dtype=bool)
    if base.shape != strat.shape or base.ndim != 1:
        raise ValueError("baseline and strategy need the same test examples (equal-length 1-D arrays)")
    wins = int(np.sum(strat & ~base))
    losses = int(np.sum(base & ~strat))
    exact, mid = binomial_p(wins, losses)
    return PairedTest(wins, losses, exact, mid, "McNemar")


def paired_test(baseline: np.ndarray | Sequence[np.ndarray], strategy: np.ndarray | Sequence[np.ndarray], *,
                aligned: bool | None = None) -> PairedTest:
    """One paired test over all seeds (rows paired by position; ``aligned`` as in :func:`bootstrap_replicates`).

    Aligned rows (the seeds share the test examples): a sign test over test examples on the per-example mean
    difference across seeds — an example counts as a win when the strategy is right on more seeds than the
    baseline, a loss for the reverse, ties drop out. Test examples are the independent units, so an example is
    never counted twice; with one seed this is exactly McNemar's test.

    Unaligned rows (each seed has its own test examples): the seeds' discordant pairs are pooled (the examples
    are then distinct) and tested as McNemar's test.
    """
    base = _rows(baseline)
    strat = _rows(strategy)
    if len(base) != len(strat) or any(b.size != s.size for b, s in zip(base, strat)):
        raise ValueError("baseline and strategy need the same seeds and test examples")
    if _aligned(base, aligned):
        diff = np.mean(np.stack(strat) - np.stack(base), axis=0)
        wins, losses = int(np.sum(diff > 0)), int(np.sum(diff < 0))
        method = "McNemar" if len(base) == 1 else "sign test on per-example mean over seeds"
    else:
        per_seed = [mcnemar(b, s) for b, s in zip(base, strat)]
        wins, losses = int(sum(t.wins for t in per_seed)), int(sum(t.losses for t in per_seed))
        method = "McNemar, discordant pairs pooled over seeds"
    exact, mid = binomial_p(wins, losses)
    return PairedTest(wins, losses, exact, mid, method)


def negative_transfer(gain: Interval) -> bool:
    """Negative transfer: the whole confidence interval of the gain lies below 0."""
    return gain.below_zero


def crossover_fraction(gains: dict[float, float]) -> float | None:
    """The smallest fraction from which the gain is no longer positive at that fraction and every larger one.

    ``gains``: fraction -> mean gain. None when the strategy still helps at the largest fraction, when it never
    helps at any fraction, or when the study has a single fraction (no crossover to find).
    """
    fractions = sorted(f for f, g in gains.items() if np.isfinite(g))
    if len(fractions) < 2 or gains[fractions[-1]] > 0:
        return None
    first = None
    for f in reversed(fractions):
        if gains[f] > 0:
            break
        first = f
    # All fractions non-positive: it never helped, so it never stopped helping.
    return None if first == fractions[0] else first


def paired_shortfall(best: Sequence[np.ndarray], other: Sequence[np.ndarray], *, margin: float = 0.0,
                     aligned: bool | None = None, level: float = 0.95, n_boot: int = N_BOOT,
                     seed: int = BOOT_SEED) -> tuple[Interval, float]:
    """How far ``other`` falls below ``best``: the paired bootstrap interval of ``other - best`` (rows paired by
    seed, columns by test example, drawn as in :func:`bootstrap_replicates`) and the one-sided bootstrap p-value
    of "``other`` is worse than ``best`` by more than ``margin``", i.e. of H0: Δ ≥ −margin against Δ < −margin:
    ``p = (1 + #{replicates ≥ −margin}) / (n_boot + 1)``."""
    base, rows = _rows(best), _rows(other)
    if len(base) != len(rows) or any(b.size != r.size for b, r in zip(base, rows)):
        raise ValueError("both rows need the same seeds and test examples")
    diff = [r - b for b, r in zip(base, rows)]
    reps = bootstrap_replicates(diff, aligned=aligned, n_boot=n_boot, seed=seed)
    low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    estimate = float(np.mean([d.mean() for d in diff]))
    p = (1.0 + float(np.sum(reps >= -margin - 1e-12))) / (n_boot + 1.0)
    return Interval(estimate, float(low), float(high), level), p


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of p-values (same order as given): the k-th smallest becomes
    ``max over j ≤ k of min(1, (m − j + 1) · p_(j))``; it controls the family-wise error rate."""
    p = np.asarray(pvalues, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    m = p.size
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return [float(x) for x in out]
