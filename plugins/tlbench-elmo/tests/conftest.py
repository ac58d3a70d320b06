import pytest
import torch

from tlbench_elmo import pretrain


@pytest.fixture(autouse=True)
def _few_threads():
    # The test machine is shared: one thread is faster than two when the cores are oversubscribed.
    torch.set_num_threads(1)


@pytest.fixture
def fresh_memo():
    """No biLM reuse from earlier tests in this process (for tests that count pretraining runs)."""
    saved = dict(pretrain._MEMO)
    pretrain._MEMO.clear()
    yield
    pretrain._MEMO.clear()
    pretrain._MEMO.update(saved)
