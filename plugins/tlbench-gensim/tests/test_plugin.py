"""The plugin as tlbench sees it: registration, light imports, the presets under the generic strategies."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tlbench.plugins import get_registry
from tlbench.strategies.domain_adaptive import DomainAdaptive
from tlbench.strategies.embedding_transfer import EmbeddingTransfer
from tlbench.strategies.target_only import TargetOnly
from tlbench.testing import small_sentiment


def test_components_are_registered():
    registry = get_registry()
    for kind, name in [("embedding", "word2vec"), ("encoder", "mean-lr"), ("system", "word2vec-cnn"),
                       ("system", "word2vec-mean")]:
        assert (kind, name) in registry
        assert registry.get(kind, name).dist == "tlbench-gensim"
    assert registry.get("system", "word2vec-cnn").parts == {"embedding": "word2vec", "encoder": "cnn-doc"}


def test_listing_and_creating_import_no_heavy_library():
    code = (
        "import sys; from tlbench.plugins import get_registry; r = get_registry();"
        "s = r.create_system('word2vec-mean', {'embedding.dim': 20}); c = s.get_config();"
        "assert c['embedding']['dim'] == 20, c;"
        "heavy = [m for m in ('gensim', 'tensorflow', 'torch', 'transformers', 'sklearn') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class Target:
    def __init__(self, train, valid, unlabeled):
        self.train, self.valid, self._unlabeled = train, valid, unlabeled

    def unlabeled(self):
        return self._unlabeled


class Source:
    """A source side as the runner gives it: a system fitted once on the source, and the source's texts."""

    def __init__(self, train, new_system):
        self.train, self.valid = train, None
        self._new, self._model = new_system, None

    def texts(self):
        return list(self.train.texts)

    def fitted(self, ctx):
        if self._model is None:
            self._model = self._new().fit(self.train, None, ctx.child(unlabeled=self.texts(), info={}))
        return self._model


@pytest.mark.parametrize("strategy", [TargetOnly(), EmbeddingTransfer(), DomainAdaptive()])
def test_word2vec_mean_runs_under_the_strategies(strategy, make_ctx):
    registry = get_registry()

    def new_system():
        return registry.create_system("word2vec-mean", {"embedding.dim": 32, "embedding.min_count": 2,
                                                        "embedding.epochs": 3})

    target_all = small_sentiment("imdb", "train", 360, seed=2)
    train, valid = target_all.head(300), target_all.subset(np.arange(300, 360))
    unlabeled = list(train.texts)
    source = Source(small_sentiment("rotten-tomatoes", "train", 1500, seed=0), new_system)
    assert strategy.unsupported(new_system()) is None
    ctx = make_ctx(unlabeled=unlabeled)
    system = strategy.run(new_system, source, Target(train, valid, unlabeled), ctx)
    test = small_sentiment("imdb", "test", 100, seed=0)
    proba = system.predict_proba(list(test.texts))
    assert proba.shape == (100, 2) and np.allclose(proba.sum(axis=1), 1.0)
    if strategy.name == "embedding-transfer":
        assert ctx.info["vectors_updated"] > 100
    if strategy.name == "domain-adaptive":
        steps = ctx.info["word2vec"]
        assert [s["texts"] for s in steps] == [len(source.texts()), len(unlabeled)]
        assert ctx.info["adapt_source_texts"] == len(source.texts())
