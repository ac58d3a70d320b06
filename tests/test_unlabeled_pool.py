"""The target's unlabeled pool never holds a labelled, validation or test text of the cell."""

from __future__ import annotations

import numpy as np

from tlbench import hookimpl
from tlbench.corpora.base import SENTIMENT, Split
from tlbench.plugins import load_plugins
from tlbench.runner import run_study
from tlbench.sampler import nested_fractions
from tlbench.study import StudySpec
from tlbench.testing.dummies import DummyCorpus, KeywordSystem
from tlbench.unlabeled_pool import unlabeled_pool

SEEN: list[dict] = []


class Recorder(KeywordSystem):
    """A keyword system that records every text it is given, and where."""

    name = "recorder"

    def fit(self, train, valid, ctx):
        SEEN.append({"what": "fit", "train": list(train.texts), "valid": list(valid.texts) if valid else [],
                     "unlabeled": list(ctx.unlabeled)})
        return super().fit(train, valid, ctx)

    def predict_proba(self, texts):
        SEEN.append({"what": "predict", "texts": list(texts)})
        return super().predict_proba(texts)

    def adapt(self, target_texts, ctx, source_texts=()):
        SEEN.append({"what": "adapt", "texts": list(target_texts)})
        return super().adapt(target_texts, ctx, source_texts)


def _split(texts, seed=0):
    return Split(texts, np.arange(len(texts)) % 2, SENTIMENT)


def _corpus():
    words = "great awful fine dull lovely boring movie plot".split()
    rng = np.random.default_rng(0)

    def texts(n, tag):
        return [f"{tag}{i} " + " ".join(rng.choice(words, 6)) + (" great" if i % 2 else " awful") for i in range(n)]

    train, test = texts(200, "tr"), texts(60, "te")
    train[150] = test[3]  # IMDB-like duplicate: a test text also in train, outside the fraction or not
    train[7] = test[8]
    return DummyCorpus("rec-tgt", {"train": _split(train), "test": _split(test), "unlabeled": _split(texts(40, "u"))})


def test_unlabeled_pool_excludes_used_and_forbidden_by_content():
    pool = unlabeled_pool(["a", "b", "c", "b", "t"], np.array([1]), ["u", "c", "x"], {"x"})
    assert pool == ["a", "c", "t", "u", "c"]  # "b" is used (also its duplicate), "x" is a test text


def test_pool_never_holds_labelled_validation_or_test_text(tmp_path):
    corpus = _corpus()

    class Plugin:
        __name__ = "recorder-plugin"

        @hookimpl
        def register_corpora(self, register):
            register("rec-tgt", lambda options: corpus, description="in-memory")

        @hookimpl
        def register_systems(self, register):
            register("recorder", Recorder, description="records texts")

    registry = load_plugins(extra=[Plugin()]).registry
    SEEN.clear()
    spec = StudySpec(systems=["recorder"], target="rec-tgt", strategies=["domain-adaptive", "self-training"],
                     fractions=[0.1, 0.5], seeds=[0, 1], out=str(tmp_path / "o"), cache_dir=str(tmp_path / "c"),
                     device="cpu", strategy_options={"self-training": {"rounds": 2, "per_round": 0.5}})
    run = run_study(spec, registry=registry)
    assert all(r.status == "ok" for r in run.results), [r.error for r in run.results]
    train, test = corpus.load("train"), corpus.load("test")
    cells = {}
    for seed in (0, 1):
        for f, s in nested_fractions(train.labels, [0.1, 0.5], seed, 0.1).items():
            cells[frozenset(train.texts[i] for i in s.valid)] = {train.texts[i] for i in s.train}
    test_texts = set(test.texts)
    fits = [e for e in SEEN if e["what"] == "fit"]
    assert fits and all(e["unlabeled"] for e in fits)
    for e in fits:
        labelled, valid = cells[frozenset(e["valid"])], set(e["valid"])
        pool = set(e["unlabeled"])
        assert not pool & (labelled | valid | test_texts)
        assert labelled <= set(e["train"])
        assert set(e["train"]) - labelled <= pool  # pseudo-labelled texts come from the pool only
    adapts = [(e, next(f for f in SEEN[i:] if f["what"] == "fit")) for i, e in enumerate(SEEN) if e["what"] == "adapt"]
    assert len(adapts) == 4
    for e, fit in adapts:  # domain-adaptive adapts on the pool of the cell whose fit follows
        assert set(e["texts"]) == set(fit["unlabeled"])
    # the runner predicts test once per cell, after training; the strategy itself predicts on pool/validation only
    by = {(r.strategy, r.fraction, r.seed): r for r in run.results}
    assert by[("self-training", 0.1, 0)].info["unlabeled_pool"] == len(fits[0]["unlabeled"])
