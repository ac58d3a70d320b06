from __future__ import annotations

from conftest import make_tiny

from tlbench.testing.contracts import SystemContract


class TestBertContract(SystemContract):
    """The checks every tlbench system passes, on tiny slices (accuracy is not checked here)."""

    n_train = 32
    n_test = 16

    def make_system(self):
        return make_tiny()
