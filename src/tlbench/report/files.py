"""``tlbench report``: read a results file and write the report as Markdown, HTML, CSV and/or JSON files.

Files written into the output folder (``SLUG`` names the study when a results file holds several):

- ``learning_curve[-SLUG].png`` and ``accuracy_vs_cost[-SLUG].png`` (with md or html);
- ``report.md``, which shows those PNG files;
- ``report.html``, self-contained (plots embedded as data URIs);
- ``summary.csv`` and ``summary.json``: the aggregated table, one row per study × system × strategy × fraction
  (JSON adds the environment, warnings and crossovers).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

from tlbench import __version__
from tlbench.errors import ConfigError, TlbenchError
from html import escape

from tlbench.report import html_page
from tlbench.report.document import Report, StudyReport, build_report
from tlbench.report.summary import BASELINE
from tlbench.report.tables import environment_table, fraction_label
from tlbench.report.verdict_text import labels_record, pareto_lines, verdict_lines, verdict_records
from tlbench.results import SCHEMA, CellResult, ResultStore

FORMATS = ("md", "html", "csv", "json")
#: Version of the summary.json layout.
REPORT_SCHEMA = 1

METHOD = (
    "Accuracy: mean and sample sd over seeds; 95% CI by percentile bootstrap (2000 replicates, fixed RNG seed) "
    "that resamples seeds and, independently, test examples (one draw shared by all seeds, since they share the "
    "test set). Transfer gain Δ: strategy − target-only on the same system, fraction, seed and test examples, with "
    "the same bootstrap on the per-example differences. p: exact McNemar mid-p for one seed; for several seeds a "
    "sign test over test examples on the per-example mean difference across seeds. ▼ negative transfer: the whole "
    "CI of Δ lies below 0. Crossover: the smallest fraction from which mean Δ ≤ 0 at it and every larger fraction. "
    "Verdict: best = highest mean accuracy among rows that learned; equivalent = not significantly worse than the "
    "best by more than the margin (one-sided paired bootstrap p over seeds and test examples, Holm-adjusted, "
    "α = 0.05); recommended = the cheapest of those (if at least 1.25× cheaper than the best); labels-equivalent: "
    "read off the same system's target-only learning curve (isotonic, interpolated in log labels, never "
    "extrapolated). See docs/reports.md."
)


def read_results(path: Path) -> list[CellResult]:
    """The records of a results file (a folder holding exactly one ``*.jsonl`` is accepted); TlbenchError when
    it is missing, empty, from a newer tlbench, or has no ok cell."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.jsonl"))
        if len(found) != 1:
            raise TlbenchError(f"{path} is a folder with {len(found)} .jsonl files; pass the results file itself")
        path = found[0]
    if not path.exists():
        raise TlbenchError(f"results file {path} does not exist; run `tlbench compare ... --out DIR` first and "
                           f"pass DIR's results file")
    results = ResultStore(path).read()
    if not results:
        raise TlbenchError(f"{path} holds no tlbench results (empty or not a results file)")
    newer = max(r.schema for r in results)
    if newer > SCHEMA:
        raise TlbenchError(f"{path} was written with results schema {newer}, this tlbench reads up to {SCHEMA}; "
                           f"upgrade tlbench")
    if not any(r.ok for r in results):
        latest = {r.key: r for r in results}.values()
        first = next((r.error for r in latest if r.error), "no message")
        raise TlbenchError(f"{path} has no finished (ok) cell: {len(latest)} cell(s) failed or were skipped, "
                           f"e.g. {first}; fix that and rerun the study")
    return results


def _suffix(report: Report, study: StudyReport) -> str:
    return "" if len(report.studies) == 1 else f"-{study.summary.study.slug}"


def _plots(report: Report, out_dir: Path) -> dict[int, dict[str, tuple[Path, bytes]]]:
    from tlbench.report import plots

    out = {}
    for i, study in enumerate(report.studies):
        suffix = _suffix(report, study)
        out[i] = {"learning_curve": (out_dir / f"learning_curve{suffix}.png", plots.learning_curve(study.summary)),
                  "accuracy_vs_cost": (out_dir / f"accuracy_vs_cost{suffix}.png",
                                       plots.accuracy_vs_cost(study.summary, study.verdict))}
    return out


_CAPTIONS = {
    "learning_curve": "Accuracy vs labelled target fraction, one line per system × strategy; error bars: 95% CI.",
    "accuracy_vs_cost": ("Accuracy vs cost per run: target training + amortised source training + predicting 1,000 "
                         "documents (seconds); labels: target fraction; ringed points: the Pareto front of their "
                         "fraction."),
}


def _verdict_markdown(report: Report) -> list[str]:
    parts = ["## Verdict", ""]
    for study in report.studies:
        head, *lines = verdict_lines(study.verdict)
        parts += [head, "", "```text", *lines, "```", ""]
        front = pareto_lines(study.verdict)
        if front:
            parts += ["Pareto front (accuracy vs cost, cheapest first):", ""] + [f"- {line}" for line in front] + [""]
    return parts


def _verdict_html(report: Report) -> str:
    out = ['<h2 id="verdict">Verdict</h2>\n']
    for study in report.studies:
        head, *lines = verdict_lines(study.verdict)
        out.append(f"<p>{escape(head)}</p>\n<pre>{escape(chr(10).join(lines))}</pre>\n")
        front = "".join(f"<li>{escape(line)}</li>" for line in pareto_lines(study.verdict))
        if front:
            out.append(f"<p>Pareto front (accuracy vs cost, cheapest first):</p>\n<ul>{front}</ul>\n")
    return "".join(out)


def _markdown(report: Report, title: str, meta: str, plots) -> str:
    # The answer first, then the warnings: a reader should know what is shaky before reading the numbers.
    parts = [f"# {title}", "", meta, "", *_verdict_markdown(report), "## Protocol warnings", ""]
    parts += [f"- ⚠ {w}" for w in report.all_warnings] or ["None."]
    parts.append("")
    for i, study in enumerate(report.studies):
        if len(report.studies) > 1:
            parts += [f"## Study: {study.summary.study.label}", ""]
        tables = study.tables
        parts += [t.to_markdown() for t in tables[:-1]]
        for name, (path, _) in plots[i].items():
            parts += [f"![{name.replace('_', ' ')}]({path.name})", "", f"*{_CAPTIONS[name]}*", ""]
        parts.append(tables[-1].to_markdown())
    parts += ["## Environment", "", environment_table(report.environment).to_markdown(), "## Method", "",
              METHOD, ""]
    return "\n".join(parts)


def _html(report: Report, title: str, meta: str, plots) -> str:
    sections = [_verdict_html(report),
                '<h2 id="warnings">Protocol warnings</h2>\n' + html_page.warnings_html(report.all_warnings)]
    for i, study in enumerate(report.studies):
        sections.append(f"<h2>{escape(study.summary.study.label)}</h2>\n")
        sections += [html_page.table_html(t) for t in study.tables[:-1]]
        for name, (_, png) in plots[i].items():
            element_id = f"{name}{_suffix(report, study)}".replace("_", "-")
            sections.append(html_page.figure_html(png, name.replace("_", " "), element_id, _CAPTIONS[name]))
        sections.append(html_page.table_html(study.tables[-1]))
    sections.append("<h2>Environment</h2>\n" + html_page.table_html(environment_table(report.environment)))
    sections.append(f"<h2>Method</h2>\n<p>{escape(METHOD)}</p>\n")
    return html_page.page(title, meta, sections)


def _records(report: Report) -> list[dict]:
    return [{"target": s.summary.study.target, "source": s.summary.study.source, **g.as_record()}
            for s in report.studies for g in s.summary.groups]


def _row_record(study: StudyReport, group) -> dict:
    row = group.as_record()
    if group.strategy != BASELINE:
        row["labels_equivalent"] = labels_record(study.verdict, (group.system, group.strategy, group.fraction))
    return row


def _json(report: Report, results_path: Path, generated: str) -> dict:
    studies = []
    for s in report.studies:
        study = s.summary.study
        studies.append({
            "target": study.target, "source": study.source, "fractions": study.fractions,
            "rows": [_row_record(s, g) for g in s.summary.groups],
            "verdict": verdict_records(s.verdict),
            "crossovers": [{"system": sy, "strategy": st, "fraction": f}
                           for (sy, st), f in sorted(s.summary.crossovers.items())],
            "unpaired": s.summary.unpaired, "warnings": s.warnings,
        })
    return {"report_schema": REPORT_SCHEMA, "results": str(results_path), "generated_at": generated,
            "generated_by": f"tlbench {__version__}", "cells": report.status, "environment": report.environment,
            "warnings": report.warnings, "studies": studies}


def write_report(results_path: Path, out_dir: Path, formats: list[str], report: Report | None = None) -> list[Path]:
    """Write the report of a results file into ``out_dir`` in the given formats (md, html, csv, json); returns
    the files written. ``report``: the results file's report when the caller has built it already (it is then
    not read again). TlbenchError for a missing/empty results file or one without ok cells; ConfigError for
    an unknown format."""
    wanted = [f.strip().lower().lstrip(".") for f in formats if f.strip()]
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown or not wanted:
        raise ConfigError(f"unknown report format(s) {', '.join(unknown) or '(none given)'}; "
                          f"choose from {', '.join(FORMATS)}")
    results_path = Path(results_path)
    if report is None:
        report = build_report(read_results(results_path))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    title = f"tlbench report: {results_path.name}"
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.status.items()))
    fractions = sorted({f for s in report.studies for f in s.summary.study.fractions})
    meta = (f"{results_path} · cells: {counts} · fractions {', '.join(map(fraction_label, fractions))} · "
            f"generated {generated} by tlbench {__version__}")

    written: list[Path] = []
    plots = _plots(report, out_dir) if {"md", "html"} & set(wanted) else {}
    for figures in plots.values():
        for path, png in figures.values():
            path.write_bytes(png)
            written.append(path)
    if "md" in wanted:
        written.append(out_dir / "report.md")
        written[-1].write_text(_markdown(report, title, meta, plots), encoding="utf-8")
    if "html" in wanted:
        written.append(out_dir / "report.html")
        written[-1].write_text(_html(report, title, meta, plots), encoding="utf-8")
    if "csv" in wanted:
        records = _records(report)
        written.append(out_dir / "summary.csv")
        with written[-1].open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    if "json" in wanted:
        written.append(out_dir / "summary.json")
        written[-1].write_text(json.dumps(_json(report, results_path, generated), indent=2, ensure_ascii=False,
                                          allow_nan=False) + "\n", encoding="utf-8")
    return written
