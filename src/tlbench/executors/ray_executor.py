"""Run a study's planned cells as Ray tasks (``tlbench compare --executor ray [--address ADDR]``).

One cell is one Ray task: the worker (:mod:`tlbench.executors.ray_worker`) builds a StudyEnv from the spec once
per worker process and runs the cell with :func:`tlbench.cell.run_cell`; the driver yields each CellResult as it
arrives. A task asks Ray for what the plan says the system asks for (``Cell.resources``, from
``System.resources()``, e.g. ``{"num_gpus": 1}``; default one CPU), so Ray places at most one cell per GPU.

Source models are trained once per (system, seed), as the plan groups them (:meth:`StudyPlan.source_groups`):
when the plan says the system can be saved, a *source task* trains the model first and stores it in its node's
content cache; the group's cells are submitted when it is done and find the model in their own content cache
(shared or same-node disk), or else fetch the saved files from Ray's object store into their cache. The first
cell of the group gets the source task's receipt and pays its cost, as the first cell does locally. For a system
that cannot be saved, the group's cells run one after another in one task, which keeps the model in memory.

Failures: a task whose worker died (``WorkerCrashedError``, node lost, out of memory) or that returned a
``failed`` cell is tried again, up to ``spec.retries`` times; after that the cell is recorded as failed with its
error and the rest of the study goes on. Ray's own task retries are off, so attempts are counted here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tlbench.cell import closed_result
from tlbench.errors import ConfigError
from tlbench.executors import ray_worker
from tlbench.executors.ray_connect import connect, import_ray, one_line
from tlbench.plan import Cell, StudyPlan
from tlbench.plugins import ALLOW_ENV, EXTRA_ENV, extra_plugin_problems
from tlbench.results import CellResult

#: Environment variables of the driver that decide which plugins load; workers get the same values.
FORWARDED_ENV = (ALLOW_ENV, EXTRA_ENV)
DEFAULT_RESOURCES: dict[str, Any] = {"num_cpus": 1}
#: Ray task options a System's ``resources()`` may set.
RESOURCE_KEYS = {"num_cpus", "num_gpus", "memory", "resources", "accelerator_type"}
_WAIT_S = 0.25


class RayExecutor:
    """The Ray executor (see the module docstring and docs/scale-out.md).

    :param address: ``None`` (``$RAY_ADDRESS``, a cluster started on this machine with ``ray start``, or a new
        local one), ``"auto"``, ``"host:6379"`` or ``"ray://host:10001"`` (Ray Client). When tlbench connects,
        it disconnects at the end; a Ray session the caller opened is used as it is and left open.
    :param listener: gets ``cell_start`` / ``source_start`` / ``progress`` events from the workers.
    """

    def __init__(self, address: str | None = None,
                 listener: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.address, self.listener = address, listener or (lambda event: None)

    def run(self, plan: StudyPlan) -> Iterator[CellResult]:
        """Yield the plan's results as they finish; raises TlbenchError at once when Ray is not installed,
        ConfigError when a ``$TLBENCH_EXTRA_PLUGINS`` entry cannot be loaded."""
        ray = import_ray()
        problems = extra_plugin_problems()
        if problems:
            raise ConfigError(f"{'; '.join(problems)}; each must be importable on every Ray worker (installed, "
                              "or on PYTHONPATH)")
        return _Driver(ray, plan, self.address, self.listener).run()


def task_resources(asked: Mapping[str, Any], device: str, cluster_gpus: float, system: str = "the system") -> dict:
    """The Ray resources one cell asks for, from what its system asks for (``Cell.resources``).

    That over one CPU. A GPU request is dropped when the study runs on the CPU (``--device cpu``) or on ``auto``
    with no GPU in the cluster; ``--device cuda`` asks for one GPU per cell even for systems that do not say so
    (they would find no GPU otherwise: Ray hides GPUs from tasks that did not ask for one).
    """
    unknown = set(asked) - RESOURCE_KEYS
    if unknown:
        raise ConfigError(f"{system}.resources() returned unknown key(s) {', '.join(sorted(unknown))}; "
                          f"use Ray task options: {', '.join(sorted(RESOURCE_KEYS))}")
    out = {**DEFAULT_RESOURCES, **asked}
    if device == "cpu" or (device == "auto" and cluster_gpus <= 0):
        out.pop("num_gpus", None)
    elif device.startswith("cuda") and not out.get("num_gpus"):
        out["num_gpus"] = 1
    return out


@dataclass
class _Job:
    """One Ray task to (re)submit: a source model to train, or cells to run one after another."""

    kind: str  # "source" | "cells"
    cells: list[Cell]
    resources: dict[str, Any]
    group: str | None = None  # the source model's key, for the cells that need it
    source: tuple[str, Any, Any] | None = None  # for "cells": (key, saved files' object ref, receipt or None)
    blob: Any = None  # for "source": the object ref of the saved model's files
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


def with_absolute_dirs(spec_data: dict[str, Any]) -> dict[str, Any]:
    """The spec with ``data_dir`` / ``cache_dir`` made absolute: a Ray worker's working directory is the one its
    node was started in, not the driver's."""
    out = dict(spec_data)
    for name in ("data_dir", "cache_dir"):
        if out.get(name):
            out[name] = os.path.abspath(os.path.expanduser(out[name]))
    return out


def _task_name(text: str) -> str:
    # ASCII only: Ray puts the name in the process title, which /proc/self/status cuts at 15 bytes, possibly
    # inside a multi-byte character that then breaks utf-8 readers of that file (the memory probe).
    return text.encode("ascii", "replace").decode()


class _Driver:
    def __init__(self, ray: Any, plan: StudyPlan, address: str | None, listener: Callable) -> None:
        self.ray, self.plan, self.address, self.listener = ray, plan, address, listener
        self.spec_data = with_absolute_dirs(plan.spec.to_dict())
        self.pending: dict[Any, _Job] = {}
        self.waiting: dict[str, list[Cell]] = {}
        self.ended: set[str] = set()
        self.sink: Any = None
        self._remotes: dict[tuple, Any] = {}

    def run(self) -> Iterator[CellResult]:
        if not self.plan.cells:
            return
        connected_here = connect(self.ray, self.address)
        env_vars = {k: os.environ[k] for k in FORWARDED_ENV if os.environ.get(k)}
        self.task_options = {"max_retries": 0, **({"runtime_env": {"env_vars": env_vars}} if env_vars else {})}
        try:
            self.sink = self.ray.remote(num_cpus=0)(ray_worker.EventSink).remote()
            for job in self._jobs():
                self._submit(job)
            while self.pending:
                ready, _ = self.ray.wait(list(self.pending), num_returns=1, timeout=_WAIT_S)
                self._drain()
                for ref in ready:
                    yield from self._collect(ref, self.pending.pop(ref))
            self._drain()
        finally:
            self._stop(connected_here)

    def _stop(self, connected_here: bool) -> None:
        for ref in self.pending:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # already finished or gone: nothing to stop
                pass
        if self.sink is not None:
            try:
                self.ray.kill(self.sink)
            except Exception:  # the cluster may be gone already
                pass
        if connected_here:
            self.ray.shutdown()

    def _jobs(self) -> list[_Job]:
        """The plan as Ray tasks: source tasks first (so Ray starts them first), then cells that wait for
        nothing, in plan order."""
        gpus = float(self.ray.cluster_resources().get("GPU", 0))

        def resources(cell: Cell) -> dict[str, Any]:
            return task_resources(cell.resources, self.plan.spec.device, gpus, cell.system)

        jobs: list[_Job] = []
        grouped: set[str] = set()
        for key, cells in self.plan.source_groups().items():
            grouped.update(c.key for c in cells)
            if cells[0].saveable:
                self.waiting[key] = cells
                jobs.append(_Job("source", cells[:1], resources(cells[0]), group=key))
            else:
                jobs.append(_Job("cells", cells, resources(cells[0]), group=key))
        jobs += [_Job("cells", [cell], resources(cell)) for cell in self.plan.cells if cell.key not in grouped]
        return jobs

    def _remote(self, function: Any, resources: dict[str, Any]) -> Any:
        """``function`` as a Ray remote function with these resources. Resources go to ``ray.remote`` rather
        than ``.options`` because only there does a GPU request make Ray start a fresh worker process per task
        (``max_calls=1``), which frees the GPU memory a framework keeps cached after a cell."""
        key = (function.__name__, tuple(sorted((k, repr(v)) for k, v in resources.items())))
        if key not in self._remotes:
            self._remotes[key] = self.ray.remote(**resources)(function)
        return self._remotes[key]

    def _submit(self, job: _Job) -> None:
        job.attempts += 1
        first = job.cells[0]
        if job.kind == "source":
            task = self._remote(ray_worker.train_source, job.resources).options(
                num_returns=2, name=_task_name(f"tlbench source {first.system} seed {first.seed}"),
                **self.task_options)
            info_ref, job.blob = task.remote(self.spec_data, first, self.sink)
            self.pending[info_ref] = job
            return
        name = (f"tlbench {first.system} {first.strategy} {first.fraction:g} seed {first.seed}"
                if len(job.cells) == 1 else f"tlbench {len(job.cells)} cells")
        task = self._remote(ray_worker.run_cells, job.resources).options(name=_task_name(name), **self.task_options)
        self.pending[task.remote(self.spec_data, self.plan.facts, job.cells, self.sink, job.source)] = job

    # -- results --------------------------------------------------------------------------------------------
    def _collect(self, ref: Any, job: _Job) -> Iterator[CellResult]:
        try:
            value = self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            yield from self._task_failed(job, exc)
            return
        if job.kind == "source":
            for i, cell in enumerate(self.waiting.pop(job.group, [])):
                # The first cell pays for the source model, as the first cell that trains it does locally. A model
                # that could not be saved is not handed on: each cell then trains it and pays for it itself.
                source = (job.group, job.blob, value["receipt"] if i == 0 else None) if value["saved"] else None
                self._submit(_Job("cells", [cell], job.resources, job.group, source=source))
            return
        retry = {r.key: r for r in value if r.status == "failed" and job.attempts <= self.plan.spec.retries}
        for result in value:
            if result.key not in retry:
                yield from self._finish(result, job)
        if retry:
            job.errors.append("; ".join(r.error or "failed" for r in retry.values()))
            job.cells = [c for c in job.cells if c.key in retry]
            self._submit(job)

    def _task_failed(self, job: _Job, exc: Exception) -> Iterator[CellResult]:
        message = one_line(exc)
        job.errors.append(message)
        if job.attempts <= self.plan.spec.retries:
            self._submit(job)
            return
        if job.kind == "source":
            cells = self.waiting.pop(job.group, [])
            if isinstance(exc, self.ray.exceptions.RayTaskError):
                # Training raised (not a dead worker): let each cell meet the same error itself, so it is
                # recorded exactly as a local run records it (failed or skipped).
                for cell in cells:
                    self._submit(_Job("cells", [cell], job.resources, job.group))
                return
            first = job.cells[0]
            message = f"training the source model of {first.system} (seed {first.seed}) on Ray failed: {message}"
        else:
            cells = job.cells
        for cell in cells:
            error = f"Ray task failed {job.attempts} time(s): {message}"[:2000]
            yield from self._finish(closed_result(self.plan.spec, cell, "failed", error, self.plan.facts.versions),
                                    job)

    def _finish(self, result: CellResult, job: _Job) -> Iterator[CellResult]:
        if job.attempts > 1:  # the executor's own facts: how often the cell was tried, and why
            result = replace(result, info={**result.info, "attempts": job.attempts,
                                           "earlier_errors": list(job.errors)})
        self.ended.add(result.key)
        yield result
        self._drain()

    def _drain(self) -> None:
        for event in self.ray.get(self.sink.drain.remote()):
            cell = event.get("cell")
            if cell is not None and cell.key in self.ended:
                continue  # a late progress report of a cell whose result was already shown
            self.listener(event)
