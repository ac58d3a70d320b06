"""Models trained on the source corpus, one per (system, seed), and the sides strategies see.

A source model is trained once and shared by every cell that asks for it (``source.fitted(ctx)``): kept in memory
(the last one: cells are planned so that the ones sharing a model come together) and, for systems that can
``save``/``load``, in the content cache on disk under the cell's ``source_key``, so other cells, processes, Ray
workers and later runs load it instead of training it again.

Who pays: the first cell that gets the model records the source seconds and what training recorded
(``info.source``); later cells get it for free. When the model was trained elsewhere (a Ray source task), the
executor hands that cost over as a :class:`Receipt` and the first cell here to take the model pays it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tlbench.corpora.base import Split
from tlbench.evaluation import jsonable
from tlbench.system import Context, Stopwatch, System

if TYPE_CHECKING:  # annotations only: study_env imports this module
    from tlbench.plan import Cell
    from tlbench.study_env import StudyEnv

SOURCE_KIND = "source-models"


@dataclass(frozen=True)
class Receipt:
    """What training a source model cost (seconds) and what it recorded (JSON-able facts)."""

    seconds: float
    info: dict[str, Any]


class Side:
    """Source or target data as strategies see them (see tlbench.system.SourceSide / TargetSide)."""

    def __init__(self, train: Split, valid: Split | None, unlabeled: Sequence[str]) -> None:
        self.train, self.valid, self._unlabeled = train, valid, unlabeled

    def unlabeled(self) -> Sequence[str]:
        return self._unlabeled

    def texts(self) -> Sequence[str]:
        return self._unlabeled


class SourceSide(Side):
    """The source as one cell's strategy sees it; ``fitted`` gives the cell's shared source model."""

    def __init__(self, env: StudyEnv, cell: Cell) -> None:
        train, valid = env.source_parts(cell.seed)
        super().__init__(train, valid, env.source_unlabeled())
        self._env, self._cell = env, cell
        self.seconds = 0.0

    def fitted(self, ctx: Context) -> System:
        model, seconds = self._env.source_models.get(self._cell, self, ctx)
        self.seconds += seconds
        return model


class SourceModels:
    """This process's source models: the one in memory, the content cache on disk, and unpaid receipts."""

    def __init__(self, env: StudyEnv) -> None:
        self.env = env
        self._memory: dict[str, System] = {}
        self._receipts: dict[str, Receipt] = {}

    def owe(self, key: str, receipt: Receipt) -> None:
        """The model under ``key`` was trained elsewhere at this cost: the next cell here to take it pays."""
        self._receipts[key] = receipt

    def saved(self, key: str):
        """The directory of the saved model under ``key`` in the content cache, or None."""
        return self.env.cache.get(SOURCE_KIND, key)

    def train(self, cell: Cell) -> Receipt:
        """Train (or load from the caches) the source model ``cell`` needs, outside any cell; what it cost."""
        side = SourceSide(self.env, cell)
        ctx = self.env.context(cell.seed, None, side.texts(), {})
        side.fitted(ctx)
        return Receipt(side.seconds, ctx.info.get("source", {}))

    def get(self, cell: Cell, side: SourceSide, ctx: Context) -> tuple[System, float]:
        """The system trained on the source for the cell's (system, seed): from memory, from disk, or trained
        now; and the seconds this cell pays for it. Records what training recorded in ``ctx.info["source"]``."""
        key = cell.source_key
        receipt = self._receipts.pop(key, None)
        if key in self._memory:
            model, seconds, facts = self._memory[key], 0.0, None
        else:
            model, seconds, facts = self._load_or_train(cell, side)
            self._memory = {key: model}  # keep one: cells are ordered so the next ones reuse it
        if receipt is not None:
            seconds, facts = seconds + receipt.seconds, receipt.info
        if facts is not None:
            ctx.info["source"] = {k: v for k, v in facts.items() if jsonable(v)}
        return model, seconds

    def _load_or_train(self, cell: Cell, side: SourceSide) -> tuple[System, float, dict[str, Any]]:
        env = self.env
        probe = env.new_system(cell.system)
        cached = self.saved(cell.source_key) if cell.saveable else None
        facts: dict[str, Any] = {}
        with Stopwatch() as clock:
            if cached is not None:
                model = probe.load(cached)
                facts["cached"] = True
            else:
                sctx = env.context(cell.seed, None, side.texts(), facts)
                env.listener({"type": "source_start", "system": cell.system, "seed": cell.seed})
                sctx.seed_everything()
                model = probe.fit(side.train, side.valid, sctx)
                if cell.saveable:
                    env.cache.put(SOURCE_KIND, cell.source_key, model.save)
        return model, clock.seconds, facts
