"""Run a study's cells as Ray tasks (``tlbench compare --executor ray [--address ADDR]``).

One cell is one Ray task: the worker rebuilds a :class:`~tlbench.runner.StudyEnv` from the spec (once per worker
process; corpora load from the parquet cache), calls ``env.run_cell(cell)`` and returns the CellResult, which the
runner appends to the study's result store as it arrives. A task asks Ray for what the system asks for
(``System.resources()``, e.g. ``{"num_gpus": 1}``; default one CPU), so Ray places at most one cell per GPU.

Source models are trained once per (system, seed): for systems that can ``save``/``load``, a *source task* trains
the model first and stores it in the worker's content cache; the cells that need it are submitted when it is done
and find it in their own content cache (shared or same-node disk), or else fetch the saved files from Ray's object
store and put them in their cache. For systems that cannot be saved, the cells that need a source run one after
another in one task, which keeps the model in memory as the local executor does.

Failures: a task whose worker died (``WorkerCrashedError``, node lost, out of memory) or that returned a
``failed`` cell is tried again, up to ``spec.retries`` times; after that the cell is recorded as failed with its
error and the rest of the study goes on. Ray's own task retries are off, so attempts are counted here.

Workers build their registry from the installed plugins. ``TLBENCH_EXTRA_PLUGINS`` (comma-separated
``module:attribute`` plugin objects, importable on every worker) adds plugins that are not installed through entry
points, e.g. a test's throwaway plugin; it and ``TLBENCH_PLUGINS`` are forwarded to the tasks' environment.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import socket
import tarfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from tlbench.cache import content_key
from tlbench.errors import ConfigError, TlbenchError
from tlbench.registry import Registry
from tlbench.results import CellResult
from tlbench.runner import Cell, Listener, StudyEnv, environment_versions
from tlbench.study import StudySpec

EXTRA_PLUGINS_ENV = "TLBENCH_EXTRA_PLUGINS"
#: Environment variables of the driver that decide which plugins load; workers get the same values.
FORWARDED_ENV = ("TLBENCH_PLUGINS", EXTRA_PLUGINS_ENV)
DEFAULT_RESOURCES: dict[str, Any] = {"num_cpus": 1}
#: Ray task options a System's ``resources()`` may set.
RESOURCE_KEYS = {"num_cpus", "num_gpus", "memory", "resources", "accelerator_type"}
#: At most one progress event per cell per this many seconds crosses the network (the last step always does).
PROGRESS_INTERVAL_S = 0.5
_WAIT_S = 0.25
_SOURCE_KIND = "source-models"


# -- the driver ------------------------------------------------------------------------------------------------
def run_on_ray(spec: StudySpec, cells: Sequence[Cell], *, address: str | None = None,
               listener: Listener | None = None) -> Iterator[CellResult]:
    """Run ``cells`` of ``spec`` on a Ray cluster and yield their results as they finish.

    :param address: ``None`` (``$RAY_ADDRESS``, a cluster started on this machine with ``ray start``, or a new
        local one), ``"auto"``, ``"host:6379"`` or ``"ray://host:10001"`` (Ray Client). When tlbench connects,
        it disconnects at the end; a Ray session the caller opened is used as it is and left open.
    :param listener: gets ``cell_start`` / ``source_start`` / ``progress`` events from the workers and
        ``cell_end`` (after the result was handed on) as in local runs.
    :raises TlbenchError: Ray is not installed, or the cluster cannot be reached.
    """
    ray = _import_ray()
    return _Driver(ray, spec, list(cells), address, listener or (lambda event: None)).run()


def _import_ray():
    try:
        import ray
    except ImportError:
        raise TlbenchError("the ray executor needs Ray, which is not installed: pip install 'tlbench[ray]' "
                           "(or run with --executor local)") from None
    return ray


def task_resources(system: object, device: str, cluster_gpus: float) -> dict[str, Any]:
    """The Ray resources one cell of ``system`` asks for.

    ``system.resources()`` when it offers that, over one CPU. A GPU request is dropped when the study runs on
    the CPU (``--device cpu``) or on ``auto`` with no GPU in the cluster; ``--device cuda`` asks for one GPU per
    cell even for systems that do not say so (they would find no GPU otherwise: Ray hides GPUs from tasks that
    did not ask for one).
    """
    wanted = getattr(system, "resources", None)
    asked = dict(wanted()) if callable(wanted) else {}
    unknown = set(asked) - RESOURCE_KEYS
    if unknown:
        name = getattr(system, "name", type(system).__name__)
        raise ConfigError(f"{name}.resources() returned unknown key(s) {', '.join(sorted(unknown))}; "
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
    group: tuple[str, int] | None = None
    source: tuple[str, Any] | None = None  # (cache key, object ref of the saved model) for "cells"
    blob: Any = None  # for "source": the object ref of the saved model's files
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


class _Driver:
    def __init__(self, ray: Any, spec: StudySpec, cells: list[Cell], address: str | None,
                 listener: Listener) -> None:
        self.ray, self.spec, self.cells, self.address, self.listener = ray, spec, cells, address, listener
        self.spec_data = _with_absolute_dirs(spec.to_dict())
        self.pending: dict[Any, _Job] = {}
        self.waiting: dict[tuple[str, int], list[Cell]] = {}
        self.ended: set[str] = set()
        self.by_key = {cell.key: cell for cell in cells}
        self.source_paid: dict[tuple[str, int], dict[str, Any]] = {}

    def run(self) -> Iterator[CellResult]:
        if not self.cells:
            return
        connected_here = self._connect()
        ray = self.ray
        self.sink = None
        env_vars = {k: os.environ[k] for k in FORWARDED_ENV if os.environ.get(k)}
        self.task_options = {"max_retries": 0, **({"runtime_env": {"env_vars": env_vars}} if env_vars else {})}
        self._remotes: dict[tuple, Any] = {}
        try:
            self.sink = ray.remote(num_cpus=0)(_EventSink).remote()
            for job in self._plan():
                self._submit(job)
            while self.pending:
                ready, _ = ray.wait(list(self.pending), num_returns=1, timeout=_WAIT_S)
                self._drain()
                for ref in ready:
                    yield from self._collect(ref, self.pending.pop(ref))
            self._drain()
        finally:
            for ref in self.pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # already finished or gone: nothing to stop
                    pass
            if self.sink is not None:
                try:
                    ray.kill(self.sink)
                except Exception:  # the cluster may be gone already
                    pass
            if connected_here:
                ray.shutdown()

    def _connect(self) -> bool:
        if self.ray.is_initialized():
            return False
        _check_reachable(self.address)
        _agree_on_token_auth()
        try:
            self.ray.init(address=self.address, logging_level="WARNING")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "$RAY_ADDRESS / a new local cluster"
            raise TlbenchError(f"cannot start or reach the Ray cluster at {where}: {_one_line(exc)}; start one "
                               "with `ray start --head`, check --address, and give a token-authenticated cluster's "
                               "token ($RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)") from None
        return True

    # -- planning -------------------------------------------------------------------------------------------
    def _plan(self) -> list[_Job]:
        """Source jobs first (so Ray starts them first), then cells that wait for nothing, in planned order."""
        spec, registry = self.spec, worker_registry()
        gpus = float(self.ray.cluster_resources().get("GPU", 0))
        probes = {name: registry.create_system(name, spec.system_options.get(name, {}))
                  for name in dict.fromkeys(c.system for c in self.cells)}
        resources = {name: task_resources(probe, spec.device, gpus) for name, probe in probes.items()}
        strategies = {name: registry.create_strategy(name, spec.strategy_options.get(name, {}))
                      for name in dict.fromkeys(c.strategy for c in self.cells)}
        groups: dict[tuple[str, int], list[Cell]] = {}
        alone: list[Cell] = []
        for cell in self.cells:
            strategy = strategies[cell.strategy]
            # Strategies that read the source's data but never train on it (pooled) may say so.
            needs_model = getattr(strategy, "uses_source_model", strategy.uses_source)
            if cell.skip is None and cell.fail is None and spec.source is not None and needs_model:
                groups.setdefault((cell.system, cell.seed), []).append(cell)
            else:
                alone.append(cell)
        jobs: list[_Job] = []
        for (system, seed), cells in groups.items():
            probe = probes[system]
            if callable(getattr(probe, "save", None)) and callable(getattr(probe, "load", None)):
                self.waiting[(system, seed)] = cells
                jobs.append(_Job("source", [], resources[system], group=(system, seed)))
            else:
                jobs.append(_Job("cells", cells, resources[system], group=(system, seed)))
        jobs += [_Job("cells", [cell], resources[cell.system]) for cell in alone]
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
        if job.kind == "source":
            system, seed = job.group
            task = self._remote(_train_source, job.resources).options(
                num_returns=2, name=_task_name(f"tlbench source {system} seed {seed}"), **self.task_options)
            info_ref, job.blob = task.remote(self.spec_data, system, seed, self.sink)
            self.pending[info_ref] = job
        else:
            first = job.cells[0]
            name = (f"tlbench {first.system} {first.strategy} {first.fraction:g} seed {first.seed}"
                    if len(job.cells) == 1 else f"tlbench {len(job.cells)} cells")
            task = self._remote(_run_cells, job.resources).options(name=_task_name(name), **self.task_options)
            self.pending[task.remote(self.spec_data, job.cells, self.sink, job.source)] = job

    # -- results --------------------------------------------------------------------------------------------
    def _collect(self, ref: Any, job: _Job) -> Iterator[CellResult]:
        try:
            value = self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            yield from self._task_failed(job, exc)
            return
        if job.kind == "source":
            key = value["key"]
            # Locally the first cell that needs the source model pays for training it; here the first of the
            # group to finish carries what the source task measured, so cost tables stay comparable.
            self.source_paid[job.group] = value
            for cell in self.waiting.pop(job.group, []):
                self._submit(_Job("cells", [cell], job.resources, job.group,
                                  source=(key, job.blob) if key else None))
            return
        retry = {r.key: r for r in value if r.status == "failed" and job.attempts <= self.spec.retries}
        for result in value:
            if result.key not in retry:
                yield from self._finish(result, job)
        if retry:
            job.errors.append("; ".join(r.error or "failed" for r in retry.values()))
            job.cells = [c for c in job.cells if c.key in retry]
            self._submit(job)

    def _task_failed(self, job: _Job, exc: Exception) -> Iterator[CellResult]:
        message = _one_line(exc)
        job.errors.append(message)
        if job.attempts <= self.spec.retries:
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
            system, seed = job.group
            message = f"training the source model of {system} (seed {seed}) on Ray failed: {message}"
        else:
            cells = job.cells
        for cell in cells:
            yield from self._finish(self._failed_result(cell, message, job.attempts), job)

    def _finish(self, result: CellResult, job: _Job) -> Iterator[CellResult]:
        paid = self.source_paid.pop(job.group, None) if result.ok and job.group is not None else None
        if paid is not None:
            seconds = round(result.cost.get("source_seconds", 0.0) + paid["seconds"], 3)
            cost = {**result.cost, "source_seconds": seconds}
            result = replace(result, cost=cost, info={**result.info, "source": paid["info"]})
        if job.attempts > 1:
            result = replace(result, info={**result.info, "attempts": job.attempts,
                                           "earlier_errors": list(job.errors)})
        self.ended.add(result.key)
        yield result
        self._drain()
        self.listener({"type": "cell_end", "cell": self.by_key[result.key], "result": result})

    def _failed_result(self, cell: Cell, message: str, attempts: int) -> CellResult:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return CellResult(key=cell.key, status="failed", system=cell.system, strategy=cell.strategy,
                          target=self.spec.target, source=self.spec.source, fraction=cell.fraction, seed=cell.seed,
                          error=f"Ray task failed {attempts} time(s): {message}"[:2000], device="unknown",
                          versions=environment_versions(worker_registry()), started_at=now, finished_at=now,
                          host=socket.gethostname())

    def _drain(self) -> None:
        for event in self.ray.get(self.sink.drain.remote()):
            cell = event.get("cell")
            if cell is not None and cell.key in self.ended:
                continue  # a late progress report of a cell whose result was already shown
            self.listener(event)


def _with_absolute_dirs(spec_data: dict[str, Any]) -> dict[str, Any]:
    """The spec with ``data_dir`` / ``cache_dir`` made absolute: a Ray worker's working directory is the one its
    node was started in, not the driver's."""
    out = dict(spec_data)
    for name in ("data_dir", "cache_dir"):
        if out.get(name):
            out[name] = os.path.abspath(os.path.expanduser(out[name]))
    return out


def _task_name(text: str) -> str:
    # ASCII only: Ray puts the name in the process title, which /proc/self/status cuts at 15 bytes, possibly
    # inside a multi-byte character that then breaks utf-8 readers of that file (the runner's memory probe).
    return text.encode("ascii", "replace").decode()


def _check_reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """Fail fast on an explicit ``host:port`` / ``ray://host:port`` nobody listens at (``ray.init`` would keep
    retrying for minutes)."""
    if not address or address in ("auto", "local"):
        return
    where = address.removeprefix("ray://")
    host, sep, port = where.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"bad Ray address {address!r}: give auto, host:6379 or ray://host:10001")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise TlbenchError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                           "`ray start --head` (then --address auto) or check --address") from None


def _agree_on_token_auth() -> None:
    """Use Ray's token authentication when a token is available, as ``ray start`` does.

    Since Ray 2.59 ``ray start --head`` turns token authentication on whenever a token exists (``$RAY_AUTH_TOKEN``,
    ``$RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``), but a driver connecting to that cluster only does so when
    ``RAY_AUTH_MODE=token`` is set (Ray 2.60): without this it retries "Authentication token is missing" and
    fails. An explicit ``RAY_AUTH_MODE`` is respected; older Rays have no token authentication.
    """
    if os.environ.get("RAY_AUTH_MODE"):
        return
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:
        return
    quiet = logging.getLogger("ray._private.authentication.authentication_token_setup")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # Ray would warn that token authentication is on, which is the point
    try:
        maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
    finally:
        quiet.setLevel(level)


class _EventSink:
    """A Ray actor that collects the workers' listener events until the driver drains them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def push(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def drain(self) -> list[dict[str, Any]]:
        events, self.events = self.events, []
        return events


# -- the workers ----------------------------------------------------------------------------------------------
def worker_registry() -> Registry:
    """The registry a Ray worker (and the driver's planning) uses: installed plugins plus
    ``$TLBENCH_EXTRA_PLUGINS``."""
    from tlbench.plugins import get_registry

    extra = os.environ.get(EXTRA_PLUGINS_ENV, "").strip()
    return _registry_with(extra) if extra else get_registry()


@lru_cache(maxsize=2)
def _registry_with(extra: str) -> Registry:
    from tlbench.plugins import load_plugins

    return load_plugins(extra=[_import_object(item) for item in extra.split(",") if item.strip()]).registry


def _import_object(ref: str) -> Any:
    module, sep, attr = ref.strip().partition(":")
    if not sep or not module or not attr:
        raise ConfigError(f"{EXTRA_PLUGINS_ENV} entry {ref!r} is not 'module:attribute'")
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{EXTRA_PLUGINS_ENV} entry {ref!r} cannot be loaded ({exc}); it must be importable "
                          "on every Ray worker (installed, or on PYTHONPATH)") from None
    return obj


class _Forwarder:
    """The listener of a worker's StudyEnv: sends events to the driver's sink, progress at a limited rate."""

    def __init__(self) -> None:
        self.sink: Any = None
        self._last_sent: dict[str | None, float] = {}
        self._last_ref: Any = None

    def __call__(self, event: dict[str, Any]) -> None:
        if self.sink is None:
            return
        if event["type"] == "progress":
            step = event["event"]
            cell = event.get("cell")
            key = cell.key if cell is not None else None
            now = time.monotonic()
            last = step.total is not None and step.step >= step.total
            if not last and now - self._last_sent.get(key, float("-inf")) < PROGRESS_INTERVAL_S:
                return
            self._last_sent[key] = now
        self._last_ref = self.sink.push.remote(event)

    def flush(self) -> None:
        """Wait until the sink has every event sent so far (actor calls from one caller run in order), so
        the driver sees a cell's start before its end."""
        if self._last_ref is not None:
            import ray

            ray.get(self._last_ref)
            self._last_ref = None


_FORWARD = _Forwarder()
_ENV: dict[str, StudyEnv] = {}


def _worker_env(spec_data: dict[str, Any], sink: Any) -> StudyEnv:
    """This worker process's StudyEnv for the spec (built once, so later cells reuse corpora and models)."""
    _FORWARD.sink = sink
    # The visible GPUs are part of the key: the device is resolved when the env is built.
    key = content_key(spec_data, os.environ.get(EXTRA_PLUGINS_ENV, ""), os.environ.get("CUDA_VISIBLE_DEVICES"))
    if key not in _ENV:
        _ENV.clear()
        env = StudyEnv(StudySpec.from_dict(spec_data), worker_registry(), listener=_FORWARD)
        # Plugins write scratch files under ctx.workdir, which a fresh node does not have yet.
        (env.cache.root.parent / "work").mkdir(parents=True, exist_ok=True)
        _ENV[key] = env
    return _ENV[key]


def _run_cells(spec_data: dict[str, Any], cells: list[Cell], sink: Any,
               source: tuple[str, Any] | None) -> list[CellResult]:
    """Ray task: run cells one after another in this worker (with the source model from ``source`` when given:
    its cache key and a reference to its saved files, fetched only when the local cache lacks them)."""
    env = _worker_env(spec_data, sink)
    if source is not None:
        _restore_source(env, *source)
    results = []
    try:
        for cell in cells:
            _FORWARD({"type": "cell_start", "cell": cell})
            results.append(env.run_cell(cell))
    finally:
        _FORWARD.flush()
    return results


def _train_source(spec_data: dict[str, Any], system: str, seed: int,
                  sink: Any) -> tuple[dict[str, Any], bytes | None]:
    """Ray task (two returns): train (or load from the cache) the source model of ``system`` for ``seed``.

    Returns ``{"key": cache key or None, "seconds": time spent, "info": what training recorded}`` and the saved
    model's files as a tar archive (None when the model was not saved)."""
    env = _worker_env(spec_data, sink)
    try:
        _, seconds, info = env.train_source_model(system, seed)
    finally:
        _FORWARD.flush()
    key = env.source_model_key(system, seed)
    path = env.cache.get(_SOURCE_KIND, key)
    summary = {"key": key if path is not None else None, "seconds": seconds, "info": info}
    return summary, (_tar(path) if path is not None else None)


def _restore_source(env: StudyEnv, key: str, blob_ref: Any) -> None:
    if env.cache.get(_SOURCE_KIND, key) is not None:
        return  # same node or shared disk: the source task's files are here already
    import ray

    blob = ray.get(blob_ref)
    try:
        env.cache.put(_SOURCE_KIND, key, lambda tmp: _untar(blob, tmp))
    except OSError:
        if env.cache.get(_SOURCE_KIND, key) is None:  # another worker on this node may have won the race
            raise


def _tar(path: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for item in sorted(path.iterdir()):
            tar.add(item, arcname=item.name)
    return buffer.getvalue()


def _untar(blob: bytes, target: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r") as tar:
        tar.extractall(target, filter="data")


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        exc = cause  # a RayTaskError wrapping the task's own exception: show that one
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]
