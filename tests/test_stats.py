"""tlbench.stats against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tlbench import stats


def test_mean_sd_by_hand():
    # mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / (n-1) = 5/3.
    assert stats.mean_sd([1, 2, 3, 4]) == pytest.approx((2.5, math.sqrt(5 / 3)))
    assert stats.mean_sd([0.7]) == (0.7, 0.0)
    assert all(math.isnan(v) for v in stats.mean_sd([]))


@pytest.mark.parametrize("wins, losses, exact, mid", [
    (0, 5, 2 / 32, 1 / 32),          # P(X=0) = 1/32, two-sided exact 2/32, mid-p 2/32 - 1/32
    (1, 4, 12 / 32, 7 / 32),         # P(X<=1) = 6/32, exact 12/32; mid-p = 2 * (6/32 - 5/64) = 7/32
    (4, 1, 12 / 32, 7 / 32),         # symmetric
    (3, 3, 1.0, 1.0),                # no evidence either way
    (0, 0, 1.0, 1.0),                # no discordant pairs
    (2, 10, 2 * 79 / 4096, 2 * (79 / 4096 - 66 / 8192)),  # P(X<=2) = (1+12+66)/4096, P(X=2) = 66/4096
])
def test_binomial_p_by_hand(wins, losses, exact, mid):
    assert stats.binomial_p(wins, losses) == pytest.approx((exact, mid))


def test_mcnemar_counts_discordant_pairs():
    base = np.array([1, 1, 0, 0, 0, 0, 1, 0], dtype=bool)
    strat = np.array([1, 0, 1, 1, 1, 1, 1, 0], dtype=bool)
    test = stats.mcnemar(base, strat)
    # Strategy right where baseline wrong: examples 2-5 (4); the reverse: example 1 (1).
    assert (test.wins, test.losses) == (4, 1)
    assert (test.p_exact, test.p_mid) == pytest.approx((12 / 32, 7 / 32))
    with pytest.raises(ValueError):
        stats.mcnemar(base, strat[:-1])


def test_paired_test_one_seed_is_mcnemar():
    base = np.array([1, 0, 0, 0, 0, 0], dtype=bool)
    strat = np.array([0, 1, 1, 1, 1, 1], dtype=bool)
    assert stats.paired_test([base], [strat]) == stats.mcnemar(base, strat)


def test_paired_test_aligned_seeds_counts_each_example_once():
    # Two seeds on the same 4 examples. Per-example mean difference: (+1, 0, +0.5, -0.5).
    base = np.array([[0, 1, 0, 1], [0, 0, 1, 1]])
    strat = np.array([[1, 1, 1, 1], [1, 0, 1, 0]])
    test = stats.paired_test(base, strat)
    assert (test.wins, test.losses) == (2, 1)
    assert test.method.startswith("sign test")
    assert test.p_exact == pytest.approx(1.0)  # 2 vs 1: P(X<=1) = 4/8, doubled


def test_paired_test_unaligned_seeds_pools_discordant_pairs():
    base = [np.array([0, 0, 1]), np.array([0, 0, 0, 0, 1])]
    strat = [np.array([1, 1, 1]), np.array([1, 1, 1, 0, 1])]
    test = stats.paired_test(base, strat)
    # Seed 0: 2 wins; seed 1: 3 wins; no losses. Pooled 5 vs 0.
    assert (test.wins, test.losses) == (5, 0)
    assert test.p_exact == pytest.approx(2 / 32)
    assert "pooled" in test.method


def test_bootstrap_constant_matrix_has_zero_width():
    ci = stats.bootstrap_ci(np.ones((3, 50)))
    assert (ci.estimate, ci.low, ci.high) == (1.0, 1.0, 1.0)
    gain = stats.bootstrap_ci(np.ones((3, 50)) - np.zeros((3, 50)))
    assert gain.above_zero and not stats.negative_transfer(gain)


def test_bootstrap_over_seeds_matches_the_exact_distribution():
    # One example per seed, so only the seed draw varies: the mean of 3 draws from {0, 1, 1} is k/3 with
    # k ~ Binomial(3, 2/3): P = 1/27, 6/27, 12/27, 8/27.
    reps = stats.bootstrap_replicates(np.array([[0.0], [1.0], [1.0]]), n_boot=4000)
    freq = [np.mean(np.isclose(reps, k / 3)) for k in range(4)]
    assert freq == pytest.approx([1 / 27, 6 / 27, 12 / 27, 8 / 27], abs=0.03)
    ci = stats.bootstrap_ci(np.array([[0.0], [1.0], [1.0]]), n_boot=4000)
    assert ci.estimate == pytest.approx(2 / 3)
    assert (ci.low, ci.high) == (0.0, 1.0)  # P(0) = 1/27 > 2.5%, P(1) = 8/27 > 2.5%


def test_bootstrap_over_examples_matches_the_binomial_interval():
    # One seed, 100 examples, 80 right: replicates ~ Binomial(100, 0.8) / 100, whose 2.5% and 97.5% quantiles
    # are 0.72 and 0.88 (P(X <= 71) = 0.020, P(X <= 87) = 0.975).
    ci = stats.bootstrap_ci(np.array([[1.0] * 80 + [0.0] * 20]), n_boot=4000)
    assert ci.estimate == pytest.approx(0.8)
    assert 0.71 <= ci.low <= 0.73
    assert 0.87 <= ci.high <= 0.89


def test_bootstrap_is_reproducible():
    rng = np.random.default_rng(1)
    a = (rng.random((3, 300)) < 0.7).astype(float)
    alone = stats.bootstrap_ci(a)
    stats.bootstrap_ci([rng.random(40) < 0.5, rng.random(60) < 0.5])  # unaligned rows, in between
    assert stats.bootstrap_ci(a) == alone
    assert stats.bootstrap_ci(a, seed=7) != alone
    assert alone.low < alone.estimate < alone.high


def test_pattern_bootstrap_matches_index_resampling():
    # The bootstrap draws counts per distinct column pattern; drawing example indices directly must give the
    # same distribution of replicates (compare mean and spread of 4000 replicates each).
    rng = np.random.default_rng(3)
    X = (rng.random((3, 500)) < np.array([[0.6], [0.7], [0.8]])).astype(float)
    reps = stats.bootstrap_replicates(X, n_boot=4000)
    direct = np.empty(4000)
    for b in range(4000):
        seeds = rng.integers(0, 3, 3)
        examples = rng.integers(0, 500, 500)
        direct[b] = X[seeds][:, examples].mean()
    assert reps.mean() == pytest.approx(direct.mean(), abs=0.003)
    assert reps.std() == pytest.approx(direct.std(), rel=0.08)
    assert np.quantile(reps, [0.025, 0.975]) == pytest.approx(np.quantile(direct, [0.025, 0.975]), abs=0.01)


def test_paired_gain_interval_is_narrower_than_unpaired():
    # Strategy = baseline with 30 of 400 wrong answers fixed: the paired gain is exactly +0.075 per seed and its
    # interval reflects only which examples changed, not the baseline's own spread.
    rng = np.random.default_rng(2)
    base = rng.random((3, 400)) < 0.7
    strat = base.copy()
    for row in strat:
        row[np.flatnonzero(~row)[:30]] = True
    gain = stats.bootstrap_ci(strat.astype(float) - base.astype(float))
    assert gain.estimate == pytest.approx(0.075)
    assert gain.above_zero
    assert gain.high - gain.low < 0.06


def test_negative_transfer_needs_the_whole_interval_below_zero():
    assert stats.negative_transfer(stats.Interval(-0.02, -0.03, -0.01))
    assert not stats.negative_transfer(stats.Interval(-0.02, -0.05, 0.01))
    assert not stats.negative_transfer(stats.Interval(0.0, 0.0, 0.0))


@pytest.mark.parametrize("gains, expected", [
    ({0.05: 0.02, 0.1: 0.01, 0.5: -0.01, 1.0: -0.005}, 0.5),   # helps, then stops from 50%
    ({0.05: 0.02, 0.5: 0.0, 1.0: -0.01}, 0.5),                 # zero counts as not helping
    ({0.05: -0.01, 0.5: 0.01, 1.0: -0.01}, 1.0),                # the last stretch decides
    ({0.05: 0.02, 0.5: -0.01, 1.0: 0.005}, None),               # still helps at the largest fraction
    ({0.05: -0.02, 1.0: -0.01}, None),                          # never helped
    ({0.05: 0.02}, None),                                       # one fraction: nothing to cross
])
def test_crossover_fraction(gains, expected):
    assert stats.crossover_fraction(gains) == expected


def test_bad_input_is_rejected():
    with pytest.raises(ValueError):
        stats.bootstrap_ci([])
    with pytest.raises(ValueError):
        stats.bootstrap_ci(np.ones((2, 0)))
    with pytest.raises(ValueError):
        stats.bootstrap_ci(np.ones((2, 3)), level=1.0)
    with pytest.raises(ValueError):
        stats.binomial_p(-1, 2)


def test_alignment_can_be_stated():
    # Same length but different test sets: a per-example sign test would compare unrelated examples, so the
    # caller says so and the seeds' discordant pairs are pooled instead.
    base = np.array([[1, 0, 0], [0, 0, 1]])
    strat = np.array([[1, 1, 1], [1, 0, 0]])
    assert (stats.paired_test(base, strat).wins, stats.paired_test(base, strat).losses) == (2, 0)
    pooled = stats.paired_test(base, strat, aligned=False)
    assert (pooled.wins, pooled.losses) == (3, 1) and "pooled" in pooled.method
    assert stats.bootstrap_ci(base, aligned=False).estimate == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        stats.bootstrap_ci([np.ones(2), np.ones(3)], aligned=True)
