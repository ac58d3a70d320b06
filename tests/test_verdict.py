"""The verdict, labels-equivalent and Pareto front on synthetic results whose answers are known by construction."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from tlbench import stats
from tlbench.report import build_report, verdict_block
from tlbench.report.labels_equivalent import isotonic, labels_equivalent, read_curve
from tlbench.report.summary import split_studies, summarize
from tlbench.report.verdict import Cost, pareto_front, row_costs, verdicts
from tlbench.report.verdict_text import study_verdict, train_command, verdict_records
from tlbench.results import CellResult, encode_labels

N_TEST = 4000


@dataclass(frozen=True)
class Checked(CellResult):
    """A cell with the learning check (the field CellResult gains with the "did it learn" guard)."""

    learned: bool | None = None


def _correct(accuracy: float, seed: int, salt: int) -> np.ndarray:
    """Exactly ``accuracy * N_TEST`` right answers in a seeded random order."""
    out = np.zeros(N_TEST, dtype=bool)
    out[: int(round(accuracy * N_TEST))] = True
    return np.random.default_rng([seed, salt]).permutation(out)


def cell(system: str, strategy: str, fraction: float, seed: int, correct: np.ndarray, *, train_s: float = 1.0,
         source_s: float = 0.0, speed: float = 10000.0, learned: bool | None = None, labels: int | None = None,
         status: str = "ok") -> CellResult:
    y_true = np.arange(correct.size) % 2
    y_pred = np.where(correct, y_true, 1 - y_true)
    n = labels if labels is not None else int(25000 * fraction)
    return Checked(key=f"{system}/{strategy}/{fraction}/{seed}", status=status, system=system, strategy=strategy,
                   target="imdb", source="rotten-tomatoes", fraction=fraction, seed=seed, n_train=int(n * 0.9),
                   n_valid=n - int(n * 0.9), n_test=correct.size, metrics={"accuracy": float(correct.mean())},
                   label_names=["neg", "pos"], y_true=encode_labels(y_true), y_pred=encode_labels(y_pred),
                   cost={"train_seconds": train_s, "source_seconds": source_s, "predict_examples_per_s": speed},
                   test_set={"digest": "same"}, learned=learned)


def _summary(cells):
    (study,) = split_studies(cells)
    return summarize(study)


def _lower(base: np.ndarray, k: int) -> np.ndarray:
    """``base`` with its first ``k`` right answers turned wrong (k / N_TEST lower on the same examples)."""
    out = base.copy()
    out[np.flatnonzero(base)[:k]] = False
    return out


def _noisy(base: np.ndarray, flips: int, seed: int) -> np.ndarray:
    """``base`` with ``flips`` right answers turned wrong and as many wrong turned right (same accuracy)."""
    rng = np.random.default_rng(seed)
    out = base.copy()
    right, wrong = np.flatnonzero(out), np.flatnonzero(~out)
    out[rng.choice(right, flips, replace=False)] = False
    out[rng.choice(wrong, flips, replace=False)] = True
    return out


def test_clear_winner_is_recommended():
    cells = []
    for seed in range(3):
        cells.append(cell("bert", "fine-tune", 0.05, seed, _correct(0.88, seed, 1), train_s=400, source_s=300))
        cells.append(cell("tfidf-lr", "target-only", 0.05, seed, _correct(0.78, seed, 2), train_s=1))
    (v,) = verdicts(_summary(cells))
    assert v.best == ("bert", "fine-tune", 0.05)
    assert v.equivalent == []
    assert v.recommended == v.best and v.cost_ratio == 1.0
    assert v.comparisons[0].p_holm < 0.05 and v.comparisons[0].shortfall.high < -0.05


def test_tie_within_margin_recommends_the_cheaper_row():
    cells = []
    for seed in range(3):
        best = _correct(0.830, seed, 1)
        # 0.3 points below the best on the same examples: inside the 0.5-point margin however many examples.
        close = _lower(best, 12)
        cells.append(cell("bert", "fine-tune", 0.05, seed, best, train_s=440, source_s=300))
        cells.append(cell("tfidf-lr", "target-only", 0.05, seed, close, train_s=0.9, speed=50000))
    s = _summary(cells)
    (v,) = verdicts(s)
    assert v.best == ("bert", "fine-tune", 0.05)
    assert v.equivalent == [("tfidf-lr", "target-only", 0.05)]
    assert v.recommended == ("tfidf-lr", "target-only", 0.05)
    costs = row_costs(s)
    assert v.cost_ratio == pytest.approx(costs[v.best].total / costs[v.recommended].total)
    assert v.cost_ratio > 100
    assert "as good as bert fine-tune" in v.reason and "cheaper" in v.reason
    # Without the margin the same 0.3 points on 3 × 4,000 paired examples is a significant loss.
    (strict,) = verdicts(s, margin=0.0)
    assert strict.equivalent == [] and strict.recommended == strict.best


def test_three_rows_only_one_significantly_worse():
    cells = []
    for seed in range(3):
        best = _correct(0.85, seed, 1)
        cells.append(cell("bert", "fine-tune", 0.1, seed, best, train_s=500))
        close = _lower(_noisy(best, 150, seed), 4)  # disagrees on 300 examples, 0.1 points lower on average
        cells.append(cell("tfidf-lr", "target-only", 0.1, seed, close, train_s=2))
        worse = _lower(best, 400)  # 10 points below
        cells.append(cell("glove-cnn", "target-only", 0.1, seed, worse, train_s=1))
    (v,) = verdicts(_summary(cells))
    assert v.best == ("bert", "fine-tune", 0.1)
    assert v.equivalent == [("tfidf-lr", "target-only", 0.1)]
    assert v.recommended == ("tfidf-lr", "target-only", 0.1)
    worse_row = next(c for c in v.comparisons if not c.equivalent)
    assert worse_row.key[0] == "glove-cnn" and worse_row.p_holm < 0.05
    # glove-cnn is cheapest, but worse: it stays off the recommendation and on the Pareto front.
    assert ("glove-cnn", "target-only", 0.1) in v.pareto


def test_one_seed_says_intervals_cover_test_sampling_only():
    cells = [cell("a", "target-only", 0.05, 0, _correct(0.8, 0, 1)),
             cell("b", "target-only", 0.05, 0, _correct(0.7, 0, 2))]
    (v,) = verdicts(_summary(cells))
    assert v.best == ("a", "target-only", 0.05)
    assert any("one seed" in limit and "test-set sampling only" in limit for limit in v.limits)


def test_all_cells_failed_gives_no_verdict_and_why():
    cells = [cell("a", "target-only", 0.05, s, _correct(0.5, s, 1), learned=False) for s in range(3)]
    (v,) = verdicts(_summary(cells))
    assert v.best is None and v.recommended is None
    assert "no verdict" in v.reason and "learned" in v.reason
    assert verdict_records(study_verdict(_summary(cells)))[0]["best"] is None


def test_a_single_row_has_no_comparison():
    cells = [cell("a", "target-only", 0.05, s, _correct(0.8, s, 1)) for s in range(3)]
    (v,) = verdicts(_summary(cells))
    assert v.best == ("a", "target-only", 0.05) and v.recommended is None
    assert v.reason.startswith("no verdict: only one row")


def test_cells_that_did_not_learn_are_never_best():
    cells = []
    for seed in range(3):
        cells.append(cell("glove-cnn", "target-only", 0.05, seed, _correct(0.95, seed, 1), learned=False))
        cells.append(cell("tfidf-lr", "target-only", 0.05, seed, _correct(0.80, seed, 2), learned=True))
    (v,) = verdicts(_summary(cells))
    assert v.best == ("tfidf-lr", "target-only", 0.05)
    assert any("glove-cnn" in e and "did not learn" in e for e in v.excluded)
    assert ("glove-cnn", "target-only", 0.05) not in v.pareto


def test_source_training_is_amortised_over_the_cells_that_reuse_it():
    cells = [cell("bert", "zero-shot", f, 0, _correct(0.7, 0, i), train_s=0.0, source_s=400.0 if i == 0 else 0.0,
                  speed=1000.0) for i, f in enumerate((0.05, 0.1, 0.25, 1.0))]
    costs = row_costs(_summary(cells))
    assert costs[("bert", "zero-shot", 0.05)] == Cost(0.0, 100.0, 1.0)
    assert costs[("bert", "zero-shot", 1.0)].total == pytest.approx(101.0)


def test_pareto_front():
    points = {"a": (0.80, 1.0), "b": (0.85, 10.0), "c": (0.84, 20.0), "d": (0.80, 2.0), "e": (0.90, 100.0)}
    assert pareto_front(points) == ["a", "b", "e"]


def test_isotonic_and_curve_reading_exact():
    assert isotonic(np.array([0.7, 0.8, 0.75, 0.9])).tolist() == pytest.approx([0.7, 0.775, 0.775, 0.9])
    labels = np.array([100.0, 1000.0, 10000.0])
    accuracy = np.array([0.70, 0.80, 0.90])
    assert read_curve(labels, accuracy, 0.75) == (pytest.approx(math.sqrt(100 * 1000)), "about")
    assert read_curve(labels, accuracy, 0.80) == (pytest.approx(1000.0), "about")
    assert read_curve(labels, accuracy, 0.95) == (10000.0, "more_than")
    assert read_curve(labels, accuracy, 0.60) == (100.0, "fewer_than")


def test_labels_equivalent_on_a_synthetic_curve():
    curve = {0.01: 0.70, 0.1: 0.80, 1.0: 0.90}  # 250, 2,500, 25,000 labels
    cells = [cell("glove-cnn", "target-only", f, 0, _correct(a, 0, i)) for i, (f, a) in enumerate(curve.items())]
    cells.append(cell("glove-cnn", "embedding-transfer", 0.01, 0, _correct(0.85, 0, 9)))
    cells.append(cell("glove-cnn", "fine-tune", 0.01, 0, _correct(0.93, 0, 8)))
    cells.append(cell("tfidf-lr", "fine-tune", 0.01, 0, _correct(0.75, 0, 7)))
    s = _summary(cells)
    et = labels_equivalent(s, s.group("glove-cnn", "embedding-transfer", 0.01))
    assert et.relation == "about" and et.labels == pytest.approx(math.sqrt(2500 * 25000))
    assert et.row_labels == 250
    beyond = labels_equivalent(s, s.group("glove-cnn", "fine-tune", 0.01))
    assert beyond.relation == "more_than" and beyond.labels == 25000 and "more than 25,000" in beyond.text()
    assert labels_equivalent(s, s.group("tfidf-lr", "fine-tune", 0.01)) is None  # no target-only curve
    assert labels_equivalent(s, s.group("glove-cnn", "target-only", 0.01)) is None


def test_holm_adjustment():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([]) == []


def test_verdict_block_and_train_command():
    cells = []
    for seed in range(3):
        cells.append(cell("bert", "fine-tune", 0.05, seed, _correct(0.88, seed, 1), train_s=400, source_s=300))
        cells.append(cell("bert", "target-only", 0.05, seed, _correct(0.80, seed, 3), train_s=300))
    report = build_report(cells)
    text = "\n".join(verdict_block(report))
    assert "best bert fine-tune 88.0%" in text
    assert "tlbench train bert --target imdb --strategy fine-tune --source rotten-tomatoes --fraction 0.05" in text
    assert train_command(report.studies[0].summary, ("bert", "target-only", 0.05)) == \
        "tlbench train bert --target imdb --strategy target-only --fraction 0.05"


def test_a_row_barely_cheaper_than_the_best_is_not_recommended():
    cells = []
    for seed in range(3):
        best = _correct(0.85, seed, 1)
        cells.append(cell("a", "pooled", 0.25, seed, best, train_s=22.0))
        cells.append(cell("a", "target-only", 0.25, seed, _lower(best, 4), train_s=20.0))  # 1.1× cheaper: noise
    (v,) = verdicts(_summary(cells))
    assert v.equivalent == [("a", "target-only", 0.25)]
    assert v.recommended == v.best == ("a", "pooled", 0.25)
    assert "at least 1.25× cheaper" in v.reason


def test_unknown_cost_is_never_cheaper_and_json_stays_valid():
    import json

    cells = []
    for seed in range(2):
        best = _correct(0.85, seed, 1)
        cells.append(cell("a", "target-only", 0.1, seed, best, train_s=30.0))
        no_cost = cell("b", "target-only", 0.1, seed, best.copy())
        cells.append(CellResult.from_dict({**no_cost.to_dict(), "cost": {}}))
    sv = study_verdict(_summary(cells))
    (v,) = sv.verdicts
    assert v.recommended == ("a", "target-only", 0.1)
    assert ("b", "target-only", 0.1) not in v.pareto
    json.dumps(verdict_records(sv), allow_nan=False)
