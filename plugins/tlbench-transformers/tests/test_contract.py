from __future__ import annotations

from conftest import make_tiny

from tlbench.testing.contracts import SystemContract


class TestBertContract(SystemContract):
    """The checks every tlbench system passes, on tiny slices (accuracy is not checked here)."""

    n_train = 32
    n_test = 16
    # A tiny model on 32 reviews does not beat chance: the bars are off (accuracy: bench/, docs/bert.md).
    min_accuracy = None
    min_multiclass_accuracy = None

    def make_system(self):
        return make_tiny()
