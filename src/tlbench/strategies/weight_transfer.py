"""weight-transfer (the book's method): carry the learned vectors and the encoder's weights (convolutions, dense
layers) from the source model; the encoder is frozen by default (``freeze=false`` trains it too); the output
head is trained afresh unless ``head=true``."""

from __future__ import annotations

from tlbench.strategies.base import BaseStrategy, carry_vectors, need_source, prepared, same_labels


class WeightTransfer(BaseStrategy):
    name = "weight-transfer"
    requires = ("init_from",)

    @classmethod
    def defaults(cls):
        return {"freeze": True, "head": False}

    def run(self, new_system, source, target, ctx):
        source = need_source(self, source)
        if self.options["head"]:
            same_labels(source, target.train.label_names, "weight-transfer with head=true")
        source_model = source.fitted(ctx)
        system = prepared(new_system, target.train, ctx)
        carry_vectors(system, source_model, ctx)
        ctx.info["tensors_copied"] = int(system.init_from(
            source_model, include_head=bool(self.options["head"]), freeze_encoder=bool(self.options["freeze"])))
        return system.fit(target.train, target.valid, ctx)
