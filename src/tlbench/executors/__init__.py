"""Executors run a study's planned cells and yield their results; the runner stores them.

Every executor implements :class:`Executor`: ``run(plan)`` takes a :class:`~tlbench.plan.StudyPlan` (the cells
still to do, each carrying what it needs: its key, skip/fail reason, source-model key, whether the system can be
saved, its resources and configs) and yields one :class:`~tlbench.results.CellResult` per cell, in the order
they finish. Each cell runs through :func:`tlbench.cell.run_cell`. An executor sends ``cell_start``,
``source_start`` and ``progress`` events to the listener it was made with; the runner
(:func:`tlbench.runner.run_study`) appends each result to the results file and then sends ``cell_end``, so
resuming and the progress display work the same everywhere. Executors never plan: what to run, which source model
a cell needs and whether that model can be saved are in the plan.

- :class:`~tlbench.executors.local.LocalExecutor` (``--executor local``): the cells one after another in this
  process, with the caller's :class:`~tlbench.study_env.StudyEnv`.
- :class:`~tlbench.executors.ray_executor.RayExecutor` (``--executor ray``): one Ray task per cell, source models
  trained once per (system, seed) in source tasks first (docs/scale-out.md). Nothing imports Ray until a Ray run
  starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from tlbench.errors import TlbenchError

if TYPE_CHECKING:
    from tlbench.plan import StudyPlan
    from tlbench.results import CellResult
    from tlbench.study_env import StudyEnv

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    """Runs planned cells somewhere and yields their results as they finish."""

    def run(self, plan: StudyPlan) -> Iterator[CellResult]: ...


def make_executor(name: str, env: StudyEnv, listener: Callable[[dict[str, Any]], None],
                  address: str | None = None) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``); ``address`` is the Ray cluster's."""
    if name == "local":
        from tlbench.executors.local import LocalExecutor

        return LocalExecutor(env, listener)
    if name == "ray":
        from tlbench.executors.ray_executor import RayExecutor

        return RayExecutor(address=address, listener=listener)
    raise TlbenchError(f"unknown executor {name!r}: use {' or '.join(EXECUTORS)}")
