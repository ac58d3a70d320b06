"""tlbench-gensim: Word2Vec embeddings (gensim 4) and the ``mean-lr`` encoder for tlbench.

Importing this package imports nothing heavy; gensim is imported by the modules that train or load vectors.
"""

__version__ = "0.1.0"
