"""self-training: learn from the target's unlabeled pool with pseudo-labels, the round chosen on validation.

Round 0 trains on the labelled fraction alone. Round ``r`` (1..``rounds``) lets the *labeller* — the previous
round's model, or a ``teacher`` system trained once on the labelled fraction — label the pool afresh and trains a
fresh system on the labelled fraction plus the ``r × per_round × (labelled size)`` most confident pool texts, the
same number per predicted class. Labels are recomputed every round rather than accumulated, so an early mistake is
not locked in. The round with the best validation accuracy wins, but a round with pseudo-labels must beat round 0
by more than ``min_gain`` standard errors of round 0's validation accuracy (validation parts are small: a lead of
one example is noise); ties go to the earlier round, so round 0 (no pseudo-labels) is kept unless pseudo-labels
measurably help. The test split is never read; the pool holds no labelled, validation or test text
(tlbench.unlabeled_pool).

With ``teacher=NAME`` this is teacher → student distillation: the teacher (e.g. ``setfit``) labels the pool and the
cell's own system (e.g. ``tfidf-lr``) trains on labelled + pseudo-labelled text, so it predicts at its own cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tlbench.corpora.base import Split
from tlbench.errors import ConfigError
from tlbench.strategies.base import BaseStrategy
from tlbench.system import Context, Stopwatch, System


def confident_balanced(proba: np.ndarray, per_class: int, threshold: float) -> np.ndarray:
    """Indices of the ``per_class`` most confident rows of each predicted class (fewer when a class has fewer rows
    at or above ``threshold``; then every class is cut to the smallest count, so the added labels stay balanced)."""
    pred, conf = proba.argmax(axis=1), proba.max(axis=1)
    ranked = []
    for c in range(proba.shape[1]):
        rows = np.flatnonzero((pred == c) & (conf >= threshold))
        ranked.append(rows[np.argsort(-conf[rows], kind="stable")])
    k = min(per_class, *(len(r) for r in ranked))
    return np.sort(np.concatenate([r[:k] for r in ranked])).astype(np.int64)


def accuracy(system: System, valid: Split | None) -> float | None:
    if valid is None or len(valid) == 0:
        return None
    return float((np.asarray(system.predict_proba(list(valid.texts))).argmax(axis=1) == valid.labels).mean())


class SelfTraining(BaseStrategy):
    name = "self-training"
    uses_source = False
    uses_source_model = False

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        # rounds/per_round/threshold chosen on held-out parts of training splits (docs/self-training.md)
        return {"rounds": 1, "per_round": 0.5, "min_gain": 0.5, "threshold": 0.0, "max_pool": 10_000,
                "teacher": None}

    def run(self, new_system, source, target, ctx):
        opts = self.options
        rounds, threshold = int(opts["rounds"]), float(opts["threshold"])
        if rounds < 0 or not 0.0 <= threshold < 1.0 or not float(opts["per_round"]) > 0:
            raise ConfigError("self-training needs rounds >= 0, per_round > 0 and 0 <= threshold < 1: "
                              "fix -o self-training.*")
        pool = self._pool(target.unlabeled(), ctx.seed)
        per_round = max(1, round(float(opts["per_round"]) * len(target.train)))  # a multiple of the labelled size
        teacher, record = self._teacher(target, ctx)
        history, best, proba = [], None, None
        for r in range(rounds + 1 if pool else 1):
            added = None
            if r:
                added = confident(proba, r * per_round, threshold, pool, target.train.label_names)
                if not len(added) or len(added) == history[-1]["added"]:
                    break  # the pool has nothing (more) above the threshold
            round_info: dict[str, Any] = {}
            with Stopwatch() as clock:
                model = new_system().fit(target.train if added is None else _join(target.train, added),
                                         target.valid, ctx.child(info=round_info))
            score = accuracy(model, target.valid)
            history.append({"round": r, "added": 0 if added is None else len(added), "valid_accuracy": score,
                            "fit_seconds": round(clock.seconds, 2)})
            if best is None or (score is not None and score > best[1] and score > history[0]["valid_accuracy"]
                                + float(opts["min_gain"]) * _standard_error(history[0]["valid_accuracy"],
                                                                            len(target.valid))):
                best = (model, score, r, round_info)
            if score is None:
                break  # no validation part: nothing to choose a round on, so round 0 it is
            if pool and r < rounds and (proba is None or teacher is None):
                with Stopwatch() as labelling:  # a teacher labels the pool once
                    proba = np.asarray((teacher or model).predict_proba(pool))
                if teacher is not None:
                    record["teacher"]["predict_texts_per_s"] = round(len(pool) / max(labelling.seconds, 1e-9), 1)
        model, _, chosen, chosen_info = best
        ctx.info.update(chosen_info)
        if teacher is not None and "predict_texts_per_s" in record["teacher"]:
            record.update(_student_speed(model, pool, record["teacher"]["predict_texts_per_s"]))
        ctx.info["self_training"] = {"rounds": history, "chosen_round": chosen, "pool": len(pool), **record}
        return model

    def _pool(self, texts: Sequence[str], seed: int) -> list[str]:
        cap = self.options["max_pool"]
        if cap is None or len(texts) <= int(cap):
            return list(texts)
        keep = np.sort(np.random.default_rng([seed, 14]).choice(len(texts), int(cap), replace=False))
        return [texts[i] for i in keep]

    def _teacher(self, target, ctx: Context) -> tuple[System | None, dict[str, Any]]:
        name = self.options["teacher"]
        if name is None:
            return None, {}
        info: dict[str, Any] = {}
        teacher = ctx.new_system(name).fit(target.train, target.valid, ctx.child(info=info))
        simple = {k: v for k, v in info.items() if isinstance(v, (int, float, str, bool))}
        return teacher, {"teacher": {"name": name, "valid_accuracy": accuracy(teacher, target.valid), **simple}}


def confident(proba: np.ndarray, n: int, threshold: float, pool: list[str], label_names) -> Split:
    """The pool's ``n`` most confident texts (balanced over predicted classes) with their predicted labels."""
    picked = confident_balanced(proba, max(1, n // proba.shape[1]), threshold)
    return Split([pool[i] for i in picked], proba[picked].argmax(axis=1), tuple(label_names))


SPEED_SAMPLE = 1000  # pool texts the chosen student predicts to time itself (a heavy student pays one small pass)


def _student_speed(student: System, pool: list[str], teacher_rate: float) -> dict[str, float]:
    """The student's prediction speed on an evenly spaced sample (at most ``SPEED_SAMPLE``) of the texts the teacher
    labelled, and its ratio to the teacher's (both measured in this run, so machine load affects them alike)."""
    sample = pool[::-(-len(pool) // SPEED_SAMPLE)]
    with Stopwatch() as clock:
        student.predict_proba(sample)
    rate = len(sample) / max(clock.seconds, 1e-9)
    return {"student_predict_texts_per_s": round(rate, 1), "speed_ratio": round(rate / teacher_rate, 1),
            "student_speed_texts": len(sample)}


def _standard_error(acc: float, n: int) -> float:
    """The standard error of an accuracy measured on ``n`` examples (at least that of one example in ``n``)."""
    return max(float(np.sqrt(acc * (1.0 - acc) / max(n, 1))), 1.0 / max(n, 1))


def _join(a: Split, b: Split) -> Split:
    return Split([*a.texts, *b.texts], np.concatenate([a.labels, b.labels]), a.label_names)
