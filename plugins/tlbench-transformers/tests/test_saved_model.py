"""`tlbench train` saves, `tlbench.load_model` restores in a fresh process: the same predictions."""

from __future__ import annotations

from tlbench.testing.model_roundtrip import check_moved, check_round_trip


def test_bert_round_trip_in_a_fresh_process(tmp_path):
    result = check_round_trip("bert", tmp_path, "tlbench-transformers",
                              options={"max_length": 32, "epochs": 1, "batch_size": 16, "eval_batch_size": 16, "threads": 2},
                              max_train=48, n_texts=16)
    system = check_moved(result, tmp_path / "model", "cpu").system
    assert str(system.device_) == "cpu" and system.precision_ is None
    assert {p.device.type for p in system.model_.parameters()} == {"cpu"}
