"""What runs inside Ray workers for the Ray executor: the tasks, the worker's StudyEnv, and event forwarding.

A worker builds its registry the normal way (:func:`tlbench.plugins.get_registry`: installed plugins, the
``$TLBENCH_PLUGINS`` allow-list and ``$TLBENCH_EXTRA_PLUGINS``, which the driver forwards to the tasks) and one
:class:`~tlbench.study_env.StudyEnv` per spec, then runs the planned cells it is given with
:func:`tlbench.cell.run_cell`. It plans nothing.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path
from typing import Any

from tlbench.cache import content_key
from tlbench.cell import run_cell
from tlbench.plan import Cell, StudyFacts
from tlbench.plugins import EXTRA_ENV
from tlbench.results import CellResult
from tlbench.source_models import SOURCE_KIND, Receipt
from tlbench.study import StudySpec
from tlbench.study_env import StudyEnv

#: At most one progress event per cell per this many seconds crosses the network (the last step always does).
PROGRESS_INTERVAL_S = 0.5


class EventSink:
    """A Ray actor that collects the workers' listener events until the driver drains them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def push(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def drain(self) -> list[dict[str, Any]]:
        events, self.events = self.events, []
        return events


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


def worker_env(spec_data: dict[str, Any], sink: Any) -> StudyEnv:
    """This worker process's StudyEnv for the spec (built once, so later cells reuse corpora and models)."""
    from tlbench.plugins import get_registry

    _FORWARD.sink = sink
    # The visible GPUs are part of the key: the device is resolved when the env is built.
    key = content_key(spec_data, os.environ.get(EXTRA_ENV, ""), os.environ.get("CUDA_VISIBLE_DEVICES"))
    if key not in _ENV:
        _ENV.clear()
        env = StudyEnv(StudySpec.from_dict(spec_data), get_registry(), listener=_FORWARD)
        # Plugins write scratch files under ctx.workdir, which a fresh node does not have yet.
        (env.cache.root.parent / "work").mkdir(parents=True, exist_ok=True)
        _ENV[key] = env
    return _ENV[key]


def run_cells(spec_data: dict[str, Any], facts: StudyFacts, cells: list[Cell], sink: Any,
              source: tuple[str, Any, Receipt | None] | None) -> list[CellResult]:
    """Ray task: run cells one after another in this worker. ``source``, when given: the source model's cache
    key, a reference to its saved files (fetched only when the local cache lacks them) and, for the first cell
    of its group, the receipt of the source task that trained it (that cell pays it)."""
    env = worker_env(spec_data, sink)
    if source is not None:
        key, blob_ref, receipt = source
        restore_source(env, key, blob_ref)
        if receipt is not None:
            env.source_models.owe(key, receipt)
    results = []
    try:
        for cell in cells:
            _FORWARD({"type": "cell_start", "cell": cell})
            results.append(run_cell(env, cell, facts))
    finally:
        _FORWARD.flush()
    return results


def train_source(spec_data: dict[str, Any], cell: Cell, sink: Any) -> tuple[dict[str, Any], bytes | None]:
    """Ray task (two returns): train (or load from the cache) the source model ``cell`` needs.

    Returns ``{"saved": whether the model is in the cache, "receipt": its Receipt}`` and the saved model's files
    as a tar archive (None when the model was not saved)."""
    env = worker_env(spec_data, sink)
    try:
        receipt = env.source_models.train(cell)
    finally:
        _FORWARD.flush()
    path = env.source_models.saved(cell.source_key)
    return {"saved": path is not None, "receipt": receipt}, (tar(path) if path is not None else None)


def restore_source(env: StudyEnv, key: str, blob_ref: Any) -> None:
    """Put the saved source model from the object store into this node's cache, unless it is there already."""
    if env.cache.get(SOURCE_KIND, key) is not None:
        return  # same node or shared disk: the source task's files are here already
    import ray

    blob = ray.get(blob_ref)
    try:
        env.cache.put(SOURCE_KIND, key, lambda tmp: untar(blob, tmp))
    except OSError:
        if env.cache.get(SOURCE_KIND, key) is None:  # another worker on this node may have won the race
            raise


def tar(path: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for item in sorted(path.iterdir()):
            archive.add(item, arcname=item.name)
    return buffer.getvalue()


def untar(blob: bytes, target: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r") as archive:
        archive.extractall(target, filter="data")
