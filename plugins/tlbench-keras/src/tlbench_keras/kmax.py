"""k-max pooling (Kalchbrenner et al. 2014) as a Keras 3 layer: the ``k`` largest values along one axis, kept in
their original order, for every other position and channel. Uses only ``keras.ops``, so it runs on every backend."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tlbench_keras")
class KMaxPooling(keras.layers.Layer):
    """Keep the ``k`` largest values along ``axis`` (a positive axis of the input, batch axis excluded)."""

    def __init__(self, k: int, axis: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        if k < 1 or axis < 1:
            raise ValueError(f"KMaxPooling needs k >= 1 and a non-batch axis, got k={k}, axis={axis}")
        self.k = int(k)
        self.axis = int(axis)

    def build(self, input_shape) -> None:
        length = input_shape[self.axis]
        if length is not None and length < self.k:
            raise ValueError(f"k-max pooling with k={self.k} over an axis of length {length}")

    def call(self, inputs):
        moved = ops.moveaxis(inputs, self.axis, -1)
        # top_k gives positions by value; sorting the positions restores the sequence order.
        _, positions = ops.top_k(moved, self.k, sorted=False)
        positions = ops.sort(positions, axis=-1)
        pooled = ops.take_along_axis(moved, positions, axis=-1)
        return ops.moveaxis(pooled, -1, self.axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self.axis] = self.k
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k, "axis": self.axis}
