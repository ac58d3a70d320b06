"""`tlbench train` saves, `tlbench.load_model` restores in a fresh process: the same predictions."""

from __future__ import annotations

from tlbench.testing.model_roundtrip import check_round_trip


def test_word2vec_cnn_round_trip_in_a_fresh_process(tmp_path):
    check_round_trip("word2vec-cnn", tmp_path, "tlbench-gensim",
                     options={"embedding.dim": 16, "embedding.epochs": 1, "epochs": 2, "batch_size": 32},
                     max_train=120, n_texts=24)


def test_word2vec_mean_round_trip_in_a_fresh_process(tmp_path):
    check_round_trip("word2vec-mean", tmp_path, "tlbench-gensim",
                     options={"embedding.dim": 16, "embedding.min_count": 2, "embedding.epochs": 2},
                     max_train=120, n_texts=24)
