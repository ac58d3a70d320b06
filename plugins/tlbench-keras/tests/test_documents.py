from __future__ import annotations

import numpy as np
import pytest

from tlbench.errors import DataError
from tlbench_keras.documents import OOV, PAD, RESERVED, DocumentShaper


def test_grid_shape_ids_and_cut():
    texts = ["Good movie. Bad plot!", "good good good good"]
    shaper, cut = DocumentShaper.from_texts(texts, max_sentences=2, max_words=3)
    assert shaper.words[0] == "good"  # most frequent first
    grid = shaper.ids(texts, cut)
    assert grid.shape == (2, 2, 3) and grid.dtype == np.int32
    good = shaper.index["good"]
    assert good == RESERVED
    # "good good good good" is one sentence cut to 3 words; its second sentence is padding.
    assert grid[1, 0].tolist() == [good] * 3 and grid[1, 1].tolist() == [PAD] * 3
    # "bad plot !" -> three tokens in the second sentence of the first text.
    assert grid[0, 1].tolist() == [shaper.index["bad"], shaper.index["plot"], shaper.index["!"]]
    assert np.array_equal(shaper.ids(texts), grid)


def test_unknown_and_empty_texts():
    shaper, _ = DocumentShaper.from_texts(["good movie"], 3, 4)
    grid = shaper.ids(["unseen words here", "", "  ...  "])
    assert grid[0, 0, :3].tolist() == [OOV] * 3
    assert (grid[1:] == PAD).all()
    stats = DocumentShaper.token_stats(grid)
    assert stats["empty_docs"] == pytest.approx(2 / 3) and stats["oov_token_rate"] == 1.0


def test_min_count_and_max_size():
    shaper, _ = DocumentShaper.from_texts(["a a b b c"], 5, 10, min_count=2)
    assert shaper.words == ["a", "b"]
    shaper, _ = DocumentShaper.from_texts(["a a b b c"], 5, 10, max_size=1)
    assert shaper.words == ["a"]


def test_empty_vocabulary_is_a_clear_error():
    with pytest.raises(DataError, match="empty vocabulary"):
        DocumentShaper.from_texts(["", "...", "  "], 10, 30)


def test_head_and_head_plus_tail_truncation():
    text = "One a. Two b. Three c. Four d. Five e. Verdict great."
    first = [s[0] for s in DocumentShaper._cut(text, 4, 2)]
    assert first == ["one", "two", "three", "four"]
    ends = [s[0] for s in DocumentShaper._cut(text, 4, 2, "head+tail")]
    assert ends == ["one", "two", "five", "verdict"]  # first half and last half: the verdict is kept
    assert [s[0] for s in DocumentShaper._cut(text, 3, 2, "head+tail")] == ["one", "two", "verdict"]
    assert [s[0] for s in DocumentShaper._cut(text, 1, 2, "head+tail")] == ["one"]
    # a document that fits is left whole, in order, by either rule
    assert DocumentShaper._cut("A b. C d.", 4, 5, "head+tail") == DocumentShaper._cut("A b. C d.", 4, 5)
    shaper, cut = DocumentShaper.from_texts([text], 4, 2, truncate="head+tail")
    assert np.array_equal(shaper.ids([text]), shaper.ids([text], cut))
    assert shaper.index["verdict"] >= RESERVED
