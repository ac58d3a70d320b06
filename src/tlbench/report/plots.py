"""The report's PNG plots, drawn with matplotlib's object API on the Agg canvas (no pyplot, no global backend
switch, no display needed). matplotlib is imported inside the functions: ``tlbench list`` must stay light."""

from __future__ import annotations

import io
import math

import numpy as np

from tlbench.report.summary import Group, Summary, row_order
from tlbench.report.tables import fraction_label
from tlbench.report.verdict_text import StudyVerdict, study_verdict

_DPI = 110
_LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _figure(width: float = 8.0, height: float = 4.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _lines(summary: Summary) -> list[tuple[str, str, list[Group]]]:
    pairs = sorted({(g.system, g.strategy) for g in summary.groups}, key=row_order)
    return [(s, t, sorted((g for g in summary.groups if (g.system, g.strategy) == (s, t)), key=lambda g: g.fraction))
            for s, t in pairs]


def _style(summary: Summary):
    """Colour per strategy, line style and marker per system, so a line reads as system × strategy."""
    from matplotlib import colormaps

    strategies = sorted({g.strategy for g in summary.groups})
    systems = sorted({g.system for g in summary.groups})
    palette = colormaps["tab10"]
    colour = {s: palette(i % 10) for i, s in enumerate(strategies)}
    line = {s: _LINESTYLES[i % len(_LINESTYLES)] for i, s in enumerate(systems)}
    marker = {s: _MARKERS[i % len(_MARKERS)] for i, s in enumerate(systems)}
    return colour, line, marker


def _errors(groups: list[Group]) -> np.ndarray:
    """Asymmetric error bars in points: the bootstrap CI, or ± sd where a group has no per-example predictions."""
    low, high = [], []
    for g in groups:
        if g.accuracy_ci is not None:
            low.append(g.accuracy - g.accuracy_ci.low)
            high.append(g.accuracy_ci.high - g.accuracy)
        else:
            low.append(g.accuracy_sd)
            high.append(g.accuracy_sd)
    return 100 * np.clip(np.array([low, high]), 0, None)


def learning_curve(summary: Summary) -> bytes:
    """Accuracy vs labelled target fraction, one line per system × strategy, 95% CI error bars; PNG bytes."""
    fig = _figure()
    ax = fig.add_subplot()
    colour, line, marker = _style(summary)
    fractions = summary.study.fractions
    log = len(fractions) > 1 and fractions[-1] / max(fractions[0], 1e-12) >= 8
    lines = _lines(summary)
    for i, (system, strategy, groups) in enumerate(lines):
        # Dodge the lines sideways a little so error bars at the same fraction do not hide each other.
        offset = (i - (len(lines) - 1) / 2) * 0.025
        x = np.array([g.fraction for g in groups])
        x = x * math.exp(offset) if log else x + offset * (fractions[-1] - fractions[0] or 1) / 2
        y = np.array([100 * g.accuracy for g in groups])
        ax.errorbar(x, y, yerr=_errors(groups), color=colour[strategy], linestyle=line[system],
                    marker=marker[system], markersize=5, capsize=3, linewidth=1.6, label=f"{system} · {strategy}")
    if log:
        ax.set_xscale("log")
    ax.set_xticks(fractions)
    ax.set_xticklabels([fraction_label(f) for f in fractions])
    ax.minorticks_off()
    ax.set_xlabel("labelled target training data")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"Learning curve on {summary.study.label} (error bars: 95% CI)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return _png(fig)


def accuracy_vs_cost(summary: Summary, verdict: StudyVerdict | None = None) -> bytes:
    """Accuracy vs cost per run, one point per system × strategy × fraction, points of a line joined in fraction
    order, the Pareto front of each fraction ringed; PNG bytes.

    Cost = the verdict's (:class:`tlbench.report.verdict.Cost`): target training + the row's share of source
    training (a cached source model is paid once per seed and spread over the cells that reuse it) + predicting
    1,000 documents. ``verdict``: the study's, when already computed.
    """
    verdict = verdict or study_verdict(summary)
    fig = _figure()
    ax = fig.add_subplot()
    colour, line, marker = _style(summary)
    front = {key for v in verdict.verdicts for key in v.pareto}
    drawn, ringed = 0, []
    for system, strategy, groups in _lines(summary):
        groups = [g for g in groups if np.isfinite(verdict.costs[(g.system, g.strategy, g.fraction)].total)]
        if not groups:
            continue
        # log axis: anything under 10 ms sits at 10 ms
        x = np.maximum([verdict.costs[(g.system, g.strategy, g.fraction)].total for g in groups], 0.01)
        y = np.array([100 * g.accuracy for g in groups])
        ax.errorbar(x, y, yerr=_errors(groups), color=colour[strategy], linestyle=line[system],
                    marker=marker[system], markersize=5, capsize=3, linewidth=1.0, label=f"{system} · {strategy}")
        for xi, yi, g in zip(x, y, groups):
            ax.annotate(fraction_label(g.fraction), (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7,
                        color=colour[strategy])
            if (g.system, g.strategy, g.fraction) in front:
                ringed.append((xi, yi))
        drawn += 1
    if ringed:
        ax.scatter(*zip(*ringed), s=160, facecolors="none", edgecolors="black", linewidths=1.2, zorder=5,
                   label="Pareto front (per fraction)")
    if drawn:
        ax.set_xscale("log")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no cost recorded", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("seconds per run: training + share of source training + predicting 1,000 docs (log scale)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"Accuracy vs cost on {summary.study.label} (labels: target fraction)")
    ax.grid(True, alpha=0.3, which="both")
    return _png(fig)
