"""The tlbench hooks of this distribution. Light on purpose: ``tlbench list`` imports it, so every factory is a
``"module:attribute"`` string and gensim is imported only when a component is created."""

from __future__ import annotations

from tlbench import hookimpl


@hookimpl
def register_embeddings(register):
    register("word2vec", "tlbench_gensim.word2vec:Word2VecEmbedding",
             description="Word2Vec (gensim): trained on the study's own text (source, unlabeled) or loaded from a "
                         "word2vec/GloVe/.kv/.model file; supports domain-adaptive continued training")


@hookimpl
def register_encoders(register):
    register("mean-lr", "tlbench_gensim.mean_lr:MeanLR",
             description="mean or SIF pooled word vectors + logistic regression (scikit-learn); any static "
                         "embedding, no deep-learning backend")


@hookimpl
def register_systems(register):
    register("word2vec-cnn", embedding="word2vec", encoder="cnn-doc",
             description="Word2Vec vectors trained on the study's text under the CNN document model "
                         "(needs tlbench-keras)")
    register("word2vec-mean", embedding="word2vec", encoder="mean-lr",
             description="Word2Vec vectors, mean-pooled, + logistic regression (no deep-learning backend)")
