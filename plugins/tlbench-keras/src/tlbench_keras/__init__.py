"""tlbench-keras: the ``glove`` embedding, the ``cnn-doc`` encoder and the ``glove-cnn`` preset on Keras 3.

Importing this package is light; Keras/TensorFlow load only when a model is built.
"""

__version__ = "0.1.0"
