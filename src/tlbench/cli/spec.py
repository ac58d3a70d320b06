"""Study options from the command line: flags over ``tlbench.toml`` over defaults, shared by compare, reproduce
and train."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from tlbench.errors import TlbenchError


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



def _margin(points: float) -> float:
    """The verdict margin as a fraction of accuracy, from points; a one-line error when it makes no sense."""
    if not 0 <= points < 50:
        raise TlbenchError(f"--margin {points:g} is not a margin in accuracy points; give a value from 0 to 50 "
                           f"(e.g. --margin 0.5)")
    return points / 100



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
