"""embedding-transfer (the 2019 talk's method): train on the source, then start the target model from what the
source model learned about words, and train it on the target.

Systems with static vectors (``export_vectors``/``import_vectors``) get the source model's learned vector for every
word the two vocabularies share (the count is recorded as ``vectors_updated``); systems whose embedding is a model
(an ELMo-style biLM) offer ``import_embedding(source_model) -> int`` instead and start from the source's
embedding model.
"""

from __future__ import annotations

from tlbench.strategies.base import BaseStrategy, need_source, prepared
from tlbench.system import missing_capabilities


class EmbeddingTransfer(BaseStrategy):
    name = "embedding-transfer"
    requires = ("prepare", "export_vectors", "import_vectors")

    def unsupported(self, system):
        if not missing_capabilities(system, ("import_embedding",)):
            return None
        return super().unsupported(system)

    def run(self, new_system, source, target, ctx):
        source_model = need_source(self, source).fitted(ctx)
        system = prepared(new_system, target.train, ctx)
        if callable(getattr(system, "import_embedding", None)):
            ctx.info["embedding_tensors_copied"] = int(system.import_embedding(source_model))
        else:
            ctx.info["vectors_updated"] = int(system.import_vectors(source_model.export_vectors()))
        return system.fit(target.train, target.valid, ctx)
