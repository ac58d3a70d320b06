"""pooled: one model trained on source and target training data together (validation from the target)."""

from __future__ import annotations

from tlbench.corpora.base import Split
from tlbench.strategies.base import BaseStrategy, need_source, same_labels


class Pooled(BaseStrategy):
    name = "pooled"
    uses_source_model = False

    def run(self, new_system, source, target, ctx):
        source = need_source(self, source)
        same_labels(source, target.train.label_names, "pooled")
        both = Split(
            [*source.train.texts, *target.train.texts],
            [*source.train.labels, *target.train.labels],
            target.train.label_names,
        )
        return new_system().fit(both, target.valid, ctx)
