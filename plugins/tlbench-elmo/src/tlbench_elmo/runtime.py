"""tlbench's Device and seed mapped to PyTorch: the torch.device, CPU threads, autocast on CUDA."""

from __future__ import annotations

import contextlib

import torch

from tlbench.system import Context


def torch_device(ctx: Context, threads: int | None = None) -> torch.device:
    """``ctx.device`` as a torch.device; on CPU, torch uses ``threads`` (default: the cores this process may run
    on). torch's thread count is process-wide."""
    if ctx.device.kind == "cpu":
        threads = int(threads or ctx.device.cpu_threads)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    return ctx.device.torch()


def autocast(ctx: Context):
    """Mixed precision where the device supports it (CUDA); a no-op context elsewhere."""
    dtype = ctx.device.mixed_precision
    if ctx.device.kind == "cuda" and dtype:
        return torch.autocast(device_type="cuda", dtype=getattr(torch, dtype))
    return contextlib.nullcontext()


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) % (2**63))
