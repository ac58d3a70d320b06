"""Running one planned cell: fit its model through its strategy, check it learned, predict the test split once,
measure, and return its :class:`~tlbench.results.CellResult`.

:func:`run_cell` is what every executor calls for each cell (the local loop and each Ray worker);
:func:`fit_cell` is its first half, which ``tlbench train`` calls too, so a saved model is trained exactly as the
cell it reproduces.
"""

from __future__ import annotations

import socket
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.corpora.base import Split
from tlbench.errors import Incompatible, TlbenchError
from tlbench.evaluation import PeakMemory, clean_info, metrics, now, validation_check
from tlbench.plan import Cell, StudyFacts
from tlbench.results import CellResult, encode_labels
from tlbench.sampler import nested_fractions
from tlbench.source_models import Side, SourceSide
from tlbench.study import StudySpec
from tlbench.study_env import StudyEnv
from tlbench.system import Stopwatch, System


@dataclass(frozen=True)
class FittedCell:
    """A cell's fitted model with the parts it was trained on; ``seconds`` includes ``source_seconds``."""

    model: System
    strategy: Any
    train: Split
    valid: Split
    seconds: float
    source_seconds: float


def fit_cell(env: StudyEnv, cell: Cell, info: dict[str, Any]) -> FittedCell:
    """Train one cell's model on its labelled fraction (validation carved from it), as every study does."""
    spec = env.spec
    train_full = env.split("target", "train")
    sample = nested_fractions(train_full.labels, spec.fractions, cell.seed, spec.valid_fraction)[cell.fraction]
    train, valid = train_full.subset(sample.train), train_full.subset(sample.valid)
    strategy = env.registry.create_strategy(cell.strategy, spec.strategy_options.get(cell.strategy, {}))
    source = SourceSide(env, cell) if env.source_usable else None
    target = Side(train, valid, env.target_pool(sample))
    ctx = env.context(cell.seed, cell, target.unlabeled(), info)
    info["unlabeled_pool"] = len(target.unlabeled())
    ctx.seed_everything()
    with Stopwatch() as clock:
        model = strategy.run(lambda: env.new_system(cell.system), source, target, ctx)
    return FittedCell(model, strategy, train, valid, clock.seconds, source.seconds if source else 0.0)


def run_cell(env: StudyEnv, cell: Cell, facts: StudyFacts) -> CellResult:
    """Run one cell; every failure becomes a failed (or, for Incompatible, skipped) record, never an exception
    (except KeyboardInterrupt)."""
    started = now()
    if cell.skip or cell.fail:
        return closed_result(env.spec, cell, "skipped" if cell.skip else "failed", cell.skip or cell.fail,
                             env.versions, str(env.device), started)
    info: dict[str, Any] = {}
    try:
        return _evaluate(env, cell, facts, started, info)
    except KeyboardInterrupt:
        raise
    except Incompatible as exc:
        error, status = str(exc), "skipped"
    except TlbenchError as exc:
        error, status = str(exc), "failed"
    except Exception as exc:  # a plugin's bug fails its cell, not the study
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        error, status = error.replace("\n", " ")[:2000], "failed"
    return closed_result(env.spec, cell, status, error, env.versions, str(env.device), started, info)


def closed_result(spec: StudySpec, cell: Cell, status: str, error: str, versions: dict[str, Any],
                  device: str = "unknown", started: str | None = None,
                  info: dict[str, Any] | None = None) -> CellResult:
    """The record of a cell that ended without metrics: skipped, or failed with a one-line ``error``."""
    return CellResult(status=status, error=error, finished_at=now(), info=clean_info(info or {}),
                      **_base(spec, cell, versions, device, started or now()))


def _base(spec: StudySpec, cell: Cell, versions: dict[str, Any], device: str, started: str) -> dict[str, Any]:
    return dict(key=cell.key, system=cell.system, strategy=cell.strategy, target=spec.target, source=spec.source,
                fraction=cell.fraction, seed=cell.seed, device=device, started_at=started,
                host=socket.gethostname(), versions=versions)


def _evaluate(env: StudyEnv, cell: Cell, facts: StudyFacts, started: str, info: dict[str, Any]) -> CellResult:
    peak = PeakMemory()
    fitted = fit_cell(env, cell, info)
    guard = validation_check(fitted.model, fitted.valid)  # on the validation part only; shown, never retried
    test = env.split("target", "test")
    proba, predict_seconds = _predict_test(env, cell, fitted.model, test)
    pred = proba.argmax(axis=1)
    return CellResult(
        status="ok",
        system_config=cell.system_config, strategy_config=cell.strategy_config,
        n_train=len(fitted.train), n_valid=len(fitted.valid), n_test=len(test),
        metrics=metrics(test.labels, proba),
        label_names=list(test.label_names),
        y_true=encode_labels(test.labels), y_pred=encode_labels(pred),
        cost={"train_seconds": round(fitted.seconds - fitted.source_seconds, 3),
              "source_seconds": round(fitted.source_seconds, 3),
              "predict_seconds": round(predict_seconds, 3),
              "predict_examples_per_s": round(len(test) / max(predict_seconds, 1e-9), 1),
              **peak.read()},
        corpora=facts.corpora, test_set=facts.test_set,
        info=clean_info(info), learned=guard.learned, learning=guard.learning,
        finished_at=now(),
        **_base(env.spec, cell, env.versions, str(env.device), started),
    )


def _predict_test(env: StudyEnv, cell: Cell, model: System, test: Split) -> tuple[np.ndarray, float]:
    """The test probabilities (shared between cells with the same memo key) and the seconds they took."""
    if cell.memo is not None and cell.memo in env.predictions:
        return env.predictions[cell.memo]
    with Stopwatch() as clock:
        proba = np.asarray(model.predict_proba(list(test.texts)), dtype=np.float64)
    if proba.shape != (len(test), len(test.label_names)):
        raise TlbenchError(f"{cell.system} returned probabilities of shape {proba.shape}, "
                           f"expected {(len(test), len(test.label_names))}")
    if cell.memo is not None:
        env.predictions.clear()
        env.predictions[cell.memo] = (proba, clock.seconds)
    return proba, clock.seconds
