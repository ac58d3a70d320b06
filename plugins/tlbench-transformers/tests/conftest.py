"""Small, fast settings: tests check behaviour on tiny slices, never accuracy or speed."""

from __future__ import annotations

import pytest

from tlbench.device import Device
from tlbench.system import Context
from tlbench.testing import small_sentiment

TINY = {"max_length": 32, "epochs": 1, "batch_size": 8, "eval_batch_size": 16, "threads": 2,
        "adapt_steps": 2, "adapt_batch_size": 4, "adapt_max_length": 32}


@pytest.fixture(scope="session")
def tiny_splits():
    train = small_sentiment("imdb", "train", 32, seed=0)
    valid = small_sentiment("imdb", "train", 48, seed=1).head(16)
    test = small_sentiment("imdb", "test", 16, seed=0)
    return train, valid, test


@pytest.fixture
def ctx():
    return Context(device=Device("cpu"), seed=0)


def make_tiny(**options):
    from tlbench_transformers.system import BertSystem

    return BertSystem(**{**TINY, **options})
