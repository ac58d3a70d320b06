"""Protocol warnings: settings that make a study's comparison unfair or its numbers less certain than they look.

Each warning is one line saying what is wrong and what to do about it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from tlbench.learning_check import learned, row_flags
from tlbench.report.summary import BASELINE, Summary, fraction_label
from tlbench.results import CellResult

#: Below this many test examples one accuracy is uncertain by more than about ±3 points (95%).
MIN_TEST_EXAMPLES = 1000
#: Keys in ``info``/``system_config``/``strategy_config`` whose truthy value says test text reached training.
SAW_TEST_KEYS = ("saw_test_text", "saw_test", "vocab_saw_test_text", "embedding_saw_test_text")


def _flags(tree: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of truthy test-text flags anywhere in a nested dict."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key) in SAW_TEST_KEYS and value:
                yield where
            else:
                yield from _flags(value, where)


def _test_set_id(cell: CellResult) -> str:
    digest = cell.test_set.get("digest")
    if digest:
        return str(digest)
    # Older or hand-made records: the exact test labels stand in for the examples.
    return "labels:" + hashlib.sha256(f"{cell.n_test}:{cell.y_true}".encode()).hexdigest()[:16]


def _target_fingerprint(cell: CellResult) -> str | None:
    target = cell.corpora.get("target") if isinstance(cell.corpora, dict) else None
    return target.get("fingerprint") if isinstance(target, dict) else None


def study_warnings(summary: Summary) -> list[str]:
    """Warnings about one study (its ok cells and their aggregation)."""
    study, cells, out = summary.study, summary.study.cells, []
    label = study.label

    test_sets = {_test_set_id(c) for c in cells}
    if len(test_sets) > 1:
        out.append(f"{label}: cells were scored on {len(test_sets)} different test sets (test_set digests differ), "
                   f"so their accuracies are not comparable; rerun them on the same data and --max-test")
    fingerprints = {f for f in map(_target_fingerprint, cells) if f}
    if len(fingerprints) > 1:
        out.append(f"{label}: the target corpus data differ across cells ({len(fingerprints)} fingerprints); "
                   f"rerun the study on one copy of the data")

    seeds_per_group = [len(g.seeds) for g in summary.groups]
    if seeds_per_group and max(seeds_per_group) == 1:
        out.append(f"{label}: a single seed per cell, so the spread over training runs is unknown (sd 0) and the "
                   f"intervals cover test-example sampling only; use --seeds 3 or more")
    elif seeds_per_group and min(seeds_per_group) < max(seeds_per_group):
        short = [f"{g.system} {g.strategy} at {fraction_label(g.fraction)}" for g in summary.groups
                 if len(g.seeds) < max(seeds_per_group)]
        out.append(f"{label}: {len(short)} row(s) have fewer seeds than the others (cells failed or have not run "
                   f"yet), e.g. {short[0]}; rerun the study to fill them in")

    small = min((c.n_test for c in cells), default=0)
    if 0 < small < MIN_TEST_EXAMPLES:
        half = 100 * 0.98 / small ** 0.5
        out.append(f"{label}: only {small} test examples, so one accuracy is uncertain by about ±{half:.1f} points "
                   f"(95%); use at least {MIN_TEST_EXAMPLES} (--max-test)")

    flagged: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c in cells:
        for part, tree in (("system_config", c.system_config), ("strategy_config", c.strategy_config),
                           ("info", c.info)):
            for where in _flags(tree):
                flagged[(c.system, c.strategy)].add(f"{part}.{where}")
    for (system, strategy), where in sorted(flagged.items()):
        out.append(f"{label}: {system} ({strategy}) built its vocabulary or embedding from text that includes the "
                   f"test set ({', '.join(sorted(where))}), so its accuracy may be optimistic; fit it on training "
                   f"text only")

    configs: dict[str, set[str]] = defaultdict(set)
    for c in cells:
        configs[c.system].add(repr(sorted(c.system_config.items())))
    for system, variants in sorted(configs.items()):
        if len(variants) > 1:
            out.append(f"{label}: {system} ran with {len(variants)} different configurations and its rows mix "
                       f"them; give each configuration its own results file")

    devices = {c.device for c in cells}
    if len(devices) > 1:
        out.append(f"{label}: cells ran on different devices ({', '.join(sorted(devices))}), so cost columns are "
                   f"not comparable")

    strategies = {c.strategy for c in cells}
    if BASELINE not in strategies and strategies:
        out.append(f"{label}: no {BASELINE} cells, so no transfer gain can be computed; add --strategy {BASELINE}")
    if summary.unpaired:
        out.append(f"{label}: {len(summary.unpaired)} cell(s) left out of the gain, e.g. {summary.unpaired[0]}")
    return out + learning_warnings(summary)


def learning_warnings(summary: Summary) -> list[str]:
    """Cells whose model did not learn, seeds far below their row, and cells the guard could not check."""
    label, cells, out = summary.study.label, summary.study.cells, []
    failed = [c for c in cells if not learned(c)]
    if failed:
        c = failed[0]
        f = c.learning or {}
        out.append(f"{label}: {len(failed)} cell(s) did not learn (no better than the majority class on their "
                   f"validation part), e.g. {c.system} {c.strategy} at {fraction_label(c.fraction)} seed {c.seed}: "
                   f"validation accuracy {100 * f.get('valid_accuracy', float('nan')):.1f}% vs majority "
                   f"{100 * f.get('majority', float('nan')):.1f}% (p={f.get('p_value')}); they are marked "
                   f"'did not learn', kept in the means and never chosen as best; fix the training and rerun them")
    flags = row_flags(cells)
    unstable = [(row, s) for row, fl in sorted(flags.items()) for s in fl["unstable"]]
    if unstable:
        (system, strategy, fraction), seed = unstable[0]
        out.append(f"{label}: {len(unstable)} seed(s) unstable (validation accuracy far below the other seeds of "
                   f"the row), e.g. {system} {strategy} at {fraction_label(fraction)} seed {seed}; the row's mean and "
                   f"spread reflect a failed training run, not the approach")
    unchecked = [c for c in cells if getattr(c, "learned", None) is None and (c.learning or {}).get("note")]
    if unchecked:
        out.append(f"{label}: {len(unchecked)} cell(s) could not be checked for learning: "
                   f"{unchecked[0].learning['note']}")
    return out


def file_warnings(results: Iterable[CellResult], superseded: int) -> list[str]:
    """Warnings about the results file as a whole: failed and skipped cells, superseded reruns."""
    latest = {r.key: r for r in results}.values()
    status = Counter(r.status for r in latest)
    out = []
    if status["failed"]:
        first = next(r for r in latest if r.status == "failed")
        where = f"{first.system} {first.strategy} at {fraction_label(first.fraction)} seed {first.seed}"
        out.append(f"{status['failed']} cell(s) failed and are missing from the tables, e.g. {where}: "
                   f"{first.error or 'no message'}; fix the cause and rerun (finished cells are kept)")
    if status["skipped"]:
        first = next(r for r in latest if r.status == "skipped")
        out.append(f"{status['skipped']} cell(s) skipped because the strategy does not fit the system, e.g. "
                   f"{first.error or first.system + ' ' + first.strategy}")
    if superseded:
        out.append(f"{superseded} cell(s) were superseded by later runs of the same system, strategy, fraction and "
                   f"seed with another configuration; the tables show the latest")
    return out
