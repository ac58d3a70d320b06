"""A small PyTorch toolkit for plugins: the machinery every torch backend needs, written once.

Imported only by plugins that use torch (never by ``tlbench list`` or the core): importing this module imports
torch. What it offers:

- :func:`torch_device`, :func:`autocast`, :func:`generator`: tlbench's :class:`~tlbench.device.Device`, threads and
  seed mapped to torch.
- :func:`optimizer_step` / :func:`backward`: one update (gradient scaling, clipping, scheduler), the same in every
  training loop.
- :class:`EarlyStopping`: keep the best epoch's weights on the validation part, stop after ``patience`` epochs
  without improvement, restore the best weights at the end.
- :func:`save_weights` / :func:`load_weights`: safetensors with a JSON sidecar (no pickles read back).

Text fingerprints for cache keys are :func:`tlbench.text.text_fingerprint` (no torch needed).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from tlbench.device import Device
from tlbench.system import Context

_DTYPES = {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}


def torch_device(where: Context | Device, threads: int | None = None) -> torch.device:
    """``where`` (a Context's device, or a Device itself, as ``to_device`` gets it) as a torch.device; on CPU,
    torch uses ``threads`` (default: the cores this process may run on). torch's thread count is process-wide."""
    device = where if isinstance(where, Device) else where.device
    if device.kind == "cpu":
        threads = int(threads or device.cpu_threads)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    return device.torch()


def autocast(device: torch.device, precision: str | None):
    """Mixed precision (``bfloat16``/``float16``) on ``device``, or a no-op context when ``precision`` is None."""
    if not precision:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=_DTYPES[precision])


def device_precision(device: torch.device) -> str | None:
    """The autocast dtype worth using on ``device``: bf16/fp16 on CUDA, None (float32) elsewhere."""
    if device.type != "cuda":
        return None
    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (for shuffling that must not depend on the global RNG)."""
    return torch.Generator().manual_seed(int(seed) % (2**63))


def backward(loss: torch.Tensor, scaler: Any = None) -> None:
    """Back-propagate ``loss`` (scaled when a float16 GradScaler is in use)."""
    (scaler.scale(loss) if scaler is not None else loss).backward()


def optimizer_step(optimizer: torch.optim.Optimizer, params: Iterable[torch.nn.Parameter], max_grad_norm: float,
                   scheduler: Any = None, scaler: Any = None) -> None:
    """Apply the gradients accumulated by :func:`backward`: unscale, clip to ``max_grad_norm``, step the optimiser
    and the scheduler, then clear the gradients."""
    if scaler is not None:
        scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(list(params), max_grad_norm)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    if scheduler is not None:
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)


def train_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, params: Iterable[torch.nn.Parameter],
               max_grad_norm: float, scheduler: Any = None) -> float:
    """One plain update from ``loss`` (no accumulation); returns the loss value."""
    optimizer.zero_grad(set_to_none=True)
    backward(loss)
    optimizer_step(optimizer, params, max_grad_norm, scheduler)
    return float(loss.detach())


class EarlyStopping:
    """Best-epoch selection on the validation part with best-state restore.

    ``modules`` are the modules whose weights make up "the model" (a classifier, and a fine-tuned encoder).
    Call :meth:`update` once per epoch with a score (higher is better; tuples compare element-wise, e.g.
    ``(accuracy, -loss)``); :attr:`stop` says when ``patience`` epochs passed without improvement; :meth:`restore`
    puts the best epoch's weights back.
    """

    def __init__(self, modules: Iterable[torch.nn.Module], patience: int) -> None:
        self.modules = list(modules)
        self.patience = int(patience)
        self.best_score: Any = None
        self.best_epoch = 0
        self.waited = 0
        self._state: list[dict[str, torch.Tensor]] | None = None

    def update(self, score: Any, epoch: int) -> bool:
        """Record an epoch's score; True when it is the best so far (its weights are then kept)."""
        if self.best_score is None or score > self.best_score:
            self.best_score, self.best_epoch, self.waited = score, epoch, 0
            self._state = [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in self.modules]
            return True
        self.waited += 1
        return False

    @property
    def stop(self) -> bool:
        return self.waited >= self.patience

    def restore(self) -> None:
        """Load the best epoch's weights (nothing happens when no epoch was scored)."""
        if self._state is not None:
            for module, state in zip(self.modules, self._state):
                module.load_state_dict(state)


def save_weights(folder: Path, name: str, state: Mapping[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write ``folder/name.safetensors`` (tensors, moved to CPU) and ``folder/name.json`` (``meta``)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(folder / f"{name}.safetensors"))
    (folder / f"{name}.json").write_text(json.dumps(meta))


def load_weights(folder: Path, name: str, what: str = "model") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The tensors and the JSON sidecar written by :func:`save_weights`; a DataError that says what is missing."""
    from safetensors.torch import load_file

    from tlbench.errors import DataError

    folder = Path(folder)
    meta_file, tensor_file = folder / f"{name}.json", folder / f"{name}.safetensors"
    if not meta_file.is_file() or not tensor_file.is_file():
        raise DataError(f"{folder} holds no saved {what} ({meta_file.name} or {tensor_file.name} is missing)")
    return load_file(str(tensor_file)), json.loads(meta_file.read_text())
