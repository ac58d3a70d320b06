"""`tlbench train` saves, `tlbench.load_model` restores in a fresh process: the same predictions."""

from __future__ import annotations

from tlbench.testing.model_roundtrip import check_moved, check_round_trip


def test_elmo_tiny_round_trip_in_a_fresh_process(tmp_path):
    result = check_round_trip("elmo-tiny", tmp_path, "tlbench-elmo",
                              options={"epochs": 1, "max_tokens": 3000, "max_len": 64, "cpu_threads": 1},
                              max_train=120, n_texts=24)
    system = check_moved(result, tmp_path / "model", "cpu").system
    assert str(system.device_) == "cpu"
    assert {p.device.type for m in (system.model_, system.pretrained_.bilm) for p in m.parameters()} == {"cpu"}
