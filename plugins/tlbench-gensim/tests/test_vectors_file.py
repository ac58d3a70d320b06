"""Pretrained vectors from files: every format gensim writes, GloVe text, and damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from tlbench.errors import DataError
from tlbench_gensim.vectors_file import load_vectors
from tlbench_gensim.word2vec import Word2VecEmbedding

WORDS = ["good", "bad", "movie", "film", "great", "awful"]


@pytest.fixture
def keyed_vectors():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(8)
    kv.add_vectors(WORDS, np.random.default_rng(0).normal(size=(len(WORDS), 8)).astype(np.float32))
    return kv


@pytest.mark.parametrize("name, save", [
    ("vectors.txt", lambda kv, p: kv.save_word2vec_format(str(p), binary=False)),
    ("vectors.bin", lambda kv, p: kv.save_word2vec_format(str(p), binary=True)),
    ("vectors.dat", lambda kv, p: kv.save_word2vec_format(str(p), binary=True)),  # binary sniffed, not named
    ("vectors.txt.gz", lambda kv, p: kv.save_word2vec_format(str(p), binary=False)),
    ("vectors.kv", lambda kv, p: kv.save(str(p))),
])
def test_every_format_loads_the_same_vectors(tmp_path, keyed_vectors, name, save):
    path = tmp_path / name
    save(keyed_vectors, path)
    emb = Word2VecEmbedding(path=str(path))
    assert emb.is_fitted and emb.dim == 8
    matrix, found = emb.lookup([*WORDS, "unknown"])
    assert found.tolist() == [True] * len(WORDS) + [False]
    assert np.allclose(matrix[: len(WORDS)], keyed_vectors[WORDS], atol=1e-5)


def test_glove_text_without_header(glove_file):
    emb = Word2VecEmbedding(path=str(glove_file))
    assert emb.dim == 50
    matrix, found = emb.lookup(["good", "bad", "movie"])
    assert found.all()
    # Real GloVe vectors: "good" and "bad" occur in the same contexts, so they point the same way.
    g, b = matrix[0], matrix[1]
    assert np.dot(g, b) / np.linalg.norm(g) / np.linalg.norm(b) > 0.5


def test_model_file_loads_and_continues_training(tmp_path, imdb_train, make_ctx):
    from gensim.models import Word2Vec

    model = Word2Vec([t.lower().split() for t in imdb_train.texts[:100]], vector_size=16, min_count=2, epochs=1,
                     workers=1, seed=0)
    path = tmp_path / "w2v.model"
    model.save(str(path))
    emb = Word2VecEmbedding(path=str(path), epochs=2)
    assert emb.dim == 16 and emb.lookup(["the"])[1].all()
    before = emb.lookup(["the"])[0].copy()
    emb.fit(imdb_train.texts, make_ctx())  # loaded and train_on_text=False: fit changes nothing
    assert np.array_equal(emb.lookup(["the"])[0], before)
    ctx = make_ctx()
    emb.adapt(imdb_train.texts, ctx)
    assert not np.allclose(emb.lookup(["the"])[0], before)
    assert ctx.info["word2vec"][0]["seeded_from_pretrained"] == 0  # a full model continues as it is
    # The shared, loaded model was not changed for the next cell.
    assert np.allclose(Word2VecEmbedding(path=str(path)).lookup(["the"])[0], before)


def test_pretrained_vectors_seed_adaptation(tmp_path, keyed_vectors, imdb_train, make_ctx):
    path = tmp_path / "vectors.txt"
    keyed_vectors.save_word2vec_format(str(path))
    ctx = make_ctx()
    emb = Word2VecEmbedding(path=str(path), min_count=3, epochs=2)
    emb.adapt(imdb_train.texts, ctx)
    step = ctx.info["word2vec"][0]
    assert step["seeded_from_pretrained"] == len(WORDS)
    # Pretrained words stay in the vocabulary whatever min_count says; new domain words join it.
    assert emb.lookup(WORDS)[1].all() and emb.lookup(["the", "and"])[1].all()
    trained = Word2VecEmbedding(path=str(path), train_on_text=True, min_count=3, epochs=2)
    trained.fit(imdb_train.texts, make_ctx())
    assert trained.lookup(["the"])[1].all()


@pytest.mark.parametrize("binary", [False, True])
def test_truncated_file_is_a_clear_error(tmp_path, keyed_vectors, binary):
    path = tmp_path / ("vectors.bin" if binary else "vectors.txt")
    keyed_vectors.save_word2vec_format(str(path), binary=binary)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DataError, match=r"not a complete word-vector file.*truncated"):
        load_vectors(path)
    with pytest.raises(DataError, match=str(path.name)):
        Word2VecEmbedding(path=str(path)).lookup(["good"])


def test_damaged_and_missing_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_vectors(tmp_path / "nope.bin")
    bad = tmp_path / "bad.kv"
    bad.write_bytes(b"not a pickle at all")
    with pytest.raises(DataError, match="bad.kv"):
        load_vectors(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("0 8\n")
    with pytest.raises(DataError, match="no vectors"):
        load_vectors(empty)
