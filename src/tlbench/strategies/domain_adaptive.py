"""domain-adaptive: continue unsupervised training of the embedding on unlabeled target-domain text (after the
source text, where there is a source) before the target classifier is trained. The target's unlabeled text is its
unlabeled pool (its unlabeled split plus the training texts outside the labelled fraction and the validation
part; see tlbench.unlabeled_pool); test text is never used."""

from __future__ import annotations

from tlbench.strategies.base import BaseStrategy


class DomainAdaptive(BaseStrategy):
    name = "domain-adaptive"
    uses_source_model = False
    requires = ("adapt",)
    uses_source = False  # uses the source's text when there is a source, runs without one too

    @classmethod
    def defaults(cls):
        return {"use_source": True}

    def run(self, new_system, source, target, ctx):
        system = new_system()
        source_texts = source.texts() if (source is not None and self.options["use_source"]) else ()
        unlabeled = target.unlabeled()
        ctx.info["adapt_target_texts"] = len(unlabeled)
        ctx.info["adapt_source_texts"] = len(source_texts)
        system.adapt(unlabeled, ctx, source_texts=source_texts)
        return system.fit(target.train, target.valid, ctx)
