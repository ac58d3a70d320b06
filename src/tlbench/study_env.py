"""What a study's cells share within one process: the corpora and their splits, the registry, the device, the
content cache, the source models and the predictions of strategies that do not train on the target.

Every process that runs cells builds one (the local executor's, each Ray worker's); ``tlbench train`` builds one
for its single cell. Planning (:mod:`tlbench.plan`) and running a cell (:mod:`tlbench.cell`) read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.cache import ContentCache, content_key
from tlbench.corpora.base import Corpus, Split, default_cache_dir
from tlbench.corpora.check import check_corpus
from tlbench.corpora.resolve import open_corpus
from tlbench.device import Device, resolve_device
from tlbench.errors import DataError
from tlbench.evaluation import environment_versions
from tlbench.plan import StudyPlan, plan_study
from tlbench.registry import Registry
from tlbench.sampler import SAMPLER_VERSION, Sample, nested_fractions, stratified_limit
from tlbench.source_models import SourceModels
from tlbench.study import StudySpec
from tlbench.system import Context, ProgressEvent, System
from tlbench.unlabeled_pool import unlabeled_pool

Listener = Callable[[dict[str, Any]], None]


def _limit(split: Split, limit: int | None) -> Split:
    return split if limit is None or limit >= len(split) else split.subset(stratified_limit(split.labels, limit))


class StudyEnv:
    """The loaded corpora, registry, device and caches a study's cells share within one process."""

    def __init__(self, spec: StudySpec, registry: Registry, device: Device | None = None,
                 listener: Listener | None = None) -> None:
        self.spec = spec
        self.registry = registry
        self.device = device or resolve_device(spec.device)
        self.listener = listener or (lambda event: None)
        cache_root = Path(spec.cache_dir).expanduser() if spec.cache_dir else default_cache_dir()
        self.cache = ContentCache(cache_root / "content")
        self.target = open_corpus(spec.target, registry, spec)
        self.source = open_corpus(spec.source, registry, spec) if spec.source else None
        self.source_models = SourceModels(self)
        #: Test predictions shared by cells with the same memo key (the last one only: cells come in order).
        self.predictions: dict[str, tuple[np.ndarray, float]] = {}
        self._splits: dict[tuple[str, str], Split] = {}
        self._configs: dict[str, dict[str, Any]] = {}

    def plan(self) -> StudyPlan:
        """The study's plan (see :func:`tlbench.plan.plan_study`)."""
        return plan_study(self)

    # -- data --------------------------------------------------------------------------------------
    def split(self, which: str, part: str) -> Split:
        """A split of the ``target`` or ``source`` corpus, cut to the study's ``--max-*`` slice."""
        key = (which, part)
        if key not in self._splits:
            corpus = self.target if which == "target" else self.source
            limit = {("target", "train"): self.spec.max_train, ("target", "test"): self.spec.max_test,
                     ("source", "train"): self.spec.max_source}.get(key)
            self._splits[key] = _limit(corpus.load(part), limit)
        return self._splits[key]

    @cached_property
    def _source_unlabeled(self) -> list[str]:
        texts = list(self.split("source", "train").texts)
        if "unlabeled" in self.source.splits():
            texts += list(self.split("source", "unlabeled").texts)
        return texts

    @cached_property
    def _test_texts(self) -> frozenset[str]:
        return frozenset(self.target.load("test").texts)  # the whole test split, also beyond --max-test

    def target_pool(self, sample: Sample) -> list[str]:
        """The cell's unlabeled pool (see tlbench.unlabeled_pool): the target's unlabeled split plus its training
        texts outside the cell's labelled fraction and validation part; never a test text."""
        extra = self.split("target", "unlabeled").texts if "unlabeled" in self.target.splits() else ()
        used = np.concatenate([sample.train, sample.valid])
        return unlabeled_pool(self.split("target", "train").texts, used, extra, self._test_texts)

    def source_unlabeled(self) -> list[str]:
        """The source's text without labels: its training texts plus its unlabeled split."""
        return self._source_unlabeled

    def source_parts(self, seed: int) -> tuple[Split, Split]:
        """The source's training part and validation part for ``seed``."""
        full = self.split("source", "train")
        sample = nested_fractions(full.labels, [1.0], seed, self.spec.valid_fraction)[1.0]
        return full.subset(sample.train), full.subset(sample.valid)

    # -- components --------------------------------------------------------------------------------
    def new_system(self, name: str) -> System:
        return self.registry.create_system(name, self.spec.system_options.get(name, {}))

    def system_config(self, name: str) -> dict[str, Any]:
        if name not in self._configs:
            self._configs[name] = self.new_system(name).get_config()
        return self._configs[name]

    @cached_property
    def versions(self) -> dict[str, Any]:
        """The versions this process records with the results it computes."""
        return environment_versions(self.registry)

    def context(self, seed: int, cell: Any, unlabeled: Sequence[str], info: dict[str, Any]) -> Context:
        """A cell's (or, with ``cell`` None, a source model's) Context; progress goes to the listener."""
        def progress(event: ProgressEvent) -> None:
            self.listener({"type": "progress", "cell": cell, "event": event})

        workdir = self.cache.root.parent / "work"
        workdir.mkdir(parents=True, exist_ok=True)
        return Context(device=self.device, seed=seed, cache=self.cache, progress=progress,
                       workdir=workdir, info=info, unlabeled=unlabeled, system_factory=self.new_system)

    def source_model_key(self, system: str, seed: int) -> str:
        """The content key under which the source model of ``system`` for ``seed`` is cached."""
        return content_key("source-model", system, self.system_config(system), self.source.fingerprint(),
                           seed, self.spec.max_source, self.spec.valid_fraction, SAMPLER_VERSION)

    # -- corpora: checks and the facts every record carries ------------------------------------------
    def check_corpora(self) -> tuple[str, str | None, str | None]:
        """Load and check the corpora now: the target's fingerprint, the source's, and why the source (if
        any) cannot be used. An unusable target raises DataError: nothing could run."""
        check_corpus(self.target, "target")
        if self.source is None or self.source_problem:
            return self.target.fingerprint(), self.source_problem and "unreadable", self.source_problem
        return self.target.fingerprint(), self.source.fingerprint(), None

    @cached_property
    def source_problem(self) -> str | None:
        """Why the source corpus cannot be used (None when it can, or when there is none): cells that use it
        fail with this reason, the others run without it."""
        if self.source is None:
            return None
        try:
            check_corpus(self.source, "source")
        except DataError as exc:
            return str(exc)
        return None

    @property
    def source_usable(self) -> bool:
        """There is a source corpus and it passed its checks."""
        return self.source is not None and self.source_problem is None

    def corpus_info(self, corpus: Corpus | None) -> dict[str, Any] | None:
        if corpus is None:
            return None
        return {"name": corpus.name, "variant": corpus.variant, "fingerprint": corpus.fingerprint(),
                "sizes": {p: len(corpus.load(p)) for p in corpus.splits()}}

    def record_corpora(self) -> dict[str, Any]:
        """The ``corpora`` field of every record: the target's facts, and the source's when it is usable."""
        return {"target": self.corpus_info(self.target),
                "source": self.corpus_info(self.source) if self.source_usable else None}

    def test_set_info(self) -> dict[str, Any]:
        """The ``test_set`` field of every record: which exact test examples the metrics are on."""
        test = self.split("target", "test")
        return {"name": self.target.name, "variant": self.target.variant, "fingerprint": self.target.fingerprint(),
                "n": len(test), "digest": content_key(list(test.texts), test.labels.tolist())}
