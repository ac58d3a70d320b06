"""The local executor: a study's cells one after another in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tlbench.cell import run_cell
from tlbench.plan import StudyPlan
from tlbench.results import CellResult
from tlbench.study_env import StudyEnv


class LocalExecutor:
    """Runs each cell with :func:`tlbench.cell.run_cell` in the given env, in plan order (so a source model
    trained for one cell is still in memory for the next cells of the same system and seed)."""

    def __init__(self, env: StudyEnv, listener: Callable[[dict[str, Any]], None]) -> None:
        self.env, self.listener = env, listener

    def run(self, plan: StudyPlan) -> Iterator[CellResult]:
        self.env.listener = self.listener
        for cell in plan.cells:
            self.listener({"type": "cell_start", "cell": cell})
            yield run_cell(self.env, cell, plan.facts)
