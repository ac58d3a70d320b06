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
#: Replicates generated per block; bounds memory at about ``_CHUNK * n_examples`` integers.
_CHUNK = 250


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


def _example_means(rows: Sequence[np.ndarray], n_boot: int, stream: int, seed: int) -> np.ndarray:
    """``(n_boot, len(rows))``: each row's mean over the same bootstrap draws of its (equally many) examples.

    The draws depend only on ``(seed, n_examples, stream)``, so an interval does not change when other cells are
    added to a study (common random numbers).
    """
    n = rows[0].size
    X = np.stack(rows)
    rng = np.random.default_rng([seed, n, stream])
    out = np.empty((n_boot, len(rows)))
    for start in range(0, n_boot, _CHUNK):
        b = min(_CHUNK, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        # Counts of each example in each replicate, via one flat bincount.
        counts = np.bincount((idx + n * np.arange(b)[:, None]).ravel(), minlength=b * n).reshape(b, n)
        out[start:start + b] = counts @ X.T / n
    return out


def _seed_weights(n_seeds: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n_seeds)``: how often each seed is drawn in each replicate, divided by ``n_seeds``."""
    rng = np.random.default_rng([seed, n_seeds, 1_000_003])
    idx = rng.integers(0, n_seeds, size=(n_boot, n_seeds))
    counts = np.bincount((idx + n_seeds * np.arange(n_boot)[:, None]).ravel(), minlength=n_boot * n_seeds)
    return counts.reshape(n_boot, n_seeds) / n_seeds


def bootstrap_replicates_many(matrices: Sequence[np.ndarray | Sequence[np.ndarray]], *, n_boot: int = N_BOOT,
                              seed: int = BOOT_SEED) -> list[np.ndarray]:
    """Bootstrap replicates of the mean over seeds of the mean over test examples, for each matrix.

    Each matrix has one row per seed. Rows of equal length are taken as aligned (same test examples); rows of
    differing lengths are resampled independently (see the module docstring). Matrices are processed together
    so the example draws are generated once per test-set size; every matrix gets exactly the replicates it
    would get alone.
    """
    all_rows = [_rows(m) for m in matrices]
    per_seed: list[np.ndarray | None] = [None] * len(all_rows)
    aligned_by_n: dict[int, list[int]] = {}
    for i, rows in enumerate(all_rows):
        sizes = {r.size for r in rows}
        if len(sizes) == 1:
            aligned_by_n.setdefault(sizes.pop(), []).append(i)
        else:
            per_seed[i] = np.hstack([_example_means([r], n_boot, 1 + j, seed) for j, r in enumerate(rows)])
    for members in aligned_by_n.values():
        stacked = [r for i in members for r in all_rows[i]]
        means = _example_means(stacked, n_boot, 0, seed)
        start = 0
        for i in members:
            per_seed[i] = means[:, start:start + len(all_rows[i])]
            start += len(all_rows[i])
    return [np.sum(m * _seed_weights(m.shape[1], n_boot, seed), axis=1) for m in per_seed]


def bootstrap_cis(matrices: Sequence[np.ndarray | Sequence[np.ndarray]], *, level: float = 0.95,
                  n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> list[Interval]:
    """:func:`bootstrap_ci` for many matrices at once (faster; identical intervals)."""
    if not 0 < level < 1:
        raise ValueError("level must lie strictly between 0 and 1")
    out = []
    for rows, reps in zip(matrices, bootstrap_replicates_many(matrices, n_boot=n_boot, seed=seed)):
        low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
        estimate = float(np.mean([r.mean() for r in _rows(rows)]))
        out.append(Interval(estimate, float(low), float(high), level))
    return out


def bootstrap_ci(matrix: np.ndarray | Sequence[np.ndarray], *, level: float = 0.95, n_boot: int = N_BOOT,
                 seed: int = BOOT_SEED) -> Interval:
    """Mean over seeds of per-seed mean, with a percentile bootstrap interval over seeds and test examples.

    ``matrix``: one row per seed. For accuracy pass the correctness matrix; for transfer gain pass
    ``strategy_correct - baseline_correct`` (same seeds, same test examples, same row order).
    """
    return bootstrap_cis([matrix], level=level, n_boot=n_boot, seed=seed)[0]


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


def paired_test(baseline: np.ndarray | Sequence[np.ndarray],
                strategy: np.ndarray | Sequence[np.ndarray]) -> PairedTest:
    """One paired test over all seeds (rows paired by position).

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
    if len({b.size for b in base}) == 1:
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
