"""zero-shot: train on the source, test on the target. Needs the same label names on both sides."""

from __future__ import annotations

from tlbench.strategies.base import BaseStrategy, need_source, same_labels


class ZeroShot(BaseStrategy):
    name = "zero-shot"
    uses_target = False

    def run(self, new_system, source, target, ctx):
        source = need_source(self, source)
        same_labels(source, target.train.label_names, "zero-shot")
        return source.fitted(ctx)
