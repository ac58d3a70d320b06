"""A Keras callback that reports each epoch to the core (``ctx.report("epoch", ...)``)."""

from __future__ import annotations

import keras

from tlbench.system import Context


class EpochReporter(keras.callbacks.Callback):
    """Sends ``ctx.report("epoch", epoch, total, loss=..., val_accuracy=...)`` after every epoch."""

    def __init__(self, ctx: Context, total: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.total = total

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        metrics = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float)) or hasattr(v, "item")}
        self.ctx.report("epoch", epoch + 1, self.total, **metrics)
