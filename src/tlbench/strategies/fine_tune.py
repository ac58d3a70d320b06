"""fine-tune: train on the source, then continue training the whole model (head included) on the target."""

from __future__ import annotations

from tlbench.strategies.base import BaseStrategy, carry_vectors, need_source, prepared, same_labels


class FineTune(BaseStrategy):
    name = "fine-tune"
    requires = ("init_from",)

    def run(self, new_system, source, target, ctx):
        source = need_source(self, source)
        same_labels(source, target.train.label_names, "fine-tune")
        source_model = source.fitted(ctx)
        system = prepared(new_system, target.train, ctx)
        carry_vectors(system, source_model, ctx)
        ctx.info["tensors_copied"] = int(system.init_from(source_model, include_head=True, freeze_encoder=False))
        return system.fit(target.train, target.valid, ctx)
