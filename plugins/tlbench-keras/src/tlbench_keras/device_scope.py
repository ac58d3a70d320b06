"""Maps the core's Device to Keras 3: a device scope that works on every backend, and the dtype policy
(mixed precision on GPUs)."""

from __future__ import annotations

from tlbench.device import Device


def keras_device_name(device: Device) -> str:
    """``cpu`` or ``gpu:N`` as ``keras.device`` understands them (TensorFlow and torch backends alike)."""
    if device.kind == "cpu":
        return "cpu"  # not "cpu:0": Keras's torch backend would turn variables into plain tensors
    if device.kind == "mps":
        return "mps:0"
    return f"gpu:{device.index or 0}"


def device_scope(device: Device | None):
    """A context manager placing the model's variables and computation on ``device``; ``None`` (a model loaded
    from disk before any context was given) leaves placement to the backend."""
    import contextlib

    import keras

    return contextlib.nullcontext() if device is None else keras.device(keras_device_name(device))


def dtype_policy(device: Device | None) -> str | None:
    """``mixed_float16``/``mixed_bfloat16`` on CUDA (the head stays float32), ``None`` (float32) elsewhere."""
    precision = device.mixed_precision if device is not None else None
    return f"mixed_{precision}" if precision else None
