"""The elmo system under tlbench's generic strategies, on small real slices."""

from dataclasses import dataclass

import numpy as np
import pytest

from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.errors import ConfigError, DataError, Incompatible
from tlbench.strategies.domain_adaptive import DomainAdaptive
from tlbench.strategies.embedding_transfer import EmbeddingTransfer
from tlbench.strategies.fine_tune import FineTune
from tlbench.strategies.target_only import TargetOnly
from tlbench.system import Context
from tlbench.testing import small_sentiment
from tlbench_elmo.system import ElmoSystem, load_system


def make():
    return ElmoSystem("tiny", epochs=2, max_tokens=6000, max_len=96, cpu_threads=1)


@dataclass
class Target:
    train: Split
    valid: Split | None
    extra: tuple = ()

    def unlabeled(self):
        return [*self.extra, *self.train.texts]


class Source:
    def __init__(self, train):
        self.train, self.valid = train, None
        self.model = None

    def texts(self):
        return list(self.train.texts)

    def fitted(self, ctx):
        if self.model is None:
            self.model = make().fit(self.train, None, ctx.child(unlabeled=self.texts(), info={}))
        return self.model


@pytest.fixture(scope="module")
def data():
    target_train = small_sentiment("imdb", "train", 100, seed=3)
    source_train = small_sentiment("rotten-tomatoes", "train", 300, seed=0)
    test = small_sentiment("imdb", "test", 40)
    return Target(target_train, None, extra=tuple(small_sentiment("imdb", "train", 140, seed=4).texts)), \
        Source(source_train), test


def ctx_for(target=None):
    return Context(device=Device("cpu"), seed=1, unlabeled=target.unlabeled() if target else ())


def test_target_only_pretrains_on_target_unlabeled_text(data):
    target, _, test = data
    ctx = ctx_for(target)
    system = TargetOnly().run(make, None, target, ctx)
    assert ctx.info["lm_text"] == "unlabeled" and ctx.info["lm_perplexity"] > 1
    assert ctx.info["lm_tokens_trained"] >= 6000 and ctx.info["lm_heldout_tokens"] > 0
    assert system.predict_proba(list(test.texts)).shape == (len(test), 2)


def test_embedding_transfer_uses_the_source_bilm_without_pretraining_again(data):
    target, source, test = data
    ctx = ctx_for(target)
    assert EmbeddingTransfer().unsupported(make()) is None
    system = EmbeddingTransfer().run(make, source, target, ctx)
    source_model = source.fitted(ctx)
    assert ctx.info["embedding_tensors_copied"] == len(source_model.pretrained_.bilm.state_dict())
    assert system.pretrained_.key == source_model.pretrained_.key  # fit did not re-pretrain
    assert system.pretrained_.bilm is not source_model.pretrained_.bilm  # a copy, not shared
    assert np.isfinite(system.predict_proba(list(test.texts))).all()


def test_domain_adaptive_continues_the_source_bilm_on_target_text(data):
    target, source, _ = data
    ctx = ctx_for(target)
    system = DomainAdaptive().run(make, source, target, ctx)
    source_key = source.fitted(ctx_for()).pretrained_.key
    info = system.pretrained_.info
    assert info["continued_from"] == source_key and info["lm_text"] == "source+target"
    assert info["words_added"] > 0 and len(system.pretrained_.vocab) > len(source.fitted(ctx).pretrained_.vocab)
    assert ctx.info["lm_perplexity"] > 1 and ctx.info["lm_source_perplexity"] > 1


def test_fine_tune_copies_biLM_and_classifier(data):
    target, source, test = data
    ctx = ctx_for(target)
    system = FineTune().run(make, source, target, ctx)
    n_bilm = len(system.pretrained_.bilm.state_dict())
    assert ctx.info["tensors_copied"] > n_bilm
    assert system.predict_proba(list(test.texts)).shape == (len(test), 2)


def test_finetuned_bilm_changes_and_frozen_one_does_not(data):
    target, _, _ = data
    ctx = ctx_for(target)
    options = {"epochs": 1, "max_tokens": 6000, "max_len": 96, "cpu_threads": 1}
    frozen = ElmoSystem("tiny", **options).fit(target.train, None, ctx)
    tuned = ElmoSystem("tiny", finetune_bilm=True, **options).fit(target.train, None, ctx_for(target))
    a, b = frozen.pretrained_.bilm.state_dict(), tuned.pretrained_.bilm.state_dict()
    from tlbench_elmo.pretrain import _MEMO

    original = _MEMO[frozen.pretrained_.key].bilm.state_dict()
    assert all((a[k] == original[k]).all() for k in a)
    assert any(not (b[k] == original[k]).all() for k in b)


def test_save_and_load_system_by_path(data, tmp_path):
    target, _, test = data
    system = make().fit(target.train, None, ctx_for(target))
    system.save(tmp_path)
    restored = load_system(tmp_path)
    texts = list(test.texts[:8])
    assert restored.get_config() == system.get_config()
    assert np.allclose(restored.predict_proba(texts), system.predict_proba(texts), atol=1e-6)
    with pytest.raises(DataError, match="no saved elmo"):
        load_system(tmp_path / "missing")


def test_bad_input_gets_clear_errors(data):
    target, _, _ = data
    with pytest.raises(ConfigError, match="before predict_proba"):
        make().predict_proba(["text"])
    with pytest.raises(DataError, match="empty"):
        make().fit(target.train.head(0), None, ctx_for())
    unlabeled = Split(["a text"], np.array([-1]), ("neg", "pos"))
    with pytest.raises(DataError, match="labels outside"):
        make().fit(unlabeled, None, ctx_for())
    with pytest.raises(DataError, match="needs unlabeled target text"):
        make().adapt([], ctx_for())
    with pytest.raises(Incompatible, match="fitted elmo"):
        make().import_embedding(make())


def test_long_documents_keep_head_and_tail(data):
    target, _, _ = data
    system = make().fit(target.train, None, ctx_for(target))
    vocab = system.pretrained_.vocab
    words = [w for w in vocab.words[3:13]]
    text = " ".join([words[0]] * 50 + [words[1]] * 500 + [words[2]] * 50)
    ids = system._encode([text])[0]
    keep = system.options["max_len"]
    assert len(ids) == keep
    assert ids[1] == vocab.index[words[0]] and ids[-2] == vocab.index[words[2]]
    head = ElmoSystem("tiny", truncate="head")
    head.pretrained_ = system.pretrained_
    assert head._encode([text])[0][-2] == vocab.index[words[1]]


def test_small_training_sets_get_at_least_min_steps_updates(data):
    target, _, _ = data
    epochs = []
    ctx = Context(device=Device("cpu"), unlabeled=target.unlabeled(),
                  progress=lambda event: epochs.append(event.step) if event.stage == "epoch" else None)
    system = ElmoSystem("tiny", epochs=1, min_steps=5, batch_size=32, max_tokens=6000, max_len=96, cpu_threads=1)
    system.fit(target.train.head(20), None, ctx)  # one batch per epoch
    assert epochs == [1, 2, 3, 4, 5]


def test_a_cell_does_not_depend_on_what_ran_before_it(data):
    target, _, test = data
    texts = list(test.texts[:10])
    first = make().fit(target.train, None, ctx_for(target)).predict_proba(texts)
    import torch

    torch.rand(1000)  # another cell, pretraining, anything that draws from torch's global generator
    second = make().fit(target.train, None, ctx_for(target)).predict_proba(texts)
    assert np.allclose(first, second, atol=1e-6)
