"""frozen-features: the source-trained encoder as a fixed feature extractor; only a new head is trained."""

from __future__ import annotations

from tlbench.strategies.base import BaseStrategy, carry_vectors, need_source, prepared


class FrozenFeatures(BaseStrategy):
    name = "frozen-features"
    requires = ("init_from",)

    def run(self, new_system, source, target, ctx):
        source_model = need_source(self, source).fitted(ctx)
        system = prepared(new_system, target.train, ctx)
        carry_vectors(system, source_model, ctx)
        ctx.info["tensors_copied"] = int(system.init_from(source_model, include_head=False, freeze_encoder=True))
        return system.fit(target.train, target.valid, ctx)
