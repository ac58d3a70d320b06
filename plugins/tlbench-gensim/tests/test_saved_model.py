"""`tlbench train` saves, `tlbench.load_model` restores in a fresh process: the same predictions."""

from __future__ import annotations

from tlbench.testing.model_roundtrip import assert_same_predictions, round_trip


def test_word2vec_cnn_round_trip_in_a_fresh_process(tmp_path, monkeypatch):
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    result = round_trip("word2vec-cnn", tmp_path / "model",
                        options={"embedding.dim": 16, "embedding.epochs": 1, "epochs": 2, "batch_size": 32},
                        max_train=120, n_texts=24)
    assert_same_predictions(result)
    assert result.card["system"]["provided_by"]["dist"] == "tlbench-gensim"


def test_word2vec_mean_round_trip_in_a_fresh_process(tmp_path, monkeypatch):
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    result = round_trip("word2vec-mean", tmp_path / "model",
                        options={"embedding.dim": 16, "embedding.min_count": 2, "embedding.epochs": 2},
                        max_train=120, n_texts=24)
    assert_same_predictions(result)
    assert result.card["system"]["provided_by"]["dist"] == "tlbench-gensim"
