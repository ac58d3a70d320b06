"""Runs a study: plan the grid once, skip what is done, hand the rest to an executor, append each result.

One direction only: corpora -> plan (:mod:`tlbench.plan`) -> executor (:mod:`tlbench.executors`) -> each cell
through :func:`tlbench.cell.run_cell` (strategy over a system factory, source side and target side -> fitted
system -> validation guard and test predictions -> CellResult) -> result store.

The names other modules and tests import from here (``StudyEnv``, ``Cell``, ``StudyPlan``, ``metrics``) are
re-exported from the modules that hold them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tlbench.cell import FittedCell, fit_cell, run_cell
from tlbench.evaluation import environment_versions, metrics
from tlbench.executors import make_executor
from tlbench.plan import Cell, StudyPlan
from tlbench.registry import Registry
from tlbench.results import CellResult, ResultStore
from tlbench.study import StudySpec
from tlbench.study_env import Listener, StudyEnv

__all__ = ["Cell", "FittedCell", "Listener", "StudyEnv", "StudyPlan", "StudyRun", "environment_versions",
           "fit_cell", "metrics", "run_cell", "run_study"]


@dataclass
class StudyRun:
    """What a run did: the cells planned, the results written this time, and the ones skipped as done."""

    cells: list[Cell]
    results: list[CellResult] = field(default_factory=list)
    resumed: int = 0


def run_study(spec: StudySpec, registry: Registry | None = None, listener: Listener | None = None,
              executor: str = "local", address: str | None = None, env: StudyEnv | None = None,
              plan: StudyPlan | None = None) -> StudyRun:
    """Plan the study, skip cells already in the results file, run the rest, append each result as it ends.

    ``env`` and ``plan`` may be given when the caller already built and planned the study (the CLI does, so that
    configuration errors surface before any progress display starts). The results file is locked for the whole
    run: a second run on it raises TlbenchError before computing anything.
    """
    with ResultStore(spec.results_path).lock():
        return _run_study(spec, registry, listener or (lambda event: None), executor, address, env, plan)


def _run_study(spec: StudySpec, registry: Registry | None, listener: Listener, executor: str,
               address: str | None, env: StudyEnv | None, plan: StudyPlan | None) -> StudyRun:
    from tlbench.plugins import get_registry

    store = ResultStore(spec.results_path)
    if env is None:
        env = StudyEnv(spec, registry or get_registry(), listener=listener)
    plan = env.plan() if plan is None else plan
    todo = plan.without(store.done_keys())
    run = StudyRun(plan.cells, resumed=len(plan) - len(todo))
    runner = make_executor(executor, env, listener, address)
    listener({"type": "study_start", "cells": len(plan), "todo": len(todo), "device": str(env.device),
              "results": str(store.path)})
    by_key = {cell.key: cell for cell in todo}
    for result in runner.run(todo):
        store.append(result)
        run.results.append(result)
        listener({"type": "cell_end", "cell": by_key[result.key], "result": result})
    listener({"type": "study_end"})
    return run
