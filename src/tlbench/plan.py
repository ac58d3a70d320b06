"""The plan of a study: every cell with what running it needs, computed once, before anything runs.

Planning checks the study (systems and strategies exist, options are valid, the target is readable, the source
is readable or its cells are marked to fail) and decides, per cell, everything an executor needs to know: its
content key, whether it is skipped (the strategy needs a capability the system lacks, or a source) or fails
without running, which source model it needs (the cache key of the (system, seed) model trained on the source),
whether the system can save that model to disk, what the system asks an executor for (``System.resources()``),
whether its test predictions can be shared (strategies that do not train on the target), and the configs that go
into its record. Every executor (:mod:`tlbench.executors`) runs the same :class:`StudyPlan`; none plans again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tlbench.cache import content_key
from tlbench.evaluation import environment_versions
from tlbench.sampler import SAMPLER_VERSION
from tlbench.study import StudySpec

if TYPE_CHECKING:  # the env imports nothing from here at run time either way
    from tlbench.study_env import StudyEnv


@dataclass(frozen=True)
class Cell:
    """One (system, strategy, fraction, seed) of a study, with its content key and what running it needs."""

    system: str
    strategy: str
    fraction: float
    seed: int
    key: str
    #: Why the cell cannot run (strategy needs a capability the system lacks, or a source), else None.
    skip: str | None = None
    #: Why the cell fails without running (its source corpus cannot be read), else None.
    fail: str | None = None
    #: Cache key of the (system, seed) model trained on the source; None when the study has no usable source.
    source_key: str | None = None
    #: The strategy asks for that source model (``uses_source_model``) and the cell runs: executors train it
    #: once, before the cells that share it.
    needs_source_model: bool = False
    #: The system has ``save`` and ``load``: its source model is cached on disk and can travel between processes.
    saveable: bool = False
    #: Cells with the same memo key have the same test predictions (the strategy does not train on the target).
    memo: str | None = None
    system_config: dict[str, Any] = field(default_factory=dict, compare=False)
    strategy_config: dict[str, Any] = field(default_factory=dict, compare=False)
    #: What the system asks an executor for (``System.resources()``, Ray task options); empty: the default.
    resources: dict[str, Any] = field(default_factory=dict, compare=False)

    def label(self) -> str:
        return f"{self.system} · {self.strategy} · {self.fraction:g} · seed {self.seed}"


@dataclass(frozen=True)
class StudyFacts:
    """What every record of the study says about its data and the planning process's software."""

    corpora: dict[str, Any]
    test_set: dict[str, Any]
    versions: dict[str, Any]


@dataclass(frozen=True)
class StudyPlan:
    """The study's cells in run order (system, seed, strategy, fraction: source models are trained once per
    (system, seed)), with the study's spec and facts. Iterating a plan iterates its cells."""

    spec: StudySpec
    cells: list[Cell]
    facts: StudyFacts

    def __iter__(self) -> Iterator[Cell]:
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def without(self, done: set[str]) -> StudyPlan:
        """The same plan without the cells whose keys are in ``done``."""
        return replace(self, cells=[c for c in self.cells if c.key not in done])

    def source_groups(self) -> dict[str, list[Cell]]:
        """The cells that need a source model, by that model's cache key, in plan order."""
        groups: dict[str, list[Cell]] = {}
        for cell in self.cells:
            if cell.needs_source_model and cell.source_key is not None:
                groups.setdefault(cell.source_key, []).append(cell)
        return groups


def plan_study(env: StudyEnv) -> StudyPlan:
    """Check the study and plan its cells; raises ConfigError / DataError / Incompatible before anything runs."""
    spec, registry = env.spec, env.registry
    for name in spec.systems:
        registry.system_exists(name)
    strategies = {s: registry.create_strategy(s, spec.strategy_options.get(s, {})) for s in spec.strategies}
    target_fp, source_fp, source_error = env.check_corpora()
    cells = []
    for system in spec.systems:
        probe = env.new_system(system)
        shared = dict(system_config=env.system_config(system), saveable=can_save(probe),
                      resources=_resources(probe))
        for seed in spec.seeds:
            source_key = env.source_model_key(system, seed) if env.source_usable else None
            for sname, strategy in strategies.items():
                skip = strategy.unsupported(probe)
                if skip is None and env.source is None and strategy.uses_source:
                    skip = f"{sname} needs a source corpus (--source)"
                fail = source_error if skip is None and strategy.uses_source else None
                config = strategy.get_config()
                memo = None if strategy.uses_target else content_key(system, seed, config)
                needs = skip is None and fail is None and source_key is not None and strategy.uses_source_model
                for fraction in spec.fractions:
                    key = content_key(system, shared["system_config"], sname, config, source_fp, target_fp,
                                      fraction, seed, spec.valid_fraction, spec.max_train, spec.max_test,
                                      spec.max_source, SAMPLER_VERSION)
                    cells.append(Cell(system, sname, fraction, seed, key, skip, fail, source_key, needs,
                                      memo=memo, strategy_config=config, **shared))
    facts = StudyFacts(env.record_corpora(), env.test_set_info(), environment_versions(registry))
    return StudyPlan(spec, cells, facts)


def can_save(system: object) -> bool:
    """Whether ``system`` offers ``save`` and ``load``."""
    return callable(getattr(system, "save", None)) and callable(getattr(system, "load", None))


def _resources(system: object) -> dict[str, Any]:
    wanted = getattr(system, "resources", None)
    return dict(wanted()) if callable(wanted) else {}
