"""`tlbench train` saves, `tlbench.load_model` restores in a fresh process: the same predictions."""

from __future__ import annotations

from tlbench.testing.model_roundtrip import assert_same_predictions, round_trip


def test_glove_cnn_round_trip_in_a_fresh_process(tmp_path, monkeypatch):
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    result = round_trip("glove-cnn", tmp_path / "model",
                        options={"epochs": 2, "batch_size": 32},
                        max_train=120, n_texts=24)
    assert_same_predictions(result)
    assert result.card["system"]["provided_by"]["dist"] == "tlbench-keras"
