"""Dummy components: small, real (they do learn), fast, with every optional capability."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.configurable import Configurable
from tlbench.corpora.base import Corpus, CorpusOptions, Split
from tlbench.system import Context, Vectors


class DummyCorpus(Corpus):
    """An in-memory corpus built from given splits."""

    def __init__(self, name: str, splits: dict[str, Split], options: CorpusOptions | None = None) -> None:
        super().__init__(options)
        self.name = name
        self.variant = "in-memory"
        self._given = splits

    def sources(self) -> list[Path]:
        return []

    def fingerprint(self) -> str:
        from tlbench.cache import content_key

        return content_key(self.name, {k: [list(v.texts), v.labels.tolist()] for k, v in self._given.items()})

    def parse(self) -> dict[str, Split]:
        return dict(self._given)

    def _load_all(self) -> dict[str, Split]:
        return self._given


def _tokens(text: str) -> list[str]:
    return text.lower().split()


class KeywordSystem(Configurable):
    """Naive Bayes-like word scores with a tiny learned "vector" per word (its score): offers prepare,
    export/import_vectors, init_from, adapt, save/load, so strategies can be tested without heavy backends."""

    name = "keyword"

    def __init__(self, smoothing: float = 1.0, min_count: int = 1) -> None:
        self.smoothing = smoothing
        self.min_count = min_count

    def prepare(self, train: Split, ctx: Context) -> None:
        counts = Counter(w for t in train.texts for w in set(_tokens(t)))
        self.vocab_ = sorted(w for w, c in counts.items() if c >= self.min_count)
        self.index_ = {w: i for i, w in enumerate(self.vocab_)}
        self.scores_ = np.zeros((len(self.vocab_), 1), dtype=np.float32)
        self.prior_ = np.zeros(len(train.label_names))
        self.frozen_ = False
        self.label_names_ = tuple(train.label_names)
        self.adapted_ = getattr(self, "adapted_", 0)

    def fit(self, train: Split, valid: Split | None, ctx: Context) -> KeywordSystem:
        if not hasattr(self, "vocab_"):
            self.prepare(train, ctx)
        if not self.frozen_:
            pos = np.full(len(self.vocab_), self.smoothing)
            neg = np.full(len(self.vocab_), self.smoothing)
            for text, label in zip(train.texts, train.labels):
                ids = [self.index_[w] for w in set(_tokens(text)) if w in self.index_]
                (pos if label == 1 else neg)[ids] += 1
            self.scores_ = 0.5 * self.scores_ + np.log(pos / neg)[:, None].astype(np.float32)
        self.prior_ = np.log(np.bincount(train.labels, minlength=len(self.label_names_)) + 1.0)
        ctx.report("epoch", 1, 1)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        z = np.array([sum(float(self.scores_[self.index_[w], 0]) for w in set(_tokens(t)) if w in self.index_)
                      for t in texts]) + (self.prior_[1] - self.prior_[0])
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return np.stack([1 - p, p], axis=1)

    def export_vectors(self) -> Vectors:
        return Vectors(tuple(self.vocab_), self.scores_.copy())

    def import_vectors(self, vectors: Vectors) -> int:
        n = 0
        for word, row in zip(vectors.words, vectors.matrix):
            i = self.index_.get(word)
            if i is not None:
                self.scores_[i] = row[:1]
                n += 1
        return n

    def init_from(self, other: KeywordSystem, *, include_head: bool, freeze_encoder: bool) -> int:
        self.import_vectors(other.export_vectors())
        self.frozen_ = freeze_encoder
        return 1 + int(include_head)

    def adapt(self, target_texts: Sequence[str], ctx: Context, source_texts: Sequence[str] = ()) -> None:
        self.adapted_ = len(target_texts) + len(source_texts)

    def save(self, path: Path) -> None:
        np.save(Path(path) / "scores.npy", self.scores_)
        (Path(path) / "state.json").write_text(json.dumps(
            {"vocab": self.vocab_, "prior": self.prior_.tolist(), "labels": list(self.label_names_)}))

    def load(self, path: Path) -> KeywordSystem:
        state = json.loads((Path(path) / "state.json").read_text())
        self.vocab_ = state["vocab"]
        self.index_ = {w: i for i, w in enumerate(self.vocab_)}
        self.scores_ = np.load(Path(path) / "scores.npy", allow_pickle=False)
        self.prior_ = np.array(state["prior"])
        self.label_names_ = tuple(state["labels"])
        self.frozen_ = False
        return self


def dummy_plugin(corpora: dict[str, Corpus] | None = None, system_name: str = "keyword"):
    """A plugin object registering the given in-memory corpora and ``KeywordSystem`` as ``system_name``."""
    from tlbench import hookimpl

    class DummyPlugin:
        __name__ = "dummy"

        @hookimpl
        def register_corpora(self, register):
            for name, corpus in (corpora or {}).items():
                register(name, lambda options, c=corpus: c, description="in-memory test corpus")

        @hookimpl
        def register_systems(self, register):
            register(system_name, KeywordSystem, description="keyword scores (test dummy)")

    return DummyPlugin()

