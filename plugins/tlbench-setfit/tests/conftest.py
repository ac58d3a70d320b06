"""Small, fast settings: tests check behaviour on tiny slices, never accuracy or speed."""

from __future__ import annotations

TINY = {"max_length": 32, "train_max_length": 32, "batch_size": 8, "encode_batch_size": 32}


def make(name: str, **options):
    from tlbench_setfit.system import SentenceEmbeddingLR, SetFitSystem

    cls = SetFitSystem if name == "setfit" else SentenceEmbeddingLR
    return cls(**{**TINY, **options})
