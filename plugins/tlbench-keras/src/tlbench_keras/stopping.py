"""Early stopping on the mean of the last few epochs' validation numbers (Keras 3 callback).

With 40 validation texts one review moves validation accuracy by 2.5 points, and between two epochs of a small
run it jumps by 10: the single best epoch is then often a lucky one (docs/glove-cnn.md, "Tiny budgets"). Averaging
the monitored value over the last ``window`` epochs scores a stretch of training instead of one epoch; the weights
kept are those at the end of the best stretch. ``window=1`` is Keras' ``EarlyStopping(restore_best_weights=True)``
with ``min_delta=0``.
"""

from __future__ import annotations

from collections import deque

import keras


class WindowedEarlyStopping(keras.callbacks.Callback):
    """Stop after ``patience`` epochs without a strict improvement of the ``window``-epoch mean of ``monitor``
    (``val_accuracy``: higher is better; ``val_loss``: lower), not before ``start_from_epoch``; at the end restore the
    weights of the epoch that ended the best window (ties: the earlier). ``best_epoch`` is 0-based, ``None`` if no
    epoch was scored."""

    def __init__(self, monitor: str = "val_accuracy", patience: int = 3, window: int = 1,
                 start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor, self.patience, self.window = monitor, int(patience), max(1, int(window))
        self.start_from_epoch = int(start_from_epoch)
        self.sign = -1.0 if monitor == "val_loss" else 1.0

    def on_train_begin(self, logs=None) -> None:
        self.recent: deque[float] = deque(maxlen=self.window)
        self.best, self.best_epoch, self.best_weights, self.wait = None, None, None, 0

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        self.recent.append(self.sign * float(value))
        if epoch < self.start_from_epoch:
            return
        score = sum(self.recent) / len(self.recent)
        if self.best is None or score > self.best:
            self.best, self.best_epoch, self.wait = score, epoch, 0
            self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs=None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
