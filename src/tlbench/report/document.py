"""A report's content, independent of its format: per study the tables and warnings, plus the environment and
the file-wide warnings. The terminal, Markdown, HTML, CSV and JSON outputs all render this one value."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from tlbench.report.environment import environment
from tlbench.report.protocol import file_warnings, study_warnings
from tlbench.report.summary import BASELINE, Summary, latest_ok, split_studies, summarize
from tlbench.report.tables import Table, accuracy_table, cost_table, gain_table, pretraining_table
from tlbench.report.verdict import MARGIN
from tlbench.report.verdict_text import StudyVerdict, study_verdict, verdict_lines
from tlbench.results import CellResult


@dataclass
class StudyReport:
    summary: Summary
    tables: list[Table]
    warnings: list[str]
    verdict: StudyVerdict


@dataclass
class Report:
    studies: list[StudyReport]
    warnings: list[str]
    environment: dict[str, str]
    status: dict[str, int]

    @property
    def all_warnings(self) -> list[str]:
        return [w for s in self.studies for w in s.warnings] + self.warnings


def build_report(results: Iterable[CellResult], margin: float = MARGIN) -> Report:
    """Aggregate results into a report (studies with no ok cell are absent; a report may have none); each
    study's summary is built once and every table, the verdict and every file render it. ``margin``: the
    verdict's practical margin (accuracy as a fraction)."""
    results = list(results)
    cells, superseded = latest_ok(results)
    studies = []
    for study in split_studies(cells):
        summary = summarize(study)
        tables = [accuracy_table(summary)]
        if any(g.strategy != BASELINE for g in summary.groups):
            tables.append(gain_table(summary))
        tables.append(cost_table(summary))
        lm = pretraining_table(summary)
        if lm is not None:
            tables.append(lm)
        studies.append(StudyReport(summary, tables, study_warnings(summary), study_verdict(summary, margin)))
    status = Counter(r.status for r in {r.key: r for r in results}.values())
    return Report(studies, file_warnings(results, superseded), environment(cells), dict(status))


def terminal_tables(results: list[CellResult] | Report) -> list[Table]:
    """What ``tlbench compare`` and ``tlbench report`` print: per study the accuracy (seed-style) table, the gain
    table, the cost table and, when a system pretrained a language model, its pretraining table; protocol
    warnings are notes (``⚠ ...``) of the last table. Pass a built :class:`Report` to avoid building it again."""
    report = results if isinstance(results, Report) else build_report(results)
    if not report.studies:
        rows = [[status, str(n)] for status, n in sorted(report.status.items())]
        return [Table("no completed cells", ["status", "cells"], rows, [f"⚠ {w}" for w in report.warnings])]
    tables = [t for s in report.studies for t in s.tables]
    last = tables[-1]
    tables[-1] = Table(last.title, last.columns, last.rows,
                       last.notes + [f"⚠ {w}" for w in report.all_warnings])
    return tables



def verdict_block(report: Report) -> list[str]:
    """The verdict in plain words, every study's block one after the other (empty without a study)."""
    return [line for s in report.studies for line in verdict_lines(s.verdict)]
