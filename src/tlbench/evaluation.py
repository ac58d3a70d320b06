"""What a study measures about a fitted model, and the facts recorded beside it.

- :func:`metrics`: accuracy, macro-F1 and log-loss of predicted probabilities.
- :func:`validation_check`: the learning guard (:mod:`tlbench.learning_check`) on a model's validation part;
  studies (:mod:`tlbench.cell`) and ``tlbench train`` (:mod:`tlbench.training`) both call it, so a model card
  and a results line say the same thing about the same model.
- :func:`environment_versions`: tlbench, Python, the platform and every plugin distribution, recorded with each
  result (the versions of the process that computed it).
- :class:`PeakMemory`: the peak resident (and GPU) memory of this process during a cell.
- :func:`now`, :func:`clean_info`: timestamps and JSON-safe ``info`` dicts for records.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from tlbench import __version__
from tlbench.learning_check import check_model
from tlbench.system import Stopwatch


def metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """``accuracy``, ``macro_f1`` and ``log_loss`` (probabilities clipped to [1e-7, 1] and renormalised)."""
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


@dataclass(frozen=True)
class ValidationCheck:
    """The guard's verdict on one fitted model: ``learned`` (True / False / None), its figures, and the
    validation probabilities it was computed from (None without a validation part)."""

    learned: bool | None
    learning: dict[str, Any]
    proba: np.ndarray | None

    def metrics(self, valid: Any) -> dict[str, float] | None:
        """:func:`metrics` on the validation part, when there are usable probabilities."""
        if self.proba is None or self.proba.shape != (len(valid), len(valid.label_names)):
            return None
        return metrics(valid.labels, self.proba)


def validation_check(model: Any, valid: Any) -> ValidationCheck:
    """Predict ``valid`` (a Split, or None) once with a fitted system and run the learning guard on it.

    Only the validation part is used (never the test split); the seconds it took are in the figures, outside
    train/predict seconds."""
    if valid is None or len(valid) == 0:
        learned, figures = check_model(valid, None)
        return ValidationCheck(learned, figures, None)
    with Stopwatch() as clock:
        proba = np.asarray(model.predict_proba(list(valid.texts)), dtype=np.float64)
    learned, figures = check_model(valid, proba, seconds=round(clock.seconds, 3))
    return ValidationCheck(learned, figures, proba)


def environment_versions(registry: Any) -> dict[str, Any]:
    """tlbench's, Python's and every plugin distribution's version, and the platform."""
    plugins = {c.dist: c.version for c in registry.components() if c.dist}
    return {"tlbench": __version__, "python": platform.python_version(), "platform": platform.platform(),
            "plugins": plugins}


class PeakMemory:
    """Peak resident memory of this process from creation to :meth:`read` (Linux: VmHWM reset through
    clear_refs; elsewhere the process's lifetime peak), and PyTorch's peak GPU memory when torch is in use."""

    def __init__(self) -> None:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass  # not Linux, or not allowed: read() falls back to the lifetime peak
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

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


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))


def clean_info(info: dict[str, Any]) -> dict[str, Any]:
    """``info`` with every value a record cannot hold as JSON replaced by its repr."""
    return {k: (v if jsonable(v) else repr(v)) for k, v in info.items()}
