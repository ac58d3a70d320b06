"""Runs a study cell by cell: plan the grid, skip what is done, train, predict once on test, append results.

One direction only: corpora -> sampler -> strategy(system factory, source side, target side) -> fitted system ->
predictions on the test split -> CellResult -> result store. Source-trained models are cached by content (source
fingerprint + system config + seed + limits) in memory and, for systems that can ``save``/``load``, on disk, so
every cell (and every process) that needs one reuses it.
"""

from __future__ import annotations

import platform
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from tlbench import __version__
from tlbench.cache import ContentCache, content_key
from tlbench.corpora.base import Corpus, Split, default_cache_dir
from tlbench.corpora.check import check_corpus
from tlbench.corpora.resolve import open_corpus
from tlbench.device import Device, resolve_device
from tlbench.errors import DataError, Incompatible, TlbenchError
from tlbench.learning_check import check_model
from tlbench.registry import Registry
from tlbench.results import CellResult, ResultStore, encode_labels
from tlbench.sampler import SAMPLER_VERSION, Sample, nested_fractions, stratified_limit
from tlbench.study import StudySpec
from tlbench.system import Context, ProgressEvent, Stopwatch, System
from tlbench.unlabeled_pool import unlabeled_pool

Listener = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Cell:
    """One (system, strategy, fraction, seed) of a study, with its content key."""

    system: str
    strategy: str
    fraction: float
    seed: int
    key: str
    #: Why the cell cannot run (strategy needs a capability the system lacks, or a source), else None.
    skip: str | None = None
    #: Why the cell fails without running (its source corpus cannot be read), else None.
    fail: str | None = None

    def label(self) -> str:
        return f"{self.system} · {self.strategy} · {self.fraction:g} · seed {self.seed}"


def _limit(split: Split, limit: int | None) -> Split:
    return split if limit is None or limit >= len(split) else split.subset(stratified_limit(split.labels, limit))


def _split_digest(split: Split) -> str:
    return content_key(list(split.texts), split.labels.tolist())


class _Side:
    """Source or target data as strategies see them (see tlbench.system.SourceSide / TargetSide)."""

    def __init__(self, train: Split, valid: Split | None, unlabeled: Sequence[str]) -> None:
        self.train, self.valid, self._unlabeled = train, valid, unlabeled

    def unlabeled(self) -> Sequence[str]:
        return self._unlabeled

    def texts(self) -> Sequence[str]:
        return self._unlabeled


class _SourceSide(_Side):
    def __init__(self, env: StudyEnv, system: str, seed: int) -> None:
        train, valid = env.source_parts(seed)
        super().__init__(train, valid, env.source_unlabeled())
        self._env, self._system, self._seed = env, system, seed
        self.seconds = 0.0

    def fitted(self, ctx: Context) -> System:
        model, seconds = self._env.source_model(self._system, self._seed, self, ctx)
        self.seconds += seconds
        return model


@dataclass(frozen=True)
class FittedCell:
    """A cell's fitted model with the parts it was trained on; ``seconds`` includes ``source_seconds``."""

    model: System
    strategy: Any
    train: Split
    valid: Split
    seconds: float
    source_seconds: float


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
        self._splits: dict[tuple[str, str], Split] = {}
        self._source_models: dict[str, System] = {}
        self._predictions: dict[str, tuple[np.ndarray, float]] = {}
        self._configs: dict[str, dict[str, Any]] = {}

    # -- data --------------------------------------------------------------------------------------
    def split(self, which: str, part: str) -> Split:
        key = (which, part)
        if key not in self._splits:
            corpus = self.target if which == "target" else self.source
            split = corpus.load(part)
            limit = {("target", "train"): self.spec.max_train, ("target", "test"): self.spec.max_test,
                     ("source", "train"): self.spec.max_source}.get(key)
            self._splits[key] = _limit(split, limit)
        return self._splits[key]

    def _unlabeled(self, which: str) -> list[str]:
        corpus = self.target if which == "target" else self.source
        texts = list(self.split(which, "train").texts)
        if "unlabeled" in corpus.splits():
            texts += list(self.split(which, "unlabeled").texts)
        return texts

    @cached_property
    def _source_unlabeled(self) -> list[str]:
        return self._unlabeled("source")

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

    def corpus_info(self, corpus: Corpus | None) -> dict[str, Any] | None:
        if corpus is None:
            return None
        return {"name": corpus.name, "variant": corpus.variant, "fingerprint": corpus.fingerprint(),
                "sizes": {p: len(corpus.load(p)) for p in corpus.splits()}}

    def context(self, seed: int, cell: Cell | None, unlabeled: Sequence[str], info: dict[str, Any]) -> Context:
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

    def train_source_model(self, system: str, seed: int) -> tuple[System, float, dict[str, Any]]:
        """Train (or fetch from the caches) the source model; returns it, the seconds spent and what it recorded."""
        side = _SourceSide(self, system, seed)
        ctx = self.context(seed, None, side.texts(), {})
        model = side.fitted(ctx)
        return model, side.seconds, ctx.info.get("source", {})

    def source_model(self, system: str, seed: int, side: _SourceSide, ctx: Context) -> tuple[System, float]:
        """The system trained on the source for this seed: from memory, from disk, or trained now."""
        key = self.source_model_key(system, seed)
        if key in self._source_models:
            return self._source_models[key], 0.0
        probe = self.new_system(system)
        can_save = callable(getattr(probe, "save", None)) and callable(getattr(probe, "load", None))
        cached = self.cache.get("source-models", key) if can_save else None
        source_info: dict[str, Any] = {}
        with Stopwatch() as sw:
            if cached is not None:
                model = probe.load(cached)
                source_info["cached"] = True
            else:
                sctx = self.context(seed, None, side.texts(), source_info)
                self.listener({"type": "source_start", "system": system, "seed": seed})
                sctx.seed_everything()
                model = probe.fit(side.train, side.valid, sctx)
                if can_save:
                    self.cache.put("source-models", key, model.save)
        ctx.info["source"] = {k: v for k, v in source_info.items() if _jsonable(v)}
        self._source_models = {key: model}  # keep one: cells are ordered so the next ones reuse it
        return model, sw.seconds

    # -- the grid ----------------------------------------------------------------------------------
    def plan(self) -> list[Cell]:
        spec = self.spec
        for name in spec.systems:
            self.registry.system_exists(name)
        strategies = {s: self.registry.create_strategy(s, spec.strategy_options.get(s, {}))
                      for s in spec.strategies}
        target_fp, source_fp, source_error = self._check_corpora()
        cells = []
        # Ordered system, seed, strategy, fraction: source models are trained once per (system, seed).
        for system in spec.systems:
            config = self.system_config(system)
            probe = self.new_system(system)
            for seed in spec.seeds:
                for sname, strategy in strategies.items():
                    skip = strategy.unsupported(probe)
                    if skip is None and self.source is None and strategy.uses_source:
                        skip = f"{sname} needs a source corpus (--source)"
                    fail = source_error if skip is None and strategy.uses_source else None
                    for fraction in spec.fractions:
                        key = content_key(system, config, sname, strategy.get_config(), source_fp, target_fp,
                                          fraction, seed, spec.valid_fraction, spec.max_train, spec.max_test,
                                          spec.max_source, SAMPLER_VERSION)
                        cells.append(Cell(system, sname, fraction, seed, key, skip, fail))
        return cells

    def _check_corpora(self) -> tuple[str, str | None, str | None]:
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

    def run_cell(self, cell: Cell) -> CellResult:
        """Run one cell; every failure becomes a failed record, never an exception (except KeyboardInterrupt)."""
        started = _now()
        base = dict(key=cell.key, system=cell.system, strategy=cell.strategy, target=self.spec.target,
                    source=self.spec.source, fraction=cell.fraction, seed=cell.seed, device=str(self.device),
                    started_at=started, host=socket.gethostname(), versions=environment_versions(self.registry))
        if cell.skip:
            return CellResult(status="skipped", error=cell.skip, finished_at=_now(), **base)
        if cell.fail:
            return CellResult(status="failed", error=cell.fail, finished_at=_now(), **base)
        info: dict[str, Any] = {}
        try:
            return self._run(cell, base, info)
        except KeyboardInterrupt:
            raise
        except Incompatible as exc:
            return CellResult(status="skipped", error=str(exc), finished_at=_now(), info=_clean(info), **base)
        except TlbenchError as exc:
            return CellResult(status="failed", error=str(exc), finished_at=_now(), info=_clean(info), **base)
        except Exception as exc:  # a plugin's bug fails its cell, not the study
            where = traceback.extract_tb(exc.__traceback__)[-1]
            message = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
            return CellResult(status="failed", error=message.replace("\n", " ")[:2000], finished_at=_now(),
                              info=_clean(info), **base)

    def fit_cell(self, cell: Cell, info: dict[str, Any]) -> FittedCell:
        """Train one cell's model on its labelled fraction (validation carved from it), as every study does.

        ``tlbench train`` calls this too, so a saved model is trained exactly as the cell it reproduces."""
        spec = self.spec
        train_full = self.split("target", "train")
        sample = nested_fractions(train_full.labels, spec.fractions, cell.seed, spec.valid_fraction)[cell.fraction]
        train, valid = train_full.subset(sample.train), train_full.subset(sample.valid)
        strategy = self.registry.create_strategy(cell.strategy, spec.strategy_options.get(cell.strategy, {}))
        source = _SourceSide(self, cell.system, cell.seed) if self.source_usable else None
        target = _Side(train, valid, self.target_pool(sample))
        ctx = self.context(cell.seed, cell, target.unlabeled(), info)
        info["unlabeled_pool"] = len(target.unlabeled())
        ctx.seed_everything()
        with Stopwatch() as clock:
            model = strategy.run(lambda: self.new_system(cell.system), source, target, ctx)
        return FittedCell(model, strategy, train, valid, clock.seconds, source.seconds if source else 0.0)

    def _run(self, cell: Cell, base: dict[str, Any], info: dict[str, Any]) -> CellResult:
        peak = _PeakMemory()
        fitted = self.fit_cell(cell, info)
        model, strategy, train, valid = fitted.model, fitted.strategy, fitted.train, fitted.valid
        learned, learning = check_model(model, valid)  # on the validation part only; shown, never retried
        source_seconds = fitted.source_seconds
        test = self.split("target", "test")
        memo_key = content_key(cell.system, cell.seed, strategy.get_config()) if not strategy.uses_target else None
        if memo_key and memo_key in self._predictions:
            proba, predict_seconds = self._predictions[memo_key]
        else:
            with Stopwatch() as predict_clock:
                proba = np.asarray(model.predict_proba(list(test.texts)), dtype=np.float64)
            predict_seconds = predict_clock.seconds
            if memo_key:
                self._predictions = {memo_key: (proba, predict_seconds)}
        if proba.shape != (len(test), len(test.label_names)):
            raise TlbenchError(f"{cell.system} returned probabilities of shape {proba.shape}, "
                               f"expected {(len(test), len(test.label_names))}")
        pred = proba.argmax(axis=1)
        return CellResult(
            status="ok",
            system_config=self.system_config(cell.system),
            strategy_config=strategy.get_config(),
            n_train=len(train), n_valid=len(valid), n_test=len(test),
            metrics=metrics(test.labels, proba),
            label_names=list(test.label_names),
            y_true=encode_labels(test.labels), y_pred=encode_labels(pred),
            cost={"train_seconds": round(fitted.seconds - source_seconds, 3),
                  "source_seconds": round(source_seconds, 3),
                  "predict_seconds": round(predict_seconds, 3),
                  "predict_examples_per_s": round(len(test) / max(predict_seconds, 1e-9), 1),
                  **peak.read()},
            corpora={"target": self.corpus_info(self.target),
                     "source": self.corpus_info(self.source) if self.source_usable else None},
            test_set={"name": self.target.name, "variant": self.target.variant,
                      "fingerprint": self.target.fingerprint(), "n": len(test), "digest": self._test_digest},
            info=_clean(info),
            learned=learned, learning=learning,
            finished_at=_now(),
            **base,
        )

    @cached_property
    def _test_digest(self) -> str:
        return _split_digest(self.split("target", "test"))


def metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, log_loss

    pred = proba.argmax(axis=1)
    labels = list(range(proba.shape[1]))
    clipped = np.clip(proba, 1e-7, 1.0)
    clipped /= clipped.sum(axis=1, keepdims=True)
    return {
        "accuracy": round(float((pred == y_true).mean()), 6),
        "macro_f1": round(float(f1_score(y_true, pred, labels=labels, average="macro", zero_division=0)), 6),
        "log_loss": round(float(log_loss(y_true, clipped, labels=labels)), 6),
    }


def environment_versions(registry: Registry) -> dict[str, Any]:
    plugins = {c.dist: c.version for c in registry.components() if c.dist}
    return {"tlbench": __version__, "python": platform.python_version(), "platform": platform.platform(),
            "plugins": plugins}


class _PeakMemory:
    """Peak resident memory of this process during a cell (Linux: VmHWM reset through clear_refs)."""

    def __init__(self) -> None:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._reset = True
        except OSError:
            self._reset = False
        self._torch = sys.modules.get("torch")
        if self._torch is not None and self._torch.cuda.is_available():
            self._torch.cuda.reset_peak_memory_stats()

    def read(self) -> dict[str, float]:
        out: dict[str, float] = {}
        try:
            # bytes: the process title in this file may be cut inside a multi-byte character
            for line in Path("/proc/self/status").read_bytes().decode("ascii", "replace").splitlines():
                if line.startswith("VmHWM:"):
                    out["peak_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            import resource

            out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))


def _clean(info: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if _jsonable(v) else repr(v)) for k, v in info.items()}


@dataclass
class StudyRun:
    """What a run did: the cells planned, the results written this time, and the ones skipped as done."""

    cells: list[Cell]
    results: list[CellResult] = field(default_factory=list)
    resumed: int = 0


def run_study(spec: StudySpec, registry: Registry | None = None, listener: Listener | None = None,
              executor: str = "local", address: str | None = None, env: StudyEnv | None = None,
              cells: list[Cell] | None = None) -> StudyRun:
    """Plan the study, skip cells already in the results file, run the rest, append each result as it ends.

    ``env`` and ``cells`` may be given when the caller already built and planned the study (the CLI does, so that
    configuration errors surface before any progress display starts). The results file is locked for the whole
    run: a second run on it raises TlbenchError before computing anything.
    """
    with ResultStore(spec.results_path).lock():
        return _run_study(spec, registry, listener, executor, address, env, cells)


def _run_study(spec: StudySpec, registry: Registry | None, listener: Listener | None, executor: str,
               address: str | None, env: StudyEnv | None, cells: list[Cell] | None) -> StudyRun:
    from tlbench.plugins import get_registry

    listener = listener or (lambda event: None)
    store = ResultStore(spec.results_path)
    if env is None:
        env = StudyEnv(spec, registry or get_registry(), listener=listener)
    env.listener = listener
    cells = env.plan() if cells is None else cells
    done = store.done_keys()
    todo = [c for c in cells if c.key not in done]
    run = StudyRun(cells, resumed=len(cells) - len(todo))
    listener({"type": "study_start", "cells": len(cells), "todo": len(todo), "device": str(env.device),
              "results": str(store.path)})
    if executor == "ray":
        from tlbench.executors.ray_executor import run_on_ray

        for result in run_on_ray(spec, todo, address=address, listener=listener):
            store.append(result)
            run.results.append(result)
    elif executor == "local":
        for cell in todo:
            listener({"type": "cell_start", "cell": cell})
            result = env.run_cell(cell)
            store.append(result)
            run.results.append(result)
            listener({"type": "cell_end", "cell": cell, "result": result})
    else:
        raise TlbenchError(f"unknown executor {executor!r}: use local or ray")
    listener({"type": "study_end"})
    return run
