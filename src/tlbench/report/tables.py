"""Renderer-agnostic tables built from cell results (the CLI renders them with rich, reports as Markdown/HTML)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from tlbench.learning_check import mark, row_flags
from tlbench.report.summary import BASELINE, Group, Summary, fraction_label, row_order
from tlbench.results import CellResult


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        lines += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def seed_table(results: Iterable[CellResult], metric: str = "accuracy") -> Table:
    """The seed talk's table: rows system × strategy, columns target fractions, mean ± sd over seeds (in %)."""
    ok = [r for r in results if r.ok]
    fractions = sorted({r.fraction for r in ok})
    groups: dict[tuple[str, str], dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in ok:
        groups[(r.system, r.strategy)][r.fraction].append(100.0 * r.metrics[metric])
    flags = row_flags(ok)
    rows = []
    for (system, strategy), by_fraction in sorted(groups.items()):
        row = [system, strategy]
        for f in fractions:
            values = by_fraction.get(f)
            if not values:
                row.append("—")
            elif len(values) == 1:
                row.append(flagged(f"{values[0]:.1f}", flags.get((system, strategy, f))))
            else:
                row.append(flagged(f"{np.mean(values):.1f} ± {np.std(values, ddof=1):.1f}",
                                   flags.get((system, strategy, f))))
        rows.append(row)
    seeds = sorted({r.seed for r in ok})
    source = next((r.source for r in ok if r.source), None)
    target = next((r.target for r in ok), "?")
    title = f"{metric} (%) on {target}" + (f", source {source}" if source else "")
    notes = [f"mean ± sd over {len(seeds)} seed(s)"] if ok else ["no completed cells"]
    notes += flag_notes(flags)
    return Table(title, ["system", "strategy", *map(fraction_label, fractions)], rows, notes)


def flagged(text: str, flags: dict[str, list[int]] | None) -> str:
    """A table cell with the guard's marks appended (``⚠ did not learn: seed 1``); unchanged when unflagged."""
    words = mark(flags)
    return f"{text} ⚠ {words}" if words else text


def flag_notes(flags: dict) -> list[str]:
    """The notes that explain the marks, when any cell carries one."""
    if not flags:
        return []
    return ["⚠ did not learn: the seed's model was no better than the majority class on its validation part "
            "(one-sided binomial test, p ≥ 0.01); unstable: its validation accuracy lies far below the row's other "
            "seeds (median/MAD rule); the means include these seeds (docs/reports.md, \"Did it learn?\")"]


# Tables over a study's aggregated summary (tlbench.report.summary). Accuracy and gain are shown in points (%).

def _points(x: float, signed: bool = False) -> str:
    return f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"


def format_p(p: float) -> str:
    """``p<0.001``, ``p=0.034``, ``p=0.41``."""
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}" if p < 0.1 else f"p={p:.2f}"


def accuracy_table(summary: Summary) -> Table:
    """The seed-style table with intervals: rows system × strategy, columns fractions, mean ± sd (95% CI)."""
    study = summary.study
    fractions = study.fractions
    pairs = sorted({(g.system, g.strategy) for g in summary.groups}, key=row_order)
    flags = row_flags(study.cells)
    rows = []
    for system, strategy in pairs:
        row = [system, strategy]
        for f in fractions:
            g = summary.group(system, strategy, f)
            if g is None:
                row.append("—")
                continue
            text = _points(g.accuracy) + (f" ± {_points(g.accuracy_sd)}" if len(g.seeds) > 1 else "")
            if g.accuracy_ci is not None:
                text += f" ({_points(g.accuracy_ci.low)}–{_points(g.accuracy_ci.high)})"
            row.append(flagged(text, flags.get((system, strategy, f))))
        rows.append(row)
    n_seeds = sorted({len(g.seeds) for g in summary.groups})
    seeds = f"{n_seeds[0]}" if len(n_seeds) == 1 else f"{n_seeds[0]}–{n_seeds[-1]}"
    notes = [f"mean ± sd over {seeds} seed(s); in brackets the 95% CI, bootstrap over seeds and test examples",
             *flag_notes(flags)]
    return Table(f"accuracy (%) on {study.label}", ["system", "strategy", *map(fraction_label, fractions)], rows,
                 notes)


def gain_cell(g: Group) -> str:
    """``+3.2 [+1.0, +5.4] p=0.003``; ``▼`` in front when the whole interval lies below 0."""
    if g.gain is None:
        return "—"
    text = f"{_points(g.gain.estimate, True)} [{_points(g.gain.low, True)}, {_points(g.gain.high, True)}]"
    if g.test is not None:
        text += f" {format_p(g.test.p_mid)}"
    if len(g.gain_seeds) < len(g.seeds):
        text += f" (n={len(g.gain_seeds)})"
    return ("▼ " if g.negative_transfer else "") + text


def gain_table(summary: Summary) -> Table:
    """Transfer gain over target-only per system × strategy and fraction, with negative transfer and crossovers
    in the notes."""
    study = summary.study
    fractions = study.fractions
    pairs = sorted({(g.system, g.strategy) for g in summary.groups if g.strategy != BASELINE}, key=row_order)
    flags = row_flags(study.cells)
    rows = []
    for system, strategy in pairs:
        cells = [summary.group(system, strategy, f) for f in fractions]
        rows.append([system, strategy, *("—" if g is None else flagged(gain_cell(g), flags.get(
            (system, strategy, g.fraction))) for g in cells)])
    tests = sorted({g.test.method for g in summary.groups if g.test is not None})
    notes = [f"Δ = accuracy(strategy) − accuracy({BASELINE}) in points, paired on system, fraction, seed and test "
             f"examples; [95% CI] by paired bootstrap over seeds and test examples; "
             f"p: {', '.join(tests) or 'paired test'} (mid-p)"]
    negative = [f"{g.system} {g.strategy} at {fraction_label(g.fraction)}" for g in summary.groups
                if g.negative_transfer]
    if negative:
        notes.append(f"▼ negative transfer (the whole CI lies below 0): {', '.join(negative)}")
    if any(g.gain is not None and len(g.gain_seeds) < len(g.seeds) for g in summary.groups):
        notes.append(f"(n=k): only k seeds could be paired with a {BASELINE} run on the same test examples")
    for (system, strategy), fraction in sorted(summary.crossovers.items()):
        if fraction is not None:
            notes.append(f"{strategy} on {system} stops helping from {fraction_label(fraction)} "
                         f"(mean Δ ≤ 0 there and at every larger fraction)")
    if not any(g.gain is not None for g in summary.groups):
        notes.append(f"no gain: the study has no {BASELINE} cells to pair with")
    notes += flag_notes(flags)
    return Table(f"transfer gain over {BASELINE} (points) on {study.label}",
                 ["system", "strategy", *map(fraction_label, fractions)], rows, notes)


def _value(x: float, digits: int = 1) -> str:
    return "—" if not np.isfinite(x) else f"{x:,.{digits}f}"


def cost_table(summary: Summary) -> Table:
    """Cost per system × strategy: target training seconds per fraction, source seconds, prediction speed and
    peak memory."""
    study = summary.study
    fractions = study.fractions
    pairs = sorted({(g.system, g.strategy) for g in summary.groups}, key=row_order)
    gpu = any(np.isfinite(g.peak_gpu_mb) and g.peak_gpu_mb > 0 for g in summary.groups)
    columns = ["system", "strategy", *(f"train s @{fraction_label(f)}" for f in fractions), "source s",
               "predict ex/s", "peak RSS MB"] + (["peak GPU MB"] if gpu else [])
    rows = []
    for system, strategy in pairs:
        groups = [g for g in summary.groups if (g.system, g.strategy) == (system, strategy)]
        by_fraction = {g.fraction: g for g in groups}
        row = [system, strategy]
        row += [_value(by_fraction[f].train_seconds) if f in by_fraction else "—" for f in fractions]
        source = [g.source_seconds_max for g in groups if np.isfinite(g.source_seconds_max)]
        row.append(_value(max(source)) if source and max(source) > 0 else "—")
        speed = [g.predict_examples_per_s for g in groups if np.isfinite(g.predict_examples_per_s)]
        row.append(_value(float(np.mean(speed)), 0) if speed else "—")
        rss = [g.peak_rss_mb for g in groups if np.isfinite(g.peak_rss_mb)]
        row.append(_value(max(rss), 0) if rss else "—")
        if gpu:
            mem = [g.peak_gpu_mb for g in groups if np.isfinite(g.peak_gpu_mb)]
            row.append(_value(max(mem), 0) if mem else "—")
        rows.append(row)
    notes = ["train s: target-side training, mean over seeds; source s: the largest source-training time a cell "
             "paid (later cells reuse the cached source model); peak memory: the largest over the row's cells"]
    return Table(f"cost on {study.label}", columns, rows, notes)


def _millions(x: float) -> str:
    return f"{x / 1e6:.2f}M"


def _whole(x: float) -> str:
    return _value(x, 0)


#: Facts a system that pretrains a language model records in ``ctx.info`` (docs/writing-plugins.md), with their
#: column labels and formats; the report shows them when any cell of a study has ``lm_perplexity``.
LM_COLUMNS = (("lm_text", "LM text", str), ("lm_tokens_trained", "tokens trained", _millions),
              ("lm_perplexity", "held-out perplexity", _whole),
              ("lm_source_perplexity", "source LM perplexity", _whole), ("lm_seconds", "LM pretraining s", _whole))


def _spread(values: list, fmt) -> str:
    """One value, or min–max when the row's cells differ (e.g. biLMs pretrained on different text); text values
    are listed."""
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and np.isfinite(v)]
    if not numbers:
        texts = sorted({str(v) for v in values if v is not None})
        return " / ".join(texts) if texts else "—"
    low, high = min(numbers), max(numbers)
    return fmt(low) if np.isclose(low, high, rtol=1e-6) else f"{fmt(low)}–{fmt(high)}"


def pretraining_table(summary: Summary) -> Table | None:
    """Language-model pretraining per system × strategy (held-out perplexity, tokens, time), or None when no cell
    of the study recorded ``lm_perplexity``."""
    cells = [c for c in summary.study.cells if c.info.get("lm_perplexity") is not None]
    if not cells:
        return None
    by_pair: dict[tuple[str, str], list[CellResult]] = defaultdict(list)
    for c in cells:
        by_pair[(c.system, c.strategy)].append(c)
    rows = [[system, strategy, *(_spread([c.info.get(key) for c in group], fmt) for key, _, fmt in LM_COLUMNS)]
            for (system, strategy), group in sorted(by_pair.items(), key=lambda kv: row_order(kv[0]))]
    notes = ["perplexity on held-out pretraining text (never trained on), full softmax; a range when the row's "
             "cells used different language models; LM pretraining s: the run that trained it (later cells reuse "
             "the cached model)"]
    return Table(f"language-model pretraining on {summary.study.label}", ["system", "strategy",
                 *(label for _, label, _ in LM_COLUMNS)], rows, notes)


def environment_table(facts: dict[str, str]) -> Table:
    """The environment as a two-column table."""
    return Table("environment", ["fact", "value"], [[k, v] for k, v in facts.items()])
