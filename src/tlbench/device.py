"""The one device a study runs on, chosen by the core and handed to every plugin.

``auto`` means CUDA, then MPS, then CPU. Detection asks the deep-learning frameworks that are installed (torch
first, then TensorFlow) and imports them only when a study runs, never for ``tlbench list``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass

from tlbench.errors import ConfigError

_SPEC = re.compile(r"^(auto|cpu|mps|cuda)(?::(\d+))?$")


@dataclass(frozen=True)
class Device:
    """A device: ``kind`` is ``cpu``, ``cuda`` or ``mps``; ``index`` the GPU number for CUDA."""

    kind: str = "cpu"
    index: int | None = None

    def __str__(self) -> str:
        return self.kind if self.index is None else f"{self.kind}:{self.index}"

    @property
    def cpu_threads(self) -> int:
        """Worker threads a CPU-bound library (gensim, tokenizers) should use."""
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

    def torch(self):  # -> torch.device
        """This device as a ``torch.device`` (imports torch)."""
        import torch

        return torch.device(str(self))

    @property
    def mixed_precision(self) -> str | None:
        """The autocast dtype worth using on this device (``bfloat16``/``float16``), or ``None`` on CPU."""
        if self.kind == "cuda":
            try:
                import torch

                return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
            except ImportError:
                return "float16"
        return None


def _cuda_count() -> int:
    if importlib.util.find_spec("torch") is not None:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    if importlib.util.find_spec("tensorflow") is not None:
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    return 0


def _mps_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def resolve_device(spec: str = "auto") -> Device:
    """Turn ``auto|cpu|cuda[:N]|mps`` into a Device that exists here, or raise a one-line ConfigError."""
    match = _SPEC.match(spec.strip().lower())
    if not match:
        raise ConfigError(f"unknown device {spec!r}: use auto, cpu, cuda, cuda:N or mps")
    kind, index = match.group(1), match.group(2)
    if kind == "cpu":
        return Device("cpu")
    if kind == "auto":
        if _cuda_count():
            return Device("cuda", 0)
        if _mps_available():
            return Device("mps")
        return Device("cpu")
    if kind == "mps":
        if not _mps_available():
            raise ConfigError("device mps is not available here: use --device cpu or --device auto")
        return Device("mps")
    count = _cuda_count()
    n = int(index or 0)
    if n >= count:
        raise ConfigError(
            f"device cuda:{n} is not available ({count} CUDA device(s) found): use --device auto or --device cpu"
        )
    return Device("cuda", n)
