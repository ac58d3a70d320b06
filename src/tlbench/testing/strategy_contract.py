"""The contract every Strategy must pass: it declares what the runner reads, and runs on small real data.

Subclass it in a plugin's tests and implement ``make_strategy``::

    class TestMyStrategy(StrategyContract):
        def make_strategy(self):
            return MyStrategy(threshold=0.8)

The strategy runs with :class:`tlbench.testing.dummies.KeywordSystem` (which offers every capability but
``import_embedding``) from Rotten Tomatoes sentences (source) to IMDB reviews (target); override ``make_system``
to run it with your own system.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.errors import TlbenchError
from tlbench.system import CAPABILITIES, Context, Strategy, System
from tlbench.testing.data import small_sentiment
from tlbench.testing.dummies import KeywordSystem


class ContractTarget:
    """The target side a strategy sees (see tlbench.system.TargetSide)."""

    def __init__(self, train: Split, valid: Split, unlabeled: Sequence[str]) -> None:
        self.train, self.valid, self._unlabeled = train, valid, unlabeled

    def unlabeled(self) -> Sequence[str]:
        return self._unlabeled


class ContractSource(ContractTarget):
    """The source side (see tlbench.system.SourceSide); counts how often the source model was asked for."""

    def __init__(self, train: Split, valid: Split, new_system) -> None:
        super().__init__(train, valid, list(train.texts))
        self._new_system = new_system
        self.model: System | None = None
        self.asked = 0

    def texts(self) -> Sequence[str]:
        return self._unlabeled

    def fitted(self, ctx: Context) -> System:
        self.asked += 1
        if self.model is None:
            self.model = self._new_system().fit(self.train, self.valid, ctx.child(info={}))
        return self.model


def _train_valid(corpus: str, n_train: int, n_valid: int) -> tuple[Split, Split]:
    """Disjoint, shuffled, class-balanced training and validation slices of a sentiment corpus."""
    both = small_sentiment(corpus, "train", n_train + n_valid, seed=0)
    order = np.random.default_rng(0).permutation(len(both))
    return both.subset(order[:n_train]), both.subset(order[n_train:])


class _Bare:
    """A system with no optional capability at all."""

    name = "bare"

    def fit(self, train, valid, ctx):
        return self

    def predict_proba(self, texts):
        return np.full((len(texts), 2), 0.5)

    def get_config(self):
        return {"name": self.name}


class StrategyContract:
    #: Accuracy the strategy's model must reach on the IMDB held-out slice (chance: 0.5).
    min_accuracy = 0.55

    def make_strategy(self):  # pragma: no cover - to implement
        raise NotImplementedError

    def make_system(self) -> System:
        return KeywordSystem()

    def context(self) -> Context:
        return Context(device=Device("cpu"), seed=0)

    def sides(self) -> tuple[ContractSource, ContractTarget]:
        source = ContractSource(*_train_valid("rotten-tomatoes", 300, 60), self.make_system)
        pool = list(small_sentiment("imdb", "train", 400, seed=5).texts)
        return source, ContractTarget(*_train_valid("imdb", 200, 40), pool)

    # -- the checks ------------------------------------------------------------------------------------
    def test_declares_what_the_runner_reads(self):
        strategy = self.make_strategy()
        assert isinstance(strategy, Strategy), "missing an attribute or method of tlbench.Strategy"
        assert isinstance(strategy.name, str) and strategy.name
        assert set(strategy.requires) <= set(CAPABILITIES), f"unknown capabilities in {strategy.requires}"
        for flag in ("uses_source", "uses_target", "uses_source_model"):
            assert isinstance(getattr(strategy, flag), bool), f"{flag} must be a bool"
        config = strategy.get_config()
        assert json.loads(json.dumps(config)) == config and config.get("name") == strategy.name

    def test_unsupported(self):
        strategy = self.make_strategy()
        assert strategy.unsupported(self.make_system()) is None
        reason = strategy.unsupported(_Bare())
        if strategy.requires:
            assert isinstance(reason, str) and reason, "a system lacking the required capabilities must be refused"
        else:
            assert reason is None

    def test_run(self):
        strategy = self.make_strategy()
        source, target = self.sides()
        before = (list(target.train.texts), target.train.labels.copy())
        model = strategy.run(self.make_system, source, target, self.context())
        assert list(target.train.texts) == before[0] and np.array_equal(target.train.labels, before[1])
        assert (source.asked > 0) == strategy.uses_source_model, \
            f"uses_source_model={strategy.uses_source_model} but source.fitted was called {source.asked} times"
        test = small_sentiment("imdb", "test", 120, seed=0)
        proba = np.asarray(model.predict_proba(list(test.texts)))
        assert proba.shape == (len(test), 2) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-4)
        accuracy = float((proba.argmax(axis=1) == test.labels).mean())
        assert accuracy >= self.min_accuracy, f"accuracy {accuracy:.3f} < {self.min_accuracy}"

    def test_without_source(self):
        strategy = self.make_strategy()
        _, target = self.sides()
        if strategy.uses_source:
            with pytest.raises(TlbenchError):
                strategy.run(self.make_system, None, target, self.context())
        else:
            model = strategy.run(self.make_system, None, target, self.context())
            assert np.asarray(model.predict_proba(["a fine film"])).shape == (1, 2)
