"""target-only: the baseline. Pretrained initialisation, target data only."""

from __future__ import annotations

from tlbench.strategies.base import BaseStrategy


class TargetOnly(BaseStrategy):
    name = "target-only"
    uses_source_model = False
    uses_source = False

    def run(self, new_system, source, target, ctx):
        system = new_system()
        return system.fit(target.train, target.valid, ctx)
