"""self-training: the round is chosen on validation only, round 0 always a candidate; teacher → student."""

from __future__ import annotations

import numpy as np
import pytest

from tlbench.corpora.base import SENTIMENT, Split
from tlbench.runner import run_study
from tlbench.strategies.self_training import SelfTraining, confident_balanced
from tlbench.study import StudySpec
from tlbench.system import Context
from tlbench.testing.data import small_sentiment


class _Target:
    def __init__(self, train, valid, pool):
        self.train, self.valid, self._pool = train, valid, pool

    def unlabeled(self):
        return self._pool


class Scripted:
    """Gets validation accuracy ``schedule[r]`` in round ``r`` (the r-th fresh instance) and the reverse
    ranking on a held-out set the strategy never sees: only validation can steer the choice."""

    name = "scripted"

    def __init__(self, r, schedule, valid, held_out):
        self.r, self.schedule, self.valid, self.held_out = r, schedule, valid, held_out

    def get_config(self):
        return {"name": self.name}

    def fit(self, train, valid, ctx):
        self.n_train_ = len(train)
        return self

    def predict_proba(self, texts):
        texts = list(texts)
        if texts == list(self.valid.texts):
            acc, truth = self.schedule[self.r], self.valid.labels
        elif texts == list(self.held_out.texts):
            acc, truth = 1.0 - self.schedule[self.r], self.held_out.labels
        else:  # pool: confident, alternating classes
            return np.array([[0.95, 0.05] if i % 2 else [0.1, 0.9] for i in range(len(texts))])
        right = np.arange(len(truth)) < round(acc * len(truth))
        pred = np.where(right, truth, 1 - truth)
        return np.eye(2)[pred]


def _run(schedule, rounds=None, min_gain=0.5):
    train = Split([f"l{i}" for i in range(20)], np.arange(20) % 2, SENTIMENT)
    valid = Split([f"v{i}" for i in range(10)], np.arange(10) % 2, SENTIMENT)
    held = Split([f"h{i}" for i in range(10)], np.arange(10) % 2, SENTIMENT)
    made = []

    def new_system():
        made.append(Scripted(len(made), schedule, valid, held))
        return made[-1]

    ctx = Context()
    strategy = SelfTraining(rounds=len(schedule) - 1 if rounds is None else rounds, per_round=0.5,
                            min_gain=min_gain)
    model = strategy.run(new_system, None, _Target(train, valid, [f"u{i}" for i in range(100)]), ctx)
    return model, ctx.info["self_training"], made


@pytest.mark.parametrize("schedule, chosen", [([0.6, 0.8, 0.7], 1), ([0.8, 0.8, 0.9], 2), ([0.8, 0.8, 0.7], 0),
                                              ([0.9, 0.5, 0.6], 0)])
def test_round_is_chosen_by_validation_accuracy_with_ties_to_the_earlier(schedule, chosen):
    model, record, made = _run(schedule)
    assert record["chosen_round"] == chosen and model is made[chosen]
    assert [h["valid_accuracy"] for h in record["rounds"]] == schedule
    assert [h["added"] for h in record["rounds"]] == [0, 10, 20]
    assert [m.n_train_ for m in made] == [20, 30, 40]  # labelled + r * per_round pseudo-labelled


@pytest.mark.parametrize("min_gain, chosen", [(0.0, 1), (0.5, 1), (1.0, 0)])
def test_a_round_must_beat_round_zero_by_min_gain_standard_errors(min_gain, chosen):
    # 10 validation texts at 70%: one standard error is sqrt(0.7 * 0.3 / 10) = 0.145
    _, record, _ = _run([0.7, 0.8], min_gain=min_gain)
    assert record["chosen_round"] == chosen


def test_no_validation_keeps_round_zero():
    train = Split(["a good", "b bad"], np.array([1, 0]), SENTIMENT)
    made = []

    def new_system():
        made.append(Scripted(0, [1.0], train, train))
        return made[-1]

    ctx = Context()
    SelfTraining(rounds=3).run(new_system, None, _Target(train, None, ["x", "y"]), ctx)
    assert len(made) == 1 and ctx.info["self_training"]["chosen_round"] == 0


def test_confident_balanced_takes_the_same_number_per_class_above_threshold():
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7], [0.05, 0.95], [0.99, 0.01]])
    assert confident_balanced(proba, 2, 0.0).tolist() == [0, 2, 4, 5]
    assert confident_balanced(proba, 5, 0.75).tolist() == [0, 2, 4, 5]  # class 1 has 2 above 0.75; class 0 cut to 2
    assert confident_balanced(proba, 5, 0.96).tolist() == []


def test_tfidf_lr_self_training_and_teacher_on_real_reviews(tmp_path):
    train, valid = small_sentiment("imdb", n=200, seed=0), small_sentiment("imdb", n=60, seed=1)
    pool = list(small_sentiment("imdb", n=600, seed=2).texts)
    pool = [t for t in pool if t not in set(train.texts) | set(valid.texts)]
    from tlbench.systems.tfidf_lr import TfidfLR

    ctx = Context(system_factory=lambda name: TfidfLR(C=2.0))
    model = SelfTraining(rounds=2, per_round=0.5, teacher="tfidf-lr").run(TfidfLR, None, _Target(train, valid, pool), ctx)
    record = ctx.info["self_training"]
    assert record["teacher"]["name"] == "tfidf-lr" and 0.5 < record["teacher"]["valid_accuracy"] <= 1.0
    assert [h["added"] for h in record["rounds"]] == [0, 100, 200]
    assert model.predict_proba(["a wonderful film"]).shape == (1, 2)
    # both prediction speeds measured on the pool in this run, and their ratio
    assert record["teacher"]["predict_texts_per_s"] > 0 and record["student_predict_texts_per_s"] > 0
    assert record["speed_ratio"] == pytest.approx(
        record["student_predict_texts_per_s"] / record["teacher"]["predict_texts_per_s"], rel=0.05, abs=0.1)
    assert record["student_speed_texts"] == record["pool"]  # a pool under SPEED_SAMPLE is timed whole


def test_student_is_timed_on_an_evenly_spaced_sample_of_a_large_pool():
    from tlbench.strategies.self_training import SPEED_SAMPLE, _student_speed

    seen = []

    class Counting:
        def predict_proba(self, texts):
            seen.append(list(texts))
            return np.full((len(texts), 2), 0.5)

    pool = [f"review {i}" for i in range(2500)]
    record = _student_speed(Counting(), pool, teacher_rate=10.0)
    assert len(seen) == 1 and seen[0] == pool[::3] and len(seen[0]) <= SPEED_SAMPLE
    assert record["student_speed_texts"] == 834 and record["speed_ratio"] > 0


def test_self_training_runs_in_a_study_without_source(tmp_path, toy_registry):
    spec = StudySpec(systems=["tfidf-lr"], target="toy-tgt", strategies=["self-training"], fractions=[0.2],
                     seeds=[0], out=str(tmp_path / "o"), cache_dir=str(tmp_path / "c"), device="cpu",
                     strategy_options={"self-training": {"teacher": "keyword"}})
    (result,) = run_study(spec, registry=toy_registry).results
    assert result.status == "ok", result.error
    st = result.info["self_training"]
    assert st["teacher"]["name"] == "keyword" and st["rounds"][0]["added"] == 0
    assert st["pool"] == result.info["unlabeled_pool"] == 160 + 50  # train outside the 20% cell + unlabeled


def test_context_new_system_builds_registered_systems():
    from tlbench.errors import UnknownComponent

    assert Context().new_system("tfidf-lr").name == "tfidf-lr"
    assert Context(system_factory=lambda name: ("made", name)).new_system("x") == ("made", "x")
    with pytest.raises(UnknownComponent):
        Context().new_system("tfidf-lrr")


@pytest.mark.parametrize("teacher", [None, "tfidf-lr"])
def test_an_empty_pool_keeps_round_0_and_labels_nothing(teacher):
    """100% of a corpus without an unlabeled split leaves no pool: nothing is labelled (sklearn refuses 0 texts)."""
    from tlbench.systems.tfidf_lr import TfidfLR

    train, valid = small_sentiment("imdb", n=200, seed=0), small_sentiment("imdb", n=60, seed=1)
    ctx = Context(system_factory=lambda name: TfidfLR(C=2.0))
    model = SelfTraining(rounds=2, per_round=0.5, teacher=teacher).run(TfidfLR, None, _Target(train, valid, []), ctx)
    record = ctx.info["self_training"]
    assert record["chosen_round"] == 0 and record["pool"] == 0 and [h["added"] for h in record["rounds"]] == [0]
    assert "speed_ratio" not in record and model.predict_proba(["a wonderful film"]).shape == (1, 2)
