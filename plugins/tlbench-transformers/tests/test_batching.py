from __future__ import annotations

import numpy as np
import pytest

from tlbench.errors import ConfigError
from tlbench_transformers import batching, models


@pytest.fixture(scope="module")
def tokenizer():
    return models.load_tokenizer(None)


def test_truncation_keeps_head_or_head_and_tail(tokenizer):
    text = " ".join(f"w{i}" for i in range(400)) + " the ending is great"
    head = batching.encode(tokenizer, [text], 24, "head").ids[0]
    both = batching.encode(tokenizer, [text], 24, "head+tail").ids[0]
    assert len(head) == len(both) == 24
    assert head[0] == both[0] == tokenizer.cls_token_id and head[-1] == both[-1] == tokenizer.sep_token_id
    assert tokenizer.decode(both[-4:-1]) == "ending is great"
    assert "great" not in tokenizer.decode(head)
    assert tokenizer.decode(both[1:3]) == tokenizer.decode(head[1:3])


def test_empty_and_short_texts_get_special_tokens_only(tokenizer):
    enc = batching.encode(tokenizer, ["", "   ", "fine"], 16)
    assert enc.ids[0] == [tokenizer.cls_token_id, tokenizer.sep_token_id] == enc.ids[1]
    assert len(enc.ids[2]) == 3


def test_bad_truncation_is_a_config_error(tokenizer):
    with pytest.raises(ConfigError, match="truncation"):
        batching.encode(tokenizer, ["x"], 16, "middle")


def test_buckets_cover_every_text_once_and_group_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 300, size=1000)
    train = batching.bucketed_batches(lengths, 16, np.random.default_rng(1))
    assert sorted(np.concatenate(train).tolist()) == list(range(1000))
    # Length bucketing: much less padding than random batches of the same size.
    pad_bucketed = sum(lengths[b].max() * len(b) - lengths[b].sum() for b in train)
    random_batches = np.array_split(rng.permutation(1000), len(train))
    pad_random = sum(lengths[b].max() * len(b) - lengths[b].sum() for b in random_batches)
    assert pad_bucketed < 0.3 * pad_random
    predict = batching.bucketed_batches(lengths, 16, None)
    assert np.all(np.diff(lengths[np.concatenate(predict)]) >= 0)


def test_collate_pads_to_the_longest_in_the_batch():
    enc = batching.Encoded([[1, 5, 2], [1, 2], [1, 7, 8, 9, 2]], pad_id=0)
    ids, mask = batching.collate(enc, np.array([0, 1]))
    assert ids.tolist() == [[1, 5, 2], [1, 2, 0]] and mask.tolist() == [[1, 1, 1], [1, 1, 0]]
