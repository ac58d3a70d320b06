"""tlbench-keras: the ``cnn-doc`` encoder and the ``glove-cnn`` preset (the core's ``glove`` + ``cnn-doc``) on
Keras 3.

Importing this package is light; Keras/TensorFlow load only when a model is built.
"""

__version__ = "0.2.0"
