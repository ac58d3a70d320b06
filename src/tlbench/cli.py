"""The command line: ``tlbench list | compare | train | predict | data | report | reproduce``.

rich and typer live here and in :mod:`tlbench.cli_outcome` only; the rest of tlbench is a library.
``tlbench list`` takes a fast path that imports neither (see :mod:`tlbench.listing`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from tlbench.cli_outcome import console as _console, fail as _fail, print_availability, warnings_shown
from tlbench.errors import TlbenchError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Transfer learning workbench for text classification: which transfer approach helps your "
                       "data, at your label budget, at what cost.")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also show the frameworks' own logs and "
                                                                        "warnings (TensorFlow, CUDA probes, hubs).")]
         = False) -> None:
    """Transfer learning workbench for text classification."""
    from tlbench.framework_logs import quiet_frameworks, set_verbose

    set_verbose(verbose)
    quiet_frameworks()



@app.command("list")
def list_components(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False):
    """List corpora, embeddings, encoders, systems and strategies with their plugin, version and status."""
    from tlbench import listing
    from tlbench.plugins import default_plugins

    plugins = default_plugins()
    print(listing.render_json(plugins) if as_json else listing.render_text(plugins))


def _split_list(value: Optional[str]) -> Optional[list[str]]:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def build_spec(systems: list[str], *, config_path: Optional[Path], **flags: Any):
    """A StudySpec from flags over tlbench.toml over defaults."""
    from tlbench.config import data_dir, parse_options, read_config, route_options, seeds_from
    from tlbench.study import StudySpec

    config = read_config(config_path)
    study = dict(config.get("study", {}))
    options = parse_options(flags.pop("option") or [])
    sections = {k: {n: dict(o) for n, o in config.get(k, {}).items()} for k in ("systems", "strategies", "corpora")}
    executor = flags.pop("executor") or study.pop("executor", "local")
    address = flags.pop("address") or study.pop("address", None)
    study.pop("executor", None)
    study.pop("address", None)
    for key, value in flags.items():
        if value is not None and key != "data_dir":
            study[key] = value
    study.update(systems=list(systems or study.get("systems") or []),
                 strategies=list(study.get("strategies", ["target-only"])))
    route_options(options, study, sections)
    study.update(seeds=seeds_from(study.get("seeds", 3)), system_options=sections["systems"],
                 strategy_options=sections["strategies"], corpus_options=sections["corpora"],
                 data_dir=str(data_dir(flags.get("data_dir"), config)))
    if not study.get("target"):
        raise TlbenchError("no target corpus: pass --target (e.g. --target imdb) or set [study] target")
    return StudySpec(**study), executor, address


class _Progress:
    """Rich progress: one bar for cells, one for the running cell's epochs/steps. Where the console is not a
    terminal (a log file, CI), rich shows no bars: a plain line tells what the running cell does, at most every
    ``log_every`` seconds, so a long run's log shows it is alive."""

    log_every = 60.0

    def __init__(self, console, quiet: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[metrics]}"), console=console,
                                 disable=quiet, transient=False)
        self.cells = self.inner = None
        self.label = ""
        self.plain = not quiet and not console.is_terminal
        self.last_line = float("-inf")

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        p = self.progress
        if kind == "study_start":
            done = event["cells"] - event["todo"]
            self.console.print(f"[bold]{event['cells']}[/] cells, {done} already done, device "
                               f"[bold]{event['device']}[/], results → {event['results']}")
            self.cells = p.add_task("cells", total=event["cells"], completed=done, metrics="")
        elif kind == "cell_start":
            if self.inner is not None:
                p.remove_task(self.inner)
            self.label = event["cell"].label()
            self.inner = p.add_task(f"  {self.label}", total=None, metrics="")
            self.last_line = float("-inf")
        elif kind == "source_start":
            if self.inner is not None:
                self.label = f"training {event['system']} on the source (seed {event['seed']})"
                p.update(self.inner, description=f"  {self.label}")
        elif kind == "progress" and self.inner is not None:
            e = event["event"]
            shown = " ".join(f"{k}={v:.4g}" for k, v in list(e.metrics.items())[:3])
            p.update(self.inner, completed=e.step, total=e.total, metrics=f"{e.stage} {shown}")
            if self.plain and time.monotonic() - self.last_line >= self.log_every:
                self.last_line = time.monotonic()
                of = f"/{e.total}" if e.total else ""
                self.console.print(f"  … {self.label}: {e.stage} {e.step}{of} {shown}",
                                   soft_wrap=True, markup=False)
        elif kind == "cell_end":
            r = event["result"]
            if self.inner is not None:
                p.remove_task(self.inner)
                self.inner = None
            p.advance(self.cells)
            if r.status == "ok":
                line = (f"[green]✓[/] {event['cell'].label()}: accuracy {100 * r.metrics['accuracy']:.2f}% "
                        f"({r.cost['train_seconds']:.1f}s train)")
                if getattr(r, "learned", None) is False:
                    line += " [red]⚠ did not learn[/] (no better than the majority class on validation)"
            else:
                line = f"[yellow]{r.status}[/] {event['cell'].label()}: {r.error}"
            self.console.print(line, soft_wrap=True)


def print_tables(tables, console) -> None:
    from rich.table import Table as RichTable

    for t in tables:
        rt = RichTable(title=t.title, title_justify="left")
        for i, col in enumerate(t.columns):
            rt.add_column(col, justify="left" if i < 2 else "right", no_wrap=i < 2)
        for row in t.rows:
            rt.add_row(*row)
        console.print(rt)
        for note in t.notes:
            console.print(f"  [dim]{note}[/]", soft_wrap=True)


def _tables(results):
    from tlbench import report

    return report.terminal_tables(results)


@app.command()
def compare(
    systems: Annotated[Optional[list[str]], typer.Argument(help="Systems to compare (presets such as tfidf-lr, "
                                                                 "glove-cnn, bert, or EMBEDDING+ENCODER).")] = None,
    source: Annotated[Optional[str], typer.Option(help="Source corpus (name or path).")] = None,
    target: Annotated[Optional[str], typer.Option(help="Target corpus (name or path).")] = None,
    strategy: Annotated[Optional[str], typer.Option("--strategy", "-s",
                                                    help="Comma-separated strategies.")] = None,
    fractions: Annotated[Optional[str], typer.Option(help="Target training fractions, e.g. 0.05,0.1,1.0")] = None,
    seeds: Annotated[Optional[int], typer.Option(help="Number of seeds (0..N-1).")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto | cpu | cuda[:N] | mps")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Results directory (results.jsonl is appended).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="Study config (default ./tlbench.toml).")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Where corpora files are.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option(help="Cache for parsed corpora and models.")] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", "-o",
                                                        help="COMPONENT.OPTION=VALUE, repeatable.")] = None,
    max_train: Annotated[Optional[int], typer.Option(help="Use a fixed stratified slice of the target train.")] = None,
    max_test: Annotated[Optional[int], typer.Option(help="Use a fixed stratified slice of the test split.")] = None,
    max_source: Annotated[Optional[int], typer.Option(help="Use a fixed stratified slice of the source.")] = None,
    executor: Annotated[Optional[str], typer.Option(help="local | ray")] = None,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (with --executor ray).")] = None,
    retries: Annotated[Optional[int], typer.Option(help="Retries of a failed cell (Ray).")] = None,
    allow_download: Annotated[Optional[bool], typer.Option(
        "--allow-download/--offline", help="May corpora/models be downloaded from hubs?")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON lines.")] = False,
    summary: Annotated[bool, typer.Option("--summary/--no-summary", help="Print the tables and the verdict when "
                                                                         "the study ends.")] = True,
    margin: Annotated[float, typer.Option(help="The verdict's practical margin in accuracy points.")] = 0.5,
):
    """Run a transfer study: systems × strategies × fractions × seeds, then print the tables and the verdict."""
    console = _console(stderr=as_json)
    try:
        spec, executor_name, address_value = build_spec(
            systems or [], config_path=config, source=source, target=target,
            strategies=_split_list(strategy),
            fractions=[float(f) for f in _split_list(fractions)] if fractions else None,
            seeds=seeds, device=device, out=str(out) if out else None, data_dir=data_dir,
            cache_dir=str(cache_dir) if cache_dir else None, option=option, max_train=max_train,
            max_test=max_test, max_source=max_source, executor=executor, address=address, retries=retries,
            allow_download=allow_download)
        with warnings_shown():
            _run_and_show(spec, executor_name, address_value, console, as_json, summary=summary,
                          margin=_margin(margin))
    except TlbenchError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(f"bad value: {exc}")


def _margin(points: float) -> float:
    """The verdict margin as a fraction of accuracy, from points; a one-line error when it makes no sense."""
    if not 0 <= points < 50:
        raise TlbenchError(f"--margin {points:g} is not a margin in accuracy points; give a value from 0 to 50 "
                           f"(e.g. --margin 0.5)")
    return points / 100


def print_verdict(built, console) -> None:
    """The verdict block, after the tables (plain words, first line bold)."""
    from tlbench import report as report_module

    lines = report_module.verdict_block(built)
    if lines:
        console.print()
        console.print(lines[0], style="bold", soft_wrap=True, markup=False)
        for line in lines[1:]:
            console.print(line, soft_wrap=True, markup=False)


def _run_and_show(spec, executor: str, address: Optional[str], console, as_json: bool, recipe=None,
                  summary: bool = True, margin: float = 0.005) -> None:
    from tlbench.cli_outcome import exit_status
    from tlbench.plugins import get_registry
    from tlbench.results import ResultStore
    from tlbench.runner import StudyEnv, run_study

    env = StudyEnv(spec, get_registry())
    cells = env.plan()
    with _Progress(console, quiet=as_json) as progress:
        run_study(spec, listener=progress, executor=executor, address=address, env=env, cells=cells)
    keys = {c.key for c in cells}
    results = [r for k, r in ResultStore(spec.results_path).latest().items() if k in keys]
    if as_json:
        import json

        for r in results:
            print(json.dumps(r.to_dict()))
    else:
        built = None
        if summary and any(r.ok for r in results):
            from tlbench.report import build_report, terminal_tables

            built = build_report(results, margin=margin)
            print_tables(terminal_tables(built), console)
        elif summary:
            print_tables(_tables(results), console)
        if recipe is not None and recipe.reference:
            _print_reference(recipe, results, console)
        if built is not None:
            print_verdict(built, console)
        console.print(f"results: {spec.results_path}  (tlbench report {spec.results_path} for plots and statistics)")
    exit_status(results, len(cells))


def _print_reference(recipe, results, console) -> None:
    import numpy as np

    console.print(f"\n[bold]{recipe.reference_name}[/] vs measured (accuracy %):")
    for (strategy, fraction), published in recipe.reference.items():
        got = [100 * r.metrics["accuracy"] for r in results if r.ok and r.strategy == strategy
               and r.fraction == fraction]
        measured = f"{np.mean(got):.1f}" if got else "not run"
        console.print(f"  {strategy:<20} {fraction * 100:>5g}%   published {published:5.1f}   measured {measured}")


@app.command()
def reproduce(
    recipe: Annotated[str, typer.Argument(help="Recipe name, e.g. langcon2019.")],
    data_dir: Annotated[Optional[Path], typer.Option(help="Where corpora files are.")] = None,
    seeds: Annotated[Optional[int], typer.Option(help="Number of seeds.")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto | cpu | cuda[:N] | mps")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Results directory.")] = None,
    max_test: Annotated[Optional[int], typer.Option(help="Use a fixed stratified slice of the test split.")] = None,
):
    """Run a named study and show the published numbers beside the measured ones."""
    from tlbench.recipes import RECIPES
    from tlbench.registry import suggest

    console = _console()
    if recipe not in RECIPES:
        _fail(f"unknown recipe {recipe!r}: {suggest(recipe, list(RECIPES))}")
    r = RECIPES[recipe]
    study = r.study
    try:
        spec, _, _ = build_spec(study["systems"], config_path=None, source=study["source"], target=study["target"],
                                strategies=study["strategies"], fractions=study["fractions"], seeds=seeds,
                                device=device, out=str(out or Path("tlbench-runs") / recipe), data_dir=data_dir,
                                cache_dir=None, option=None, max_train=None, max_test=max_test, max_source=None,
                                executor=None, address=None, retries=None, allow_download=None)
        if seeds is None:
            spec.seeds = list(study["seeds"])
        console.print(f"[bold]{r.name}[/]: {r.description}")
        _run_and_show(spec, "local", None, console, False, recipe=r)
    except TlbenchError as exc:
        _fail(str(exc))


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


class _Study:
    """Study options as `train` declares them (the same flags, help and defaults as `compare`'s)."""

    device = Annotated[Optional[str], typer.Option(help="auto | cpu | cuda[:N] | mps")]
    config = Annotated[Optional[Path], typer.Option(help="Study config (default ./tlbench.toml).")]
    data_dir = Annotated[Optional[Path], typer.Option(help="Where corpora files are.")]
    cache_dir = Annotated[Optional[Path], typer.Option(help="Cache for parsed corpora and models.")]
    option = Annotated[Optional[list[str]], typer.Option("--option", "-o", help="COMPONENT.OPTION=VALUE, repeatable.")]
    max_train = Annotated[Optional[int], typer.Option(help="Use a fixed stratified slice of the target train.")]
    max_source = Annotated[Optional[int], typer.Option(help="Use a fixed stratified slice of the source.")]
    allow_download = Annotated[Optional[bool], typer.Option("--allow-download/--offline",
                                                            help="May corpora/models be downloaded from hubs?")]


@app.command()
def train(
    system: Annotated[str, typer.Argument(help="The system to train (a preset such as tfidf-lr, or "
                                               "EMBEDDING+ENCODER).")],
    out: Annotated[Path, typer.Option(help="Directory to save the model and its model.json card in.")],
    target: Annotated[Optional[str], typer.Option(help="Target corpus with your labels (name or path).")] = None,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="One strategy.")] = "target-only",
    source: Annotated[Optional[str], typer.Option(help="Source corpus (name or path).")] = None,
    fraction: Annotated[float, typer.Option(help="Fraction of the target's training labels to use.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed (picks the sample and initialisation, as in a study).")] = 0,
    device: _Study.device = None,
    config: _Study.config = None,
    data_dir: _Study.data_dir = None,
    cache_dir: _Study.cache_dir = None,
    option: _Study.option = None,
    max_train: _Study.max_train = None,
    max_source: _Study.max_source = None,
    allow_download: _Study.allow_download = None,
):
    """Train one study cell's model (system, strategy, fraction, seed) on your labels and save it to --out."""
    from tlbench.training import check_out_dir, train_model

    console = _console()
    try:
        check_out_dir(out)
        spec, _, _ = build_spec([system], config_path=config, source=source, target=target, strategies=[strategy],
                                fractions=[fraction], seeds=[seed], device=device, out=None, data_dir=data_dir,
                                cache_dir=str(cache_dir) if cache_dir else None, option=option,
                                max_train=max_train, max_test=None, max_source=max_source, executor=None,
                                address=None, retries=None, allow_download=allow_download)
        with _Progress(console, quiet=False) as progress:
            card = train_model(spec, out, listener=progress).card
    except TlbenchError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(f"bad value: {exc}")
    sample, valid = card["sample"], card["validation"]
    shown = (f"validation accuracy {100 * valid['accuracy']:.2f}% on {sample['n_valid']} texts" if valid
             else "no validation part")
    console.print(f"[green]✓[/] saved {system} ({strategy}, {100 * fraction:g}% of the labels, seed {seed}, "
                  f"{sample['n_train']} training texts) to {out}: {shown}", soft_wrap=True)
    if card.get("learned") is False:
        console.print("[yellow]⚠ did not learn:[/] no better than the majority class on its validation part; "
                      "more labels, another strategy or another system will serve you better", soft_wrap=True)
    console.print(f"next: tlbench predict {out} YOUR_TEXTS.csv --out predictions.csv", soft_wrap=True)


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="A model directory written by `tlbench train`.")],
    input: Annotated[Path, typer.Argument(help="csv/tsv/jsonl with a text column, or plain text (one document "
                                               "per line).")],
    out: Annotated[Optional[Path], typer.Option(help="Write .csv or .jsonl here (default: CSV on stdout).")] = None,
    batch_size: Annotated[int, typer.Option(help="Documents read and predicted at a time.")] = 1000,
    text_column: Annotated[Optional[str], typer.Option(help="The input's text column (default: text, review, "
                                                            "sentence, content, document or body).")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda[:N] | mps")] = "auto",
):
    """Label new text with a saved model: id, predicted label and one probability per label."""
    from tlbench import prediction
    from tlbench.saved_model import load_model

    try:
        fmt = prediction.output_format(out)
        batches = prediction.open_input(input, batch_size, text_column)
        loaded = load_model(model, device=device)
        _predict_to(loaded, batches, out, fmt)
    except TlbenchError as exc:
        _fail(str(exc))


def _predict_to(loaded, batches, out: Optional[Path], fmt: str) -> None:
    from contextlib import nullcontext

    from tlbench import prediction

    bar, advance = _progress_bar()  # rich only on a terminal: a pipe or a log gets no bar and skips the import
    try:
        target = out.open("w", encoding="utf-8", newline="") if out else nullcontext(sys.stdout)
    except OSError as exc:
        raise TlbenchError(f"cannot write --out {out}: {exc.strerror or exc}; check that its folder exists") from None
    with target as stream, bar:
        writer = prediction.PredictionWriter(stream, fmt, loaded.label_names)
        done = prediction.predict_stream(loaded, batches, writer, advance)
    if out is not None:
        print(f"labelled {done:,} documents → {out}", file=sys.stderr)


def _progress_bar():
    """A transient progress bar on stderr and its ``advance(n)``, or a no-op pair when stderr is not a terminal."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext(), None
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.completed:,} documents"), TimeElapsedColumn(),
                   console=_console(stderr=True), transient=True)
    task = bar.add_task("predict", total=None)
    return bar, lambda n: bar.advance(task, n)


def run(argv: list[str]) -> None:
    app(args=argv, prog_name="tlbench")
