"""setfit and minilm-lr pass the contract every tlbench system passes (tiny slices; accuracy is not checked)."""

from __future__ import annotations

from conftest import make

from tlbench.testing.contracts import SystemContract


class TestSetFitContract(SystemContract):
    n_train = 32
    n_test = 16

    def make_system(self):
        return make("setfit", pairs=16)


class TestMiniLMLRContract(SystemContract):
    n_train = 48
    n_test = 16

    def make_system(self):
        return make("minilm-lr")
