from __future__ import annotations

from tlbench_keras.stopping import WindowedEarlyStopping


class Weights:
    """Stands in for a model: its "weights" are the epoch they were taken at."""

    def __init__(self) -> None:
        self.epoch, self.stop_training = -1, False

    def get_weights(self):
        return self.epoch

    def set_weights(self, weights) -> None:
        self.epoch = weights


def replay(values, **options):
    model, stopper = Weights(), WindowedEarlyStopping(**options)
    stopper.set_model(model)
    stopper.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        model.epoch, ran = epoch, epoch + 1
        stopper.on_epoch_end(epoch, {"val_accuracy": value, "val_loss": 1 - value})
        if model.stop_training:
            break
    stopper.on_train_end()
    return model.epoch, ran


def test_window_one_is_keras_early_stopping():
    # best strictly greater (ties keep the earlier), stop after `patience` epochs without improvement
    assert replay([0.5, 0.7, 0.6, 0.7, 0.6, 0.65, 0.9], patience=3) == (1, 5)
    assert replay([0.5, 0.7, 0.6, 0.7, 0.6, 0.65, 0.9], patience=3, monitor="val_loss") == (1, 5)


def test_a_lucky_epoch_loses_to_a_good_stretch():
    curve = [0.5, 0.8, 0.5, 0.55, 0.7, 0.72, 0.71, 0.7, 0.6, 0.6, 0.6, 0.6]
    assert replay(curve, patience=5, window=1)[0] == 1  # the spike
    assert replay(curve, patience=5, window=3)[0] == 6  # the end of the best 3-epoch stretch


def test_start_from_epoch_delays_scoring():
    assert replay([0.9, 0.5, 0.6, 0.55, 0.5, 0.5], patience=2, start_from_epoch=1) == (2, 5)
