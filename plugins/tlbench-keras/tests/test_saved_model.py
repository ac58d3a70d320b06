"""`tlbench train` saves, `tlbench.load_model` restores in a fresh process: the same predictions."""

from __future__ import annotations

from tlbench.testing.model_roundtrip import check_moved, check_round_trip


def test_glove_cnn_round_trip_in_a_fresh_process(tmp_path):
    result = check_round_trip("glove-cnn", tmp_path, "tlbench-keras",
                              options={"epochs": 2, "batch_size": 32},
                              max_train=120, n_texts=24)
    # Keras places variables when a model is built: to_device rebuilt it in the cpu scope with the same weights
    assert str(check_moved(result, tmp_path / "model", "cpu").system.device_) == "cpu"
