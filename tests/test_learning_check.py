"""The "did it learn" guard: the binomial test per cell, the unstable-seed rule, and the marks in reports."""

from __future__ import annotations

import dataclasses

import numpy as np

from tlbench import hookimpl
from tlbench.corpora.base import SENTIMENT, Split
from tlbench.learning_check import learning_test, row_flags, unstable_seeds
from tlbench.plugins import load_plugins
from tlbench.report.document import build_report, terminal_tables
from tlbench.report.files import write_report
from tlbench.results import CellResult, ResultStore
from tlbench.runner import run_study
from tlbench.study import StudySpec
from tlbench.testing.dummies import DummyCorpus, dummy_plugin


class MajoritySystem:
    """Always predicts the first label: the failed training the guard must catch."""

    name = "always-first"

    def get_config(self):
        return {"name": self.name}

    def fit(self, train, valid, ctx):
        self.n_labels_ = len(train.label_names)
        return self

    def predict_proba(self, texts):
        proba = np.zeros((len(texts), self.n_labels_))
        proba[:, 0] = 1.0
        return proba


class _Plugin:
    __name__ = "always-first-plugin"

    @hookimpl
    def register_systems(self, register):
        register("always-first", MajoritySystem, description="always predicts one class (test)")


def test_a_constant_predictor_did_not_learn_and_a_good_one_did():
    y = np.array([0, 1] * 100)
    learned, figures = learning_test(y, np.zeros_like(y))
    assert learned is False and figures["valid_accuracy"] == 0.5 and figures["majority"] == 0.5
    assert figures["p_value"] > 0.4 and figures["n_valid"] == 200
    good = y.copy()
    good[:40] = 1 - good[:40]  # 80% correct
    learned, figures = learning_test(y, good)
    assert learned is True and figures["p_value"] < 1e-6


def test_predicting_the_majority_of_an_imbalanced_part_is_not_learning():
    y = np.array([0] * 900 + [1] * 100)
    learned, figures = learning_test(y, np.zeros_like(y))
    assert learned is False and figures["valid_accuracy"] == figures["majority"] == 0.9


def test_a_tiny_validation_part_says_the_test_has_no_power():
    learned, figures = learning_test([0, 1, 0, 1, 1], [0, 1, 0, 1, 1])
    assert learned is None and "no power" in figures["note"]
    # 34 reviews: significant when clearly good, "inconclusive" rather than "did not learn" when not
    y = np.array([0, 1] * 17)
    assert learning_test(y, y)[0] is True
    learned, figures = learning_test(y, np.zeros_like(y))
    assert learned is None and "inconclusive" in figures["note"] and figures["power"] < 0.8
    learned, figures = learning_test([], [])
    assert learned is None and "no validation part" in figures["note"]


def test_unstable_rule_flags_the_seed_far_below_the_others():
    n = {s: 2500 for s in range(5)}
    assert unstable_seeds({0: 0.862, 1: 0.683, 2: 0.865, 3: 0.858, 4: 0.860}, n) == [1]
    # close seeds: nothing, even though a median/MAD rule alone would flag the lowest one
    assert unstable_seeds({0: 0.861, 1: 0.855, 2: 0.861, 3: 0.862, 4: 0.861}, n) == []
    # 125 validation examples cannot tell 76% from 70%; they can tell 76% from 50%
    small = {s: 125 for s in range(5)}
    assert unstable_seeds({0: 0.76, 1: 0.70, 2: 0.76, 3: 0.77, 4: 0.75}, small) == []
    assert unstable_seeds({0: 0.76, 1: 0.50, 2: 0.76, 3: 0.77, 4: 0.75}, small) == [1]
    assert unstable_seeds({0: 0.86, 1: 0.50}, n) == []  # too few seeds to say


def _registry():
    rng = np.random.default_rng(0)
    filler = "the a movie film plot actor scene story it was this and".split()

    def reviews(n):
        labels = np.arange(n) % 2
        texts = [" ".join([*rng.choice(filler, 8), ("great" if y else "awful")]) for y in labels]
        return Split(texts, labels, SENTIMENT)

    corpus = DummyCorpus("toy-tgt", {"train": reviews(200), "test": reviews(60)})
    return load_plugins(extra=[dummy_plugin({"toy-tgt": corpus}), _Plugin()]).registry


def test_the_runner_records_and_reports_a_cell_that_did_not_learn(tmp_path):
    spec = StudySpec(systems=["keyword", "always-first"], target="toy-tgt", strategies=["target-only"],
                     fractions=[1.0], seeds=[0, 1], out=str(tmp_path / "out"), cache_dir=str(tmp_path / "c"),
                     device="cpu", valid_fraction=0.25)
    run = run_study(spec, registry=_registry())
    assert all(r.ok for r in run.results), [r.error for r in run.results]
    by = {r.system: r for r in run.results if r.seed == 0}
    assert by["always-first"].learned is False and by["keyword"].learned is True
    assert by["keyword"].learning["n_valid"] == 50 and by["keyword"].learning["p_value"] < 0.01
    stored = ResultStore(spec.results_path).read()
    assert {r.system: r.learned for r in stored if r.seed == 0} == {"keyword": True, "always-first": False}

    accuracy = next(t for t in terminal_tables(stored) if t.title.startswith("accuracy"))
    assert "did not learn: seeds 0, 1" in next(r for r in accuracy.rows if r[0] == "always-first")[-1]
    assert not any("did not learn" in c for r in accuracy.rows if r[0] == "keyword" for c in r)
    assert any("2 cell(s) did not learn" in w for w in build_report(stored).all_warnings)
    written = write_report(spec.results_path, tmp_path / "report", ["md", "html"])
    for path in written:
        if path.suffix in (".md", ".html"):
            assert "did not learn: seeds 0, 1" in path.read_text(), path


def test_old_lines_without_the_fields_still_load_and_pass():
    old = {"key": "k", "status": "ok", "system": "s", "strategy": "target-only", "target": "t", "fraction": 1.0,
           "seed": 0}
    cell = CellResult.from_dict(old)
    assert cell.learned is None and cell.learning == {}
    flagged = dataclasses.replace(cell, learned=False, learning={"valid_accuracy": 0.5, "n_valid": 100})
    assert row_flags([cell]) == {}
    assert row_flags([flagged])[("s", "target-only", 1.0)]["did_not_learn"] == [0]
