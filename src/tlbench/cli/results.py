"""``tlbench data`` and ``tlbench report``: what corpora are found, and what a study's results say."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tlbench.cli.app import app
from tlbench.cli.spec import _margin, _split_list
from tlbench.cli.tables import print_tables, print_verdict
from tlbench.cli_outcome import console as _console, fail as _fail, print_availability, warnings_shown
from tlbench.errors import TlbenchError


@app.command()
def data(
    data_dir: Annotated[Optional[Path], typer.Option(help="Where corpora files are.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="Study config (default ./tlbench.toml).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Read and parse every corpus found (catches truncated "
                                                        "or unusable files; caches what it parses).")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
):
    """Show which corpora are found where, their sizes and labels, whether they were checked, what is missing."""
    from tlbench.config import data_dir as resolve_data_dir, read_config
    from tlbench.corpora.availability import availability

    try:
        directory = resolve_data_dir(str(data_dir) if data_dir else None, read_config(config))
    except TlbenchError as exc:
        _fail(str(exc))
    rows = availability(directory, check=check)
    if as_json:
        import json

        print(json.dumps({"data_dir": str(directory), "corpora": rows}, indent=2))
    else:
        print_availability(directory, rows)
    if any(r["found"] and r.get("error") for r in rows):
        raise typer.Exit(1)


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A results.jsonl file (or the directory holding it).")],
    format: Annotated[str, typer.Option("--format", "-f", help="Comma-separated: md, html, csv, json.")] = "md,html",
    out: Annotated[Optional[Path], typer.Option(help="Output directory (default: beside the results).")] = None,
    margin: Annotated[float, typer.Option(help="The verdict's practical margin in accuracy points.")] = 0.5,
):
    """Write the verdict, tables, gains, learning curves and cost plots of a study; print the tables and the
    verdict."""
    from tlbench import report as report_module

    path = results / "results.jsonl" if results.is_dir() else results
    formats = _split_list(format) or ["md"]
    console = _console()
    try:
        unknown = [f for f in formats if f not in report_module.FORMATS]
        if unknown:
            raise TlbenchError(f"unknown report format(s) {', '.join(unknown)}: use {', '.join(report_module.FORMATS)}")
        if not path.exists():
            raise TlbenchError(f"no results file at {path}: give the results.jsonl written by tlbench compare")
        with warnings_shown():
            built = report_module.build_report(report_module.read_results(path), margin=_margin(margin))
            written = report_module.write_report(path, out or path.parent / "report", formats, report=built)
        for p in written:
            console.print(f"wrote {p}")
        print_tables(report_module.terminal_tables(built), console)
        print_verdict(built, console)
    except TlbenchError as exc:
        _fail(str(exc))
