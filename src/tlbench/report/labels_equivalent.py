"""Labels-equivalent: how many target labels the same system needed, trained on the target alone, to reach a
transfer row's accuracy — read off its measured target-only learning curve, never extrapolated.

The curve: one point per measured fraction, x = log(labelled training examples), y = mean accuracy, made
non-decreasing by isotonic regression (pool-adjacent-violators, so noise between seeds cannot make the reading
ambiguous), then interpolated linearly in log(labels). See docs/reports.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tlbench.report.summary import BASELINE, Group, Summary


@dataclass(frozen=True)
class LabelsEquivalent:
    """``relation``: ``about`` (``labels`` read off the curve), ``more_than`` (above the curve's top: ``labels``
    is the largest measured) or ``fewer_than`` (below its bottom: ``labels`` is the smallest measured)."""

    labels: float
    relation: str
    row_labels: float

    def text(self) -> str:
        words = {"about": "about", "more_than": "more than", "fewer_than": "fewer than"}[self.relation]
        suffix = " (the largest measured)" if self.relation == "more_than" else \
            " (the smallest measured)" if self.relation == "fewer_than" else ""
        return f"{words} {self.labels:,.0f} labels{suffix}"

    def as_record(self) -> dict[str, object]:
        return {"labels": round(self.labels, 1), "relation": self.relation, "row_labels": self.row_labels,
                "text": self.text()}


def isotonic(y: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence closest to ``y`` in least squares (pool adjacent violators, equal weights)."""
    blocks: list[list[float]] = []  # [mean, size]
    for value in map(float, y):
        blocks.append([value, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, size = blocks.pop()
            blocks[-1] = [(blocks[-1][0] * blocks[-1][1] + mean * size) / (blocks[-1][1] + size),
                          blocks[-1][1] + size]
    return np.concatenate([np.full(int(size), mean) for mean, size in blocks])


def read_curve(labels: np.ndarray, accuracy: np.ndarray, target: float) -> tuple[float, str]:
    """Labels at which the monotone curve through (labels, accuracy) first reaches ``target``; ``labels`` sorted
    ascending. Returns (labels, relation) as in :class:`LabelsEquivalent`."""
    fitted = isotonic(accuracy)
    if target > fitted[-1]:
        return float(labels[-1]), "more_than"
    if target < fitted[0]:
        return float(labels[0]), "fewer_than"
    i = int(np.argmax(fitted >= target))  # the first point that reaches it
    if i == 0 or fitted[i] == fitted[i - 1]:
        return float(labels[i]), "about"
    t = (target - fitted[i - 1]) / (fitted[i] - fitted[i - 1])
    log_x = math.log(labels[i - 1]) + t * (math.log(labels[i]) - math.log(labels[i - 1]))
    return math.exp(log_x), "about"


def _key(g: Group) -> tuple[str, str, float]:
    return g.system, g.strategy, g.fraction


def labels_equivalent(summary: Summary, group: Group) -> LabelsEquivalent | None:
    """The labels-equivalent of a non-baseline row, or None for a baseline row or a system without a learned
    target-only curve. Baseline rows that did not learn are left off the curve."""
    if group.strategy == BASELINE:
        return None
    curve = sorted((summary.labels(_key(g)), g.accuracy) for g in summary.groups
                   if g.system == group.system and g.strategy == BASELINE and summary.labels(_key(g)) > 0
                   and np.isfinite(g.accuracy) and summary.learned(_key(g)))
    if not curve:
        return None
    labels, accuracy = (np.array(v, dtype=np.float64) for v in zip(*curve))
    at = (group.system, BASELINE, group.fraction)
    row_labels = summary.labels(at) if at in summary.cells else summary.labels(_key(group))
    value, relation = read_curve(labels, accuracy, group.accuracy)
    return LabelsEquivalent(value, relation, float(row_labels))

