from __future__ import annotations

import numpy as np
import pytest

from tlbench.errors import DataError
from tlbench.testing.contracts import EmbeddingContract
from tlbench.embeddings.glove import GloveEmbedding, parse_glove_text


class TestPackagedGlove(EmbeddingContract):
    def make_embedding(self):
        return GloveEmbedding()

    def test_dim_and_known_vector(self):
        emb = GloveEmbedding()
        assert emb.dim == 50
        (vec,), (found,) = emb.lookup(["the"])
        # GloVe 6B 50d's vector for "the" starts 0.418 0.24968 -0.41242
        assert found and np.allclose(vec[:3], [0.418, 0.24968, -0.41242], atol=1e-4)

    def test_memory_mapped(self):
        assert isinstance(GloveEmbedding().table().matrix, np.memmap)


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


class TestTextFile:
    def test_lookup_from_text_file(self, tmp_path, cache_dir):
        path = _write(tmp_path / "glove.test.3d.txt", ["good 1 2 3", "bad -1 -2 -3", "a b 0.5 0.5 0.5"])
        emb = GloveEmbedding(path=str(path))
        assert emb.dim == 3
        matrix, found = emb.lookup(["bad", "nope", "good", "a b"])
        assert found.tolist() == [True, False, True, True]
        assert np.allclose(matrix[0], [-1, -2, -3]) and np.allclose(matrix[1], 0) and np.allclose(matrix[2], [1, 2, 3])
        assert any(cache_dir.rglob("vectors.npy")), "the text file is converted once into the cache"
        assert emb.get_config()["path"] == str(path)

    def test_wrong_field_count_names_the_line(self, tmp_path, cache_dir):
        path = _write(tmp_path / "glove.bad.3d.txt", ["good 1 2 3", "bad 1 2"])
        with pytest.raises(DataError, match=r":2: expected a word and 3 numbers"):
            GloveEmbedding(path=str(path)).lookup(["good"])

    def test_value_not_a_number(self, tmp_path):
        path = _write(tmp_path / "glove.nan.2d.txt", ["good 1 2", "bad 1 x"])
        with pytest.raises(DataError, match=r":2: a vector value is not a number"):
            parse_glove_text(path)

    def test_empty_file(self, tmp_path):
        path = tmp_path / "glove.empty.txt"
        path.write_text("")
        with pytest.raises(DataError, match="is empty"):
            parse_glove_text(path)

    def test_missing_file(self, tmp_path):
        with pytest.raises(DataError, match="does not exist"):
            GloveEmbedding(path=str(tmp_path / "nope.txt")).lookup(["a"])
