"""`tlbench train` saves, `tlbench.load_model` restores in a fresh process (and on the chosen device): the same
predictions."""

from __future__ import annotations

from tlbench.testing.model_roundtrip import check_moved, check_round_trip


def test_minilm_lr_round_trip_and_device(tmp_path):
    result = check_round_trip("minilm-lr", tmp_path, "tlbench-setfit",
                              options={"max_length": 32, "encode_batch_size": 32}, max_train=48, n_texts=16)
    system = check_moved(result, tmp_path / "model", "cpu").system
    assert system.body_.device.type == "cpu"
