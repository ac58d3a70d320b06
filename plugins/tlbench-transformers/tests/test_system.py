from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import make_tiny

from tlbench.cache import ContentCache
from tlbench.corpora.base import Split
from tlbench.errors import ConfigError, DataError, Incompatible
from tlbench.strategies.domain_adaptive import DomainAdaptive
from tlbench.strategies.fine_tune import FineTune
from tlbench.strategies.frozen_features import FrozenFeatures
from tlbench.strategies.target_only import TargetOnly
from tlbench_transformers import features


def test_unknown_model_offline_is_one_line_naming_the_default(tiny_splits, ctx):
    system = make_tiny(model="no-such-org/no-such-model-tlbench", offline=True)
    with pytest.raises(ConfigError) as err:
        system.fit(tiny_splits[0], None, ctx)
    message = str(err.value)
    assert "\n" not in message and "model=PATH" in message and "MiniLM" in message


def test_bad_options_and_data_are_clear_errors(tiny_splits, ctx):
    with pytest.raises(ConfigError, match="precision"):
        make_tiny(precision="fp8").fit(tiny_splits[0], None, ctx)
    with pytest.raises(DataError, match="empty"):
        make_tiny().fit(Split([], np.array([], dtype=int), ("neg", "pos")), None, ctx)
    with pytest.raises(ConfigError, match="fit first"):
        make_tiny().predict_proba(["text"])


def test_training_is_seeded_and_reports_steps(tiny_splits):
    from tlbench.device import Device
    from tlbench.system import Context

    train, valid, test = tiny_splits
    train = train.head(16)
    runs = []
    for _ in range(2):
        events = []
        c = Context(device=Device("cpu"), seed=3, progress=events.append)
        runs.append((make_tiny().fit(train, valid, c).predict_proba(list(test.texts)), events, c.info))
    assert np.allclose(runs[0][0], runs[1][0], atol=1e-5)
    steps = [e for e in runs[0][1] if e.stage == "step"]
    assert [e.step for e in steps] == list(range(1, len(steps) + 1)) == [1, 2]
    assert all(e.total == 2 and np.isfinite(e.metrics["loss"]) for e in steps)
    assert runs[0][2]["best_epoch"] == 1 and 0.0 <= runs[0][2]["valid_accuracy"] <= 1.0


class Side(SimpleNamespace):
    """Stand-ins for the runner's source and target sides."""

    def fitted(self, ctx):
        if not hasattr(self, "model"):
            self.model = TargetOnly().run(self.new, None, SimpleNamespace(train=self.train, valid=self.valid), ctx)
        return self.model

    def texts(self):
        return list(self.train.texts)

    def unlabeled(self):
        return list(self.train.texts)


@pytest.fixture(scope="module")
def source(tiny_splits):
    """One source side for the transfer tests, its model fitted once."""
    train, valid, _ = tiny_splits
    return Side(train=train, valid=valid, new=make_tiny)


def test_frozen_features_train_only_the_head_and_reuse_features(tiny_splits, source, ctx, monkeypatch):
    train, valid, test = tiny_splits
    source_model = source.fitted(ctx)
    features._MEMORY.clear()  # earlier tests may have cached these very features
    calls = []
    real = features.compute
    monkeypatch.setattr(features, "compute", lambda model, enc, *a: calls.append(len(enc)) or real(model, enc, *a))
    target = Side(train=train.head(24), valid=valid)
    system = FrozenFeatures().run(make_tiny, source, target, ctx)
    assert ctx.info["tensors_copied"] > 50
    head = features.head_names(system.model_)
    for name, p in system.model_.named_parameters():
        if name not in head:
            assert torch.equal(p, source_model.model_.state_dict()[name]), name
    assert sum(calls) == 24 + 16
    # A second cell (another seed, a smaller fraction) computes no feature again.
    calls.clear()
    ctx2 = ctx.child(seed=1)
    again = FrozenFeatures().run(make_tiny, source, Side(train=train.head(16), valid=valid), ctx2)
    assert calls == []
    # Prediction from cached features equals the full model's forward pass.
    proba = again.predict_proba(list(test.texts))
    again.frozen_ = False
    assert np.allclose(proba, again.predict_proba(list(test.texts)), atol=1e-4)


def test_fine_tune_starts_from_the_source_model(tiny_splits, source, ctx):
    train, valid, test = tiny_splits
    tuned = FineTune().run(lambda: make_tiny(lr=1e-12), source, Side(train=train, valid=valid), ctx)
    # With a vanishing learning rate the tuned model is the source model, head included.
    assert ctx.info["tensors_copied"] == len(source.fitted(ctx).model_.state_dict())
    texts = list(test.texts)
    assert np.allclose(tuned.predict_proba(texts), source.fitted(ctx).predict_proba(texts), atol=1e-4)


def test_init_from_refuses_other_systems_and_other_label_counts(tiny_splits, source, ctx):
    train, valid, _ = tiny_splits
    with pytest.raises(Incompatible):
        make_tiny().init_from(object(), include_head=True, freeze_encoder=False)
    source = source.fitted(ctx)
    three = Split(list(train.texts), train.labels, ("neg", "neutral", "pos"))
    target = make_tiny()
    target.prepare(three, ctx)
    with pytest.raises(Incompatible, match="head"):
        target.init_from(source, include_head=True, freeze_encoder=False)
    assert target.init_from(source, include_head=False, freeze_encoder=False) > 50


def test_domain_adaptive_changes_the_encoder_and_caches_it(tiny_splits, ctx, tmp_path):
    train, valid, _ = tiny_splits
    ctx.cache = ContentCache(tmp_path)
    target = Side(train=train, valid=valid)
    options = {"adapt_steps": 2, "adapt_batch_size": 4, "adapt_max_length": 32, "epochs": 1, "max_steps": 1}
    adapted = DomainAdaptive(use_source=False).run(lambda: make_tiny(**options), None, target, ctx)
    assert ctx.info["adapt_steps"] == 2 and np.isfinite(ctx.info["adapt_mlm_loss_first"])
    entries = list((tmp_path / "bert-adapted").iterdir())
    assert len(entries) == 1 and (entries[0] / "encoder.safetensors").is_file()
    pretrained = make_tiny(max_steps=1)
    pretrained.prepare(train, ctx)
    name = "embeddings.word_embeddings.weight"
    assert not torch.equal(adapted.adapted_[name], pretrained.model_.base_model.state_dict()[name])
    # Same texts, same budget: read from the cache, identical weights.
    again = make_tiny(**options)
    again.adapt(list(train.texts), ctx)
    assert all(torch.equal(again.adapted_[k], v) for k, v in adapted.adapted_.items())
    with pytest.raises(DataError, match="unlabeled"):
        make_tiny(**options).adapt([], ctx)
