"""The built-in components pass the same contract suites third-party plugins use."""

from __future__ import annotations

import pytest

from tlbench.corpora.base import CorpusOptions
from tlbench.plugins import get_registry
from tlbench.systems.tfidf_lr import TfidfLR
from tlbench.testing.contracts import CorpusContract, StrategyContract, SystemContract
from tlbench.testing.data import data_cache_dir
from tlbench.testing.dummies import KeywordSystem

STRATEGIES = ["target-only", "zero-shot", "pooled", "embedding-transfer", "weight-transfer", "fine-tune",
              "frozen-features", "domain-adaptive", "self-training"]


def test_every_builtin_strategy_is_covered():
    builtin = [c.name for c in get_registry().components("strategy") if c.plugin == "core"]
    assert sorted(builtin) == sorted(STRATEGIES)


@pytest.mark.parametrize("name", STRATEGIES)
class TestBuiltinStrategy(StrategyContract):
    @pytest.fixture(autouse=True)
    def _name(self, name):
        self.strategy_name = name

    def make_strategy(self):
        return get_registry().create_strategy(self.strategy_name, {})


class TestTfidfLR(SystemContract):
    min_accuracy = 0.6
    min_multiclass_accuracy = 0.6

    def make_system(self):
        return TfidfLR(C_grid=(1.0, 4.0))


class TestKeywordSystem(SystemContract):
    """The test dummy is a real (binary) learner: it must pass the binary checks too."""

    min_multiclass_accuracy = None

    def make_system(self):
        return KeywordSystem()


@pytest.mark.parametrize("name", ["imdb", "rotten-tomatoes"])
class TestBuiltinCorpus(CorpusContract):
    @pytest.fixture(autouse=True)
    def _name(self, name):
        self.corpus_name = name

    def corpus_options(self, tmp_path):
        return CorpusOptions(cache_dir=data_cache_dir())  # parse the package once for all tests

    def make_corpus(self, options: CorpusOptions):
        return get_registry().get("corpus", self.corpus_name).resolve()(options)


class TestUserFileCorpus(CorpusContract):
    @pytest.fixture(autouse=True)
    def _file(self, tmp_path):
        self.path = tmp_path / "reviews.csv"
        rows = ["text,label"] + [f'"review {i} was {"great" if i % 2 else "awful"}",{"pos" if i % 2 else "neg"}'
                                 for i in range(40)]
        self.path.write_text("\n".join(rows) + "\n")

    def make_corpus(self, options: CorpusOptions):
        from tlbench.corpora.resolve import open_path

        return open_path(self.path, options)


class _Majority(KeywordSystem):
    """Learns nothing: predicts the training majority class."""

    def predict_proba(self, texts):
        import numpy as np

        p = np.zeros((len(texts), len(self.label_names_)))
        p[:, int(np.argmax(np.exp(self.prior_)))] = 1.0
        return p


def test_system_contract_can_fail():
    class Contract(SystemContract):
        def make_system(self):
            return _Majority()

    with pytest.raises(AssertionError, match="accuracy"):
        Contract().test_fit_predict_proba()


def test_strategy_contract_catches_a_wrong_declaration():
    from tlbench.strategies.target_only import TargetOnly

    class Liar(TargetOnly):
        name = "liar"
        uses_source_model = True  # but never asks for the source model

    class Contract(StrategyContract):
        def make_strategy(self):
            return Liar()

    with pytest.raises(AssertionError, match="uses_source_model"):
        Contract().test_run()
