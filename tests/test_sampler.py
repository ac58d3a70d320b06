import numpy as np
import pytest

from tlbench.sampler import nested_fractions, stratified_limit


def labels(n_pos=300, n_neg=700):
    return np.array([1] * n_pos + [0] * n_neg)


def test_fractions_are_nested_and_stratified():
    y = labels()
    samples = nested_fractions(y, [0.05, 0.1, 0.5, 1.0], seed=3)
    previous = set()
    for f in (0.05, 0.1, 0.5, 1.0):
        s = samples[f]
        used = set(s.train) | set(s.valid)
        assert previous <= used, f"fraction {f} does not contain the smaller one"
        previous = used
        assert not set(s.train) & set(s.valid)
        assert len(used) == pytest.approx(f * len(y), abs=2)
        assert y[list(used)].mean() == pytest.approx(0.3, abs=0.02)
        assert len(s.valid) == pytest.approx(0.1 * len(used), abs=2)
        assert set(np.unique(y[s.valid])) == {0, 1}


def test_same_seed_same_sample_other_seed_other_sample():
    y = labels()
    a = nested_fractions(y, [0.1], seed=0)[0.1]
    b = nested_fractions(y, [0.1, 1.0], seed=0)[0.1]
    c = nested_fractions(y, [0.1], seed=1)[0.1]
    assert np.array_equal(a.train, b.train) and np.array_equal(a.valid, b.valid)
    assert not np.array_equal(a.train, c.train)


def test_tiny_fraction_keeps_every_class():
    y = labels(5, 995)
    s = nested_fractions(y, [0.001], seed=0)[0.001]
    assert set(y[np.concatenate([s.train, s.valid])]) == {0, 1}


def test_bad_fraction():
    with pytest.raises(ValueError):
        nested_fractions(labels(), [0.0], seed=0)


def test_stratified_limit_is_fixed_and_balanced():
    y = labels()
    a, b = stratified_limit(y, 100), stratified_limit(y, 100)
    assert np.array_equal(a, b) and len(a) == 100 and y[a].mean() == pytest.approx(0.3, abs=0.02)
    assert len(stratified_limit(y, None)) == len(y)
