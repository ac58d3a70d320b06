"""The word2vec embedding: training, caching, domain-adaptive continuation, loading files, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tlbench.device import Device
from tlbench.errors import ConfigError, DataError
from tlbench.system import Context
from tlbench.testing import small_sentiment
from tlbench.testing.contracts import EmbeddingContract
from tlbench_gensim.word2vec import Word2VecEmbedding


def small(**options) -> Word2VecEmbedding:
    return Word2VecEmbedding(**{"dim": 32, "min_count": 2, "epochs": 3, **options})


class TestWord2VecContract(EmbeddingContract):
    def make_embedding(self):
        texts = small_sentiment("imdb", "train", 300, seed=0).texts
        return small().fit(texts, Context(device=Device("cpu")))


def test_fit_trains_vectors_on_the_given_text(imdb_train, make_ctx):
    ctx = make_ctx()
    emb = small()
    assert not emb.is_fitted
    assert emb.fit(imdb_train.texts, ctx) is emb and emb.is_fitted
    matrix, found = emb.lookup(["good", "bad", "film", "zzqqxv"])
    assert matrix.dtype == np.float32 and matrix.shape == (4, 32)
    assert found.tolist() == [True, True, True, False] and not matrix[3].any()
    step = ctx.info["word2vec"][0]
    assert step["cached"] is False and step["texts"] == len(imdb_train) and step["words_per_s"] > 0


def test_vectors_are_cached_by_content_and_reused(imdb_train, make_ctx):
    first = small().fit(imdb_train.texts, make_ctx())
    ctx = make_ctx()
    second = small().fit(list(imdb_train.texts), ctx)
    assert ctx.info["word2vec"] == [{"step": "fit", "cached": True, "vocab": len(first.words())}]
    words = first.words()[:50]
    assert np.array_equal(first.lookup(words)[0], second.lookup(words)[0])
    # Other text or other options are another key: trained, not reused.
    ctx = make_ctx()
    small(window=3).fit(imdb_train.texts, ctx)
    assert ctx.info["word2vec"][0]["cached"] is False
    ctx = make_ctx()
    small().fit(imdb_train.texts[:300], ctx)
    assert ctx.info["word2vec"][0]["cached"] is False


def test_fit_keeps_vectors_it_already_has(imdb_train, rt_texts, make_ctx):
    emb = small().fit(imdb_train.texts, make_ctx())
    before = emb.lookup(["good"])[0]
    emb.fit(rt_texts, make_ctx())
    assert np.array_equal(emb.lookup(["good"])[0], before)


def test_streamed_tokens_train_like_the_corpus_file(imdb_train, make_ctx):
    emb = small(corpus_file=False).fit(imdb_train.texts, make_ctx(with_cache=False))
    assert emb.lookup(["good", "movie"])[1].all()
    reference = small().fit(imdb_train.texts, make_ctx(with_cache=False))
    assert set(emb.words()) == set(reference.words())


def test_adapt_trains_on_source_then_continues_on_target(imdb_train, rt_texts, make_ctx):
    source_only = small().fit(rt_texts, make_ctx())
    ctx = make_ctx()
    adapted = small()
    adapted.adapt(imdb_train.texts, ctx, source_texts=rt_texts)
    steps = ctx.info["word2vec"]
    # The source step is the very model fit() trained on that text: reused from the cache.
    assert [s["step"] for s in steps] == ["adapt", "adapt"] and [s["cached"] for s in steps] == [True, False]
    target_only_words = set(adapted.words()) - set(source_only.words())
    assert target_only_words, "target-domain words must join the vocabulary"
    shared = [w for w in ("good", "bad", "movie", "film") if w in source_only.words()]
    assert not np.allclose(adapted.lookup(shared)[0], source_only.lookup(shared)[0])
    # The whole chain is cached too.
    ctx = make_ctx()
    again = small()
    again.adapt(imdb_train.texts, ctx, source_texts=rt_texts)
    assert [s["cached"] for s in ctx.info["word2vec"]] == [True]
    assert np.array_equal(again.lookup(shared)[0], adapted.lookup(shared)[0])


def test_adapt_without_source_trains_on_target(imdb_train, make_ctx):
    emb = small()
    emb.adapt(imdb_train.texts, make_ctx())
    assert emb.is_fitted and emb.lookup(["movie"])[1].all()


def test_bad_text_gets_clear_errors(imdb_train, make_ctx):
    with pytest.raises(DataError, match="no unlabeled target text"):
        small().adapt([], make_ctx(), source_texts=imdb_train.texts)
    with pytest.raises(DataError, match="contain no words"):
        small().fit(["", "  ", "..."], make_ctx())
    with pytest.raises(DataError, match="min_count"):
        small(min_count=50).fit(["one two three", "four five"], make_ctx())
    with pytest.raises(DataError, match="no text to train on"):
        small().fit([], make_ctx())
    with pytest.raises(ConfigError, match="no vectors yet"):
        small().lookup(["good"])


def test_config_and_construction_are_cheap():
    emb = Word2VecEmbedding(path="/nowhere/vectors.bin", window=8)
    config = emb.get_config()
    assert config["name"] == "word2vec" and config["path"] == "/nowhere/vectors.bin" and config["window"] == 8
    assert emb.is_fitted  # loaded lazily; nothing was read yet
    with pytest.raises(DataError, match="does not exist"):
        emb.lookup(["good"])
