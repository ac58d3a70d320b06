from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tlbench_keras.kmax import KMaxPooling  # noqa: E402


def test_keeps_k_largest_in_order():
    x = np.array([[[1.0, 9.0], [5.0, 2.0], [3.0, 8.0], [4.0, 7.0]]], dtype=np.float32)  # (1, 4 steps, 2 channels)
    out = np.asarray(KMaxPooling(2, axis=1)(x))
    # channel 0: largest 5 (step 1) and 4 (step 3) in step order; channel 1: 9 (step 0), 8 (step 2)
    assert out.shape == (1, 2, 2)
    assert out[0, :, 0].tolist() == [5.0, 4.0] and out[0, :, 1].tolist() == [9.0, 8.0]


def test_inner_axis_of_4d_input():
    x = np.arange(2 * 3 * 5 * 1, dtype=np.float32).reshape(2, 3, 5, 1)[:, :, ::-1, :]  # decreasing along axis 2
    out = np.asarray(KMaxPooling(3, axis=2)(x))
    assert out.shape == (2, 3, 3, 1)
    assert np.array_equal(out, x[:, :, :3, :])


def test_k_larger_than_axis_is_rejected():
    with pytest.raises(ValueError, match="k=4"):
        KMaxPooling(4, axis=1)(np.zeros((1, 3, 2), dtype=np.float32))
