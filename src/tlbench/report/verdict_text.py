"""The verdict in plain words (``tlbench compare``/``reproduce``/``report``) and as JSON records (summary.json)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tlbench.report.labels_equivalent import LabelsEquivalent, labels_equivalent
from tlbench.report.summary import BASELINE, Summary, fraction_label
from tlbench.report.verdict import ALPHA, MARGIN, Cost, Key, Verdict, row_costs, times, verdicts, why_best


@dataclass
class StudyVerdict:
    """A study's verdicts, costs and labels-equivalents, computed once and rendered by every output."""

    summary: Summary
    verdicts: list[Verdict]
    costs: dict[Key, Cost]
    labels: dict[Key, LabelsEquivalent | None]
    margin: float = MARGIN


def study_verdict(summary: Summary, margin: float = MARGIN) -> StudyVerdict:
    """Everything the answer needs for one study (see :mod:`tlbench.report.verdict`)."""
    labels = {(g.system, g.strategy, g.fraction): labels_equivalent(summary, g)
              for g in summary.groups if g.strategy != BASELINE}
    return StudyVerdict(summary, verdicts(summary, margin), row_costs(summary), labels, margin)


def seconds(x: float) -> str:
    """``0.9 s``, ``443 s``, ``1,250 s``."""
    return f"{x:.2g} s" if x < 1 else f"{x:.1f} s" if x < 10 else f"{x:,.0f} s"


def train_command(summary: Summary, key: Key) -> str:
    """The ``tlbench train`` command that turns a row into a saved model."""
    system, strategy, fraction = key
    source = f" --source {summary.study.source}" if strategy != BASELINE and summary.study.source else ""
    return (f"tlbench train {system} --target {summary.study.target} --strategy {strategy}{source} "
            f"--fraction {fraction:g}")


def _row(sv: StudyVerdict, key: Key) -> str:
    return f"{key[0]} {key[1]} {100 * sv.summary.group(*key).accuracy:.1f}%"


def _fraction_lines(sv: StudyVerdict, v: Verdict) -> list[str]:
    labels = sv.summary.labels(v.best) if v.best else float("nan")
    head = f"at {fraction_label(v.fraction)}" + (f" ({labels:,.0f} labels)" if np.isfinite(labels) else "") + ": "
    if v.recommended is None:
        return [head + v.reason] + [f"  not a candidate: {e}" for e in v.excluded]
    lines = [head + f"best {_row(sv, v.best)}"]
    shortfall = {c.key: c.shortfall for c in v.comparisons}
    if v.equivalent:
        lines[0] += "; as good: " + ", ".join(
            f"{_row(sv, k)} (Δ {100 * shortfall[k].estimate:+.1f} [{100 * shortfall[k].low:+.1f}, "
            f"{100 * shortfall[k].high:+.1f}])" for k in v.equivalent)
    rec, cost = v.recommended, sv.costs
    worse = len(v.comparisons) - len(v.equivalent)
    worse_text = f"{worse} row(s) significantly worse" if worse else "none significantly worse"
    if rec != v.best:
        lines.append(f"  → use {rec[0]} {rec[1]}: as good as {v.best[0]} {v.best[1]} within {100 * sv.margin:g} "
                     f"points, {times(v.cost_ratio)} cheaper ({seconds(cost[rec].total)} vs "
                     f"{seconds(cost[v.best].total)} per run); {worse_text}")
    else:
        lines.append(f"  → use {rec[0]} {rec[1]}: the best, and {why_best(v, cost)} "
                     f"({seconds(cost[rec].total)} per run); {worse_text}")
    lines.append(f"    {train_command(sv.summary, rec)}")
    lines += [f"  not a candidate: {e}" for e in v.excluded]
    worth = [f"{k[0]} {k[1]}: {le.text()}" for k, le in sv.labels.items() if k[2] == v.fraction and le]
    if worth:
        lines.append("  worth in target-only labels: " + "; ".join(worth))
    return lines


def verdict_lines(sv: StudyVerdict) -> list[str]:
    """The verdict block: one entry per fraction, then the limits (printed once)."""
    study = sv.summary.study
    lines = [f"Verdict on {study.label} (equivalent = not significantly worse than the best by more than "
             f"{100 * sv.margin:g} points; paired bootstrap, Holm, α={ALPHA:g}; cost = training + amortised source "
             f"training + predicting 1,000 documents):"]
    for v in sv.verdicts:
        lines += ["  " + line for line in _fraction_lines(sv, v)]
    limits = sorted({limit for v in sv.verdicts for limit in v.limits})
    lines += [f"  limits: {limit}" for limit in limits]
    return lines


def pareto_lines(sv: StudyVerdict) -> list[str]:
    """Per fraction the Pareto front of accuracy against cost, cheapest first."""
    return [f"at {fraction_label(v.fraction)}: " + " → ".join(
        f"{_row(sv, k)} ({seconds(sv.costs[k].total)})" for k in v.pareto) for v in sv.verdicts if v.pareto]


def _ref(sv: StudyVerdict, key: Key | None) -> dict | None:
    if key is None:
        return None
    g, cost = sv.summary.group(*key), sv.costs[key]
    return {"system": key[0], "strategy": key[1], "accuracy_mean": g.accuracy, "cost_seconds": _finite(cost.total),
            "train_seconds": _finite(cost.train), "source_seconds_share": _finite(cost.source),
            "predict_seconds_per_1000": _finite(cost.predict_per_1k)}


def _finite(x: float) -> float | None:
    return round(x, 4) if np.isfinite(x) else None


def verdict_records(sv: StudyVerdict) -> list[dict]:
    """summary.json's ``verdict``: one entry per fraction."""
    out = []
    for v in sv.verdicts:
        by_key = {c.key: c for c in v.comparisons}
        equivalent = [{**_ref(sv, k), "delta": by_key[k].shortfall.estimate, "delta_ci_low": by_key[k].shortfall.low,
                       "delta_ci_high": by_key[k].shortfall.high, "p_holm": by_key[k].p_holm} for k in v.equivalent]
        worse = [{**_ref(sv, c.key), "delta": c.shortfall.estimate, "delta_ci_low": c.shortfall.low,
                  "delta_ci_high": c.shortfall.high, "p_holm": c.p_holm} for c in v.comparisons if not c.equivalent]
        recommended = _ref(sv, v.recommended)
        if recommended is not None:
            recommended.update(cost_ratio_to_best=v.cost_ratio, train_command=train_command(sv.summary,
                                                                                          v.recommended))
        out.append({"fraction": v.fraction, "best": _ref(sv, v.best), "equivalent": equivalent,
                    "recommended": recommended, "worse": worse, "reason": v.reason, "excluded": v.excluded,
                    "pareto": [_ref(sv, k) for k in v.pareto], "limits": v.limits, "margin": sv.margin,
                    "alpha": ALPHA})
    return out


def labels_record(sv: StudyVerdict, key: Key) -> dict | None:
    """summary.json's ``labels_equivalent`` of one non-baseline row (None without a target-only curve)."""
    le = sv.labels.get(key)
    return le.as_record() if le else None
