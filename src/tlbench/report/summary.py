"""Aggregation of cell results into what a report shows: one summary per (system, strategy, fraction) with
accuracy over seeds and its interval, cost, and the transfer gain over the target-only baseline.

A results file may hold several studies (different targets, or sources); :func:`split_studies` separates them,
since accuracies on different targets must never share a row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from tlbench import stats
from tlbench.results import CellResult

#: The strategy every gain is measured against.
BASELINE = "target-only"


@dataclass(frozen=True)
class Study:
    """The ok cells of one target (and source); a baseline run without a source is shared by every source."""

    target: str
    source: str | None
    cells: tuple[CellResult, ...]

    @property
    def label(self) -> str:
        return f"{self.source} → {self.target}" if self.source else self.target

    @property
    def slug(self) -> str:
        text = f"{self.source}-to-{self.target}" if self.source else self.target
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)

    @property
    def fractions(self) -> list[float]:
        return sorted({c.fraction for c in self.cells})


@dataclass(frozen=True)
class Group:
    """One row of the aggregated table: a (system, strategy, fraction) over its seeds."""

    system: str
    strategy: str
    fraction: float
    seeds: tuple[int, ...]
    accuracy: float
    accuracy_sd: float
    accuracy_ci: stats.Interval | None
    macro_f1: float
    log_loss: float
    n_train: float
    n_test: int
    train_seconds: float
    source_seconds: float
    source_seconds_max: float
    predict_examples_per_s: float
    peak_rss_mb: float
    peak_gpu_mb: float
    gain: stats.Interval | None = None
    gain_seeds: tuple[int, ...] = ()
    test: stats.PairedTest | None = None

    @property
    def negative_transfer(self) -> bool:
        return self.gain is not None and stats.negative_transfer(self.gain)

    def as_record(self) -> dict[str, object]:
        """A flat, JSON-able row (accuracy and gain in [0, 1]; NaN becomes None)."""
        ci, gain, test = self.accuracy_ci, self.gain, self.test
        row = {
            "system": self.system, "strategy": self.strategy, "fraction": self.fraction,
            "n_seeds": len(self.seeds), "seeds": " ".join(map(str, self.seeds)),
            "accuracy_mean": self.accuracy, "accuracy_sd": self.accuracy_sd,
            "accuracy_ci_low": ci.low if ci else None, "accuracy_ci_high": ci.high if ci else None,
            "macro_f1_mean": self.macro_f1, "log_loss_mean": self.log_loss,
            "gain_mean": gain.estimate if gain else None, "gain_ci_low": gain.low if gain else None,
            "gain_ci_high": gain.high if gain else None, "gain_n_seeds": len(self.gain_seeds),
            "paired_wins": test.wins if test else None, "paired_losses": test.losses if test else None,
            "p_mid": test.p_mid if test else None, "p_exact": test.p_exact if test else None,
            "paired_test": test.method if test else None, "negative_transfer": self.negative_transfer,
            "n_train_mean": self.n_train, "n_test": self.n_test,
            "train_seconds_mean": self.train_seconds, "source_seconds_mean": self.source_seconds,
            "source_seconds_max": self.source_seconds_max,
            "predict_examples_per_s_mean": self.predict_examples_per_s,
            "peak_rss_mb_max": self.peak_rss_mb, "peak_gpu_mb_max": self.peak_gpu_mb,
        }
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}


@dataclass
class Summary:
    """A study's groups, its crossovers and the pairing problems met on the way."""

    study: Study
    groups: list[Group]
    #: (system, strategy) -> smallest fraction from which the mean gain is no longer positive.
    crossovers: dict[tuple[str, str], float | None] = field(default_factory=dict)
    #: Cells that could not be paired with a baseline run, as one-line reasons.
    unpaired: list[str] = field(default_factory=list)
    #: (system, strategy, fraction) -> the group's cells, sorted by seed.
    cells: dict[tuple[str, str, float], list[CellResult]] = field(default_factory=dict)
    #: id(cell) -> per-example correctness of every cell with stored predictions.
    correctness: dict[int, np.ndarray] = field(default_factory=dict)

    def learned(self, key: tuple[str, str, float]) -> bool:
        """Whether every cell of a row learned (a cell not checked counts as learned)."""
        return all(getattr(c, "learned", None) is not False for c in self.cells.get(key, []))

    def labels(self, key: tuple[str, str, float]) -> float:
        """Mean labelled target examples a row's cells had (training plus validation part)."""
        cells = self.cells.get(key, [])
        return float(np.mean([c.n_train + c.n_valid for c in cells])) if cells else float("nan")

    def group(self, system: str, strategy: str, fraction: float) -> Group | None:
        return next((g for g in self.groups if (g.system, g.strategy, g.fraction) == (system, strategy, fraction)),
                    None)


def fraction_label(fraction: float) -> str:
    """``0.05`` -> ``5%``."""
    return f"{fraction * 100:g}%"


def row_order(pair: tuple[str, str]) -> tuple[str, bool, str]:
    """Sort key for (system, strategy) rows: by system, the baseline first."""
    return pair[0], pair[1] != BASELINE, pair[1]


def latest_ok(results: Iterable[CellResult]) -> tuple[list[CellResult], int]:
    """The ok cells, one per (target, source, system, strategy, fraction, seed) — the last one in file order —
    and how many ok cells later ones superseded (a rerun with another configuration has another key)."""
    by_key = {r.key: r for r in results}  # a rerun of the same key supersedes it
    latest: dict[tuple, CellResult] = {}
    superseded = 0
    for r in by_key.values():
        if not r.ok:
            continue
        slot = (r.target, r.source, r.system, r.strategy, r.fraction, r.seed)
        superseded += slot in latest
        latest[slot] = r
    return list(latest.values()), superseded


def split_studies(cells: Iterable[CellResult]) -> list[Study]:
    """Group ok cells by target and source; baseline cells without a source join every source's study."""
    by_target: dict[str, list[CellResult]] = defaultdict(list)
    for c in cells:
        by_target[c.target].append(c)
    studies = []
    for target in sorted(by_target):
        cells_t = by_target[target]
        sources = sorted({c.source for c in cells_t if c.source is not None})
        if len(sources) <= 1:
            studies.append(Study(target, sources[0] if sources else None, tuple(cells_t)))
            continue
        for source in sources:
            members = [c for c in cells_t if c.source == source or (c.source is None and c.strategy == BASELINE)]
            studies.append(Study(target, source, tuple(members)))
        orphans = [c for c in cells_t if c.source is None and c.strategy != BASELINE]
        if orphans:
            studies.append(Study(target, None, tuple(orphans)))
    return studies


def _cost(cells: list[CellResult], name: str, reduce=np.mean) -> float:
    values = [float(c.cost[name]) for c in cells if c.cost.get(name) is not None]
    return float(reduce(values)) if values else float("nan")


def _metric(cells: list[CellResult], name: str) -> float:
    values = [float(c.metrics[name]) for c in cells if c.metrics.get(name) is not None]
    return float(np.mean(values)) if values else float("nan")


def has_predictions(cell: CellResult) -> bool:
    """Whether the cell stored its per-example predictions (needed for intervals and paired comparisons)."""
    return bool(cell.y_true) and len(cell.y_true) == len(cell.y_pred)


def correct(cell: CellResult) -> np.ndarray:
    """Per-example correctness (1.0 = right) as float64. Labels are stored one character each, so comparing the
    characters is comparing the labels (and much faster than decoding both strings)."""
    return (np.frombuffer(cell.y_true.encode("ascii"), dtype=np.uint8)
            == np.frombuffer(cell.y_pred.encode("ascii"), dtype=np.uint8)).astype(np.float64)


def same_test_examples(a: CellResult, b: CellResult) -> bool:
    """Whether two cells were scored on the same test examples (digest, then the labels themselves)."""
    digest_a, digest_b = a.test_set.get("digest"), b.test_set.get("digest")
    if digest_a and digest_b and digest_a != digest_b:
        return False
    return a.y_true == b.y_true


def one_test_set(cells: list[CellResult]) -> bool:
    """Whether all cells were scored on the same test examples (so bootstrap draws can be shared)."""
    return all(same_test_examples(cells[0], c) for c in cells[1:])


GroupKey = tuple[str, str, float]


def _baseline_pairs(gkey: GroupKey, scored: list[CellResult], grouped: dict[GroupKey, list[CellResult]],
                    unpaired: list[str]) -> tuple[list[CellResult], list[CellResult]]:
    """The group's scored cells and their target-only partners (same system, fraction, seed and test
    examples); cells without a partner are explained in ``unpaired``."""
    system, strategy, fraction = gkey
    base_cells = {c.seed: c for c in grouped.get((system, BASELINE, fraction), [])}
    strat_side: list[CellResult] = []
    base_side: list[CellResult] = []
    if strategy == BASELINE or not base_cells:
        return strat_side, base_side
    where = f"{system} {strategy} at {fraction_label(fraction)}"
    for c in scored:
        base = base_cells.get(c.seed)
        if base is None:
            unpaired.append(f"{where}, seed {c.seed}: no {BASELINE} run to pair with")
        elif not has_predictions(base) or not same_test_examples(c, base):
            unpaired.append(f"{where}, seed {c.seed}: tested on other examples than its {BASELINE} run")
        else:
            strat_side.append(c)
            base_side.append(base)
    return strat_side, base_side


def _group(gkey: GroupKey, cells: list[CellResult], accuracy_ci: stats.Interval | None,
           pair: tuple[list[CellResult], list[CellResult]], correctness: dict[int, np.ndarray]) -> Group:
    """One row: accuracy over seeds, cost, and (when paired with the baseline) the gain and the paired test."""
    strat_side, base_side = pair
    gain = test = None
    if strat_side:
        aligned = one_test_set(strat_side)
        base_rows = [correctness[id(b)] for b in base_side]
        strat_rows = [correctness[id(s)] for s in strat_side]
        gain = stats.bootstrap_ci([s - b for s, b in zip(strat_rows, base_rows)], aligned=aligned)
        test = stats.paired_test(base_rows, strat_rows, aligned=aligned)
    mean, sd = stats.mean_sd([float(c.metrics.get("accuracy", np.nan)) for c in cells])
    return Group(
        system=gkey[0], strategy=gkey[1], fraction=gkey[2], seeds=tuple(c.seed for c in cells),
        accuracy=mean, accuracy_sd=sd, accuracy_ci=accuracy_ci,
        macro_f1=_metric(cells, "macro_f1"), log_loss=_metric(cells, "log_loss"),
        n_train=float(np.mean([c.n_train for c in cells])), n_test=max(c.n_test for c in cells),
        train_seconds=_cost(cells, "train_seconds"), source_seconds=_cost(cells, "source_seconds"),
        source_seconds_max=_cost(cells, "source_seconds", np.max),
        predict_examples_per_s=_cost(cells, "predict_examples_per_s"),
        peak_rss_mb=_cost(cells, "peak_rss_mb", np.max), peak_gpu_mb=_cost(cells, "peak_gpu_mb", np.max),
        gain=gain, gain_seeds=tuple(c.seed for c in strat_side), test=test)


def _crossovers(study: Study, groups: list[Group]) -> dict[tuple[str, str], float | None]:
    if len(study.fractions) < 2:
        return {}
    by_pair: dict[tuple[str, str], dict[float, float]] = defaultdict(dict)
    for g in groups:
        if g.gain is not None:
            by_pair[(g.system, g.strategy)][g.fraction] = g.gain.estimate
    return {pair: stats.crossover_fraction(gains) for pair, gains in by_pair.items()}


def summarize(study: Study) -> Summary:
    """Aggregate a study: accuracy mean/sd/CI per group, gain over the baseline paired on seed and test
    examples, the paired test, negative-transfer flags and crossovers. Deterministic (fixed bootstrap seed)."""
    grouped: dict[GroupKey, list[CellResult]] = defaultdict(list)
    for c in study.cells:
        grouped[(c.system, c.strategy, c.fraction)].append(c)
    for cells in grouped.values():
        cells.sort(key=lambda c: c.seed)
    correctness = {id(c): correct(c) for c in study.cells if has_predictions(c)}
    unpaired: list[str] = []
    groups = []
    for gkey, cells in sorted(grouped.items(), key=lambda item: (row_order(item[0][:2]), item[0][2])):
        scored = [c for c in cells if id(c) in correctness]
        accuracy_ci = None
        if scored and len(scored) == len(cells):
            accuracy_ci = stats.bootstrap_ci([correctness[id(c)] for c in scored], aligned=one_test_set(scored))
        pair = _baseline_pairs(gkey, scored, grouped, unpaired)
        groups.append(_group(gkey, cells, accuracy_ci, pair, correctness))
    return Summary(study, groups, _crossovers(study, groups), unpaired, dict(grouped), correctness)
