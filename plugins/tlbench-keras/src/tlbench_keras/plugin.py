"""The plugin module ``tlbench list`` imports: registrations only, as lazy ``"module:attribute"`` factories, so
listing components never imports Keras or TensorFlow."""

from __future__ import annotations

from tlbench import hookimpl


@hookimpl
def register_encoders(register):
    register("cnn-doc", "tlbench_keras.cnn_doc:cnn_doc",
             description="CNN document model (Denil et al. 2014) in Keras 3: word conv + k-max per sentence, "
                         "sentence conv + k-max, dense; works with any static embedding")


@hookimpl
def register_systems(register):
    register("glove-cnn", embedding="glove", encoder="cnn-doc",
             description="the 2019 talk's model: GloVe 6B 50d + CNN document model (Keras 3)")
