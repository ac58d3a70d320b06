"""``tlbench compare`` and ``tlbench reproduce``: run a study, then show its tables and verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tlbench.cli.app import app
from tlbench.cli.progress import _Progress
from tlbench.cli.spec import _margin, _split_list, build_spec
from tlbench.cli.tables import _tables, print_tables, print_verdict
from tlbench.cli_outcome import console as _console, fail as _fail, warnings_shown
from tlbench.errors import TlbenchError


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



def _run_and_show(spec, executor: str, address: Optional[str], console, as_json: bool, recipe=None,
                  summary: bool = True, margin: float = 0.005) -> None:
    from tlbench.cli_outcome import exit_status
    from tlbench.plugins import get_registry
    from tlbench.results import ResultStore
    from tlbench.runner import StudyEnv, run_study

    env = StudyEnv(spec, get_registry())
    plan = env.plan()
    with _Progress(console, quiet=as_json) as progress:
        run_study(spec, listener=progress, executor=executor, address=address, env=env, plan=plan)
    keys = {c.key for c in plan}
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
    exit_status(results, len(plan))


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
