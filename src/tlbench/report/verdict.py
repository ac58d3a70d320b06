"""The answer a study gives at each label budget (see docs/reports.md, "The verdict").

Per (target, fraction), over the rows whose every cell finished and learned:

- **best**: the highest mean accuracy;
- **equivalent**: every other row *not* significantly worse than the best by more than the practical margin —
  paired bootstrap over the same seeds and test examples (:func:`tlbench.stats.paired_shortfall`), one-sided
  p-values Holm-adjusted across the comparisons (:func:`tlbench.stats.holm`);
- **recommended**: the cheapest of best + equivalent by :class:`Cost`, with its cost ratio to the best — unless it
  is less than :data:`COST_TIE` times cheaper, then the best;
- **pareto**: the rows no other row beats on both accuracy and cost.

Plain functions over a :class:`~tlbench.report.summary.Summary`; no terminal code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from tlbench import stats
from tlbench.report.summary import BASELINE, Group, Summary, fraction_label, one_test_set

#: Default practical margin (accuracy points as a fraction): a shortfall this small is not called a loss.
MARGIN = 0.005
#: Family-wise error rate of the comparisons with the best row.
ALPHA = 0.05
#: A row must be at least this many times cheaper than the best to be recommended instead of it: smaller cost
#: differences are within the timing noise of one machine (and of a shared one, far more).
COST_TIE = 1.25

Key = tuple[str, str, float]


@dataclass(frozen=True)
class Cost:
    """What one cell of a row costs, in seconds: target-side training, the row's share of source training (a
    cached source model is paid once per system and seed, and spread over the cells that reuse it), and
    predicting 1,000 test documents."""

    train: float
    source: float
    predict_per_1k: float

    @property
    def total(self) -> float:
        """The sum; +inf when the training time is unknown (such a row is never the cheaper one)."""
        total = self.train + self.source + self.predict_per_1k
        return total if np.isfinite(total) else float("inf")


@dataclass(frozen=True)
class Comparison:
    """A row against the best: Δ = row − best (interval), Holm-adjusted p of "worse by more than the margin"."""

    key: Key
    shortfall: stats.Interval
    p_holm: float
    equivalent: bool


@dataclass
class Verdict:
    """The answer at one fraction; ``recommended`` is None when there is no verdict (``reason`` says why), and
    ``best`` too when no row learned."""

    fraction: float
    best: Key | None = None
    equivalent: list[Key] = field(default_factory=list)
    recommended: Key | None = None
    cost_ratio: float | None = None
    reason: str = ""
    comparisons: list[Comparison] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    pareto: list[Key] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)


def row_costs(summary: Summary) -> dict[Key, Cost]:
    """Per row the cost of one cell (means over its seeds). Source training is amortised per system and seed over
    the cells of the strategies that paid for a source model in some cell (they read the same cached model)."""
    paying = {(c.system, c.strategy) for c in summary.study.cells if (c.cost.get("source_seconds") or 0) > 0}
    pools: dict[tuple[str, int], list] = defaultdict(list)
    for c in summary.study.cells:
        if (c.system, c.strategy) in paying:
            pools[(c.system, c.seed)].append(c)
    share = {key: sum(float(c.cost.get("source_seconds") or 0) for c in cells) / len(cells)
             for key, cells in pools.items()}
    out = {}
    for key, cells in summary.cells.items():
        train = [float(c.cost["train_seconds"]) for c in cells if c.cost.get("train_seconds") is not None]
        speed = [float(c.cost["predict_examples_per_s"]) for c in cells if c.cost.get("predict_examples_per_s")]
        source = [share.get((c.system, c.seed), 0.0) if (c.system, c.strategy) in paying else 0.0 for c in cells]
        out[key] = Cost(float(np.mean(train)) if train else float("nan"), float(np.mean(source)),
                        float(np.mean([1000.0 / s for s in speed])) if speed else 0.0)
    return out


def pareto_front(points: dict[Key, tuple[float, float]]) -> list[Key]:
    """The keys of (accuracy, cost) points that no other point matches or beats on both with one strictly
    better; sorted by cost."""
    front = [k for k, (acc, cost) in points.items()
             if not any(a >= acc and c <= cost and (a > acc or c < cost) for a, c in points.values())]
    return sorted(front, key=lambda k: points[k][1])


def _compare(summary: Summary, best: Key, other: Key, margin: float) -> tuple[stats.Interval, float] | None:
    """Paired shortfall of ``other`` against ``best`` over their shared seeds on the same test examples, or None
    when they share none."""
    best_cells = {c.seed: c for c in summary.cells[best] if id(c) in summary.correctness}
    pairs = [(best_cells[c.seed], c) for c in summary.cells[other]
             if c.seed in best_cells and id(c) in summary.correctness
             and summary.correctness[id(c)].size == summary.correctness[id(best_cells[c.seed])].size
             and c.y_true == best_cells[c.seed].y_true]
    if not pairs:
        return None
    aligned = one_test_set([c for pair in pairs for c in pair])
    return stats.paired_shortfall([summary.correctness[id(b)] for b, _ in pairs],
                                  [summary.correctness[id(o)] for _, o in pairs], margin=margin, aligned=aligned)


def _candidates(summary: Summary, fraction: float, verdict: Verdict) -> list[Group]:
    groups = [g for g in summary.groups if g.fraction == fraction and np.isfinite(g.accuracy)]
    out = []
    for g in groups:
        if not summary.learned((g.system, g.strategy, g.fraction)):
            verdict.excluded.append(f"{g.system} {g.strategy}: did not learn (no better than the majority class)")
        else:
            out.append(g)
    return out


def _limits(summary: Summary, rows: list[Group]) -> list[str]:
    limits = []
    if max(len(g.seeds) for g in rows) < 2:
        limits.append("one seed: the intervals cover test-set sampling only, not training randomness; "
                      "rerun with --seeds 3 or more")
    if any(summary.correctness.get(id(c)) is None for g in rows for c in summary.cells[(g.system, g.strategy,
                                                                                          g.fraction)]):
        limits.append("some cells stored no per-example predictions; their rows could not be paired with the best")
    return limits


def verdict_at(summary: Summary, fraction: float, costs: dict[Key, Cost], margin: float = MARGIN,
               alpha: float = ALPHA) -> Verdict:
    """The verdict at one fraction (see the module docstring)."""
    v = Verdict(fraction)
    rows = _candidates(summary, fraction, v)
    if not rows:
        v.reason = "no verdict: no row learned at this fraction" if v.excluded else "no verdict: no finished row"
        return v
    key = lambda g: (g.system, g.strategy, g.fraction)  # noqa: E731
    best = max(rows, key=lambda g: (round(g.accuracy, 9), -costs[key(g)].total))  # float noise is a tie
    v.best, v.limits = key(best), _limits(summary, rows)
    v.pareto = pareto_front({key(g): (g.accuracy, costs[key(g)].total) for g in rows
                             if np.isfinite(costs[key(g)].total)})
    others = [g for g in rows if g is not best]
    if not others:
        v.reason = (f"no verdict: only one row learned at {fraction_label(fraction)} ({_name(v.best)}), so there is "
                    f"nothing to compare it with; add systems or strategies")
        return v
    tested = [(g, _compare(summary, v.best, key(g), margin)) for g in others]
    for g, _ in (t for t in tested if t[1] is None):
        v.excluded.append(f"{g.system} {g.strategy}: could not be paired with the best (no seed with per-example "
                          f"predictions on the same test examples)")
    tested = [(g, r) for g, r in tested if r is not None]
    adjusted = stats.holm([p for _, (_, p) in tested]) if tested else []
    for (g, (shortfall, _)), p in zip(tested, adjusted):
        v.comparisons.append(Comparison(key(g), shortfall, p, p >= alpha))
    v.equivalent = [c.key for c in v.comparisons if c.equivalent]
    pool = [v.best, *v.equivalent]
    v.recommended = min(pool, key=lambda k: (costs[k].total, -summary.group(*k).accuracy))
    if costs[v.recommended].total * COST_TIE > costs[v.best].total:
        v.recommended = v.best
    ratio = costs[v.best].total / costs[v.recommended].total if costs[v.recommended].total > 0 else None
    v.cost_ratio = 1.0 if v.recommended == v.best else ratio if ratio is not None and np.isfinite(ratio) else None
    v.reason = _reason(v, margin, costs)
    return v


def _name(key: Key) -> str:
    return f"{key[0]} {key[1]}"


def times(ratio: float | None) -> str:
    """``480×``, ``1.6×``."""
    if ratio is None or not np.isfinite(ratio):
        return "?×"
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def why_best(v: Verdict, costs: dict[Key, Cost]) -> str:
    """Why the best row is also the recommendation (``v.recommended == v.best``)."""
    if not v.equivalent:
        return "no other row is as good"
    if any(costs[k].total < costs[v.best].total for k in v.equivalent):
        return f"none of the {len(v.equivalent)} row(s) as good is at least {COST_TIE:g}× cheaper"
    return f"the cheapest of the {1 + len(v.equivalent)} row(s) as good"


def _reason(v: Verdict, margin: float, costs: dict[Key, Cost]) -> str:
    worse = len(v.comparisons) - len(v.equivalent)
    tail = f"{worse} row(s) significantly worse by more than {100 * margin:g} points" if worse else \
        f"no row significantly worse by more than {100 * margin:g} points"
    if v.recommended == v.best:
        return f"{_name(v.best)} is best and {why_best(v, costs)}; {tail}"
    return (f"{_name(v.recommended)} is as good as {_name(v.best)} (not significantly worse by more than "
            f"{100 * margin:g} points) and {times(v.cost_ratio)} cheaper; {tail}")


def verdicts(summary: Summary, margin: float = MARGIN, alpha: float = ALPHA) -> list[Verdict]:
    """One verdict per fraction of the study, smallest fraction first."""
    costs = row_costs(summary)
    return [verdict_at(summary, f, costs, margin, alpha) for f in summary.study.fractions]

