"""The command line: ``tlbench list | compare | train | predict | data | report | reproduce``.

rich and typer live in this package and in :mod:`tlbench.cli_outcome` only; the rest of tlbench is a library.
``tlbench list`` takes a fast path that imports neither (see :mod:`tlbench.listing`). One module per concern:
``app`` (the typer app, ``--verbose``, ``list``), ``spec`` (study flags over tlbench.toml), ``progress`` (the
progress display), ``tables`` (tables and verdict), ``study`` (compare, reproduce), ``results`` (data, report),
``models`` (train, predict).
"""

from __future__ import annotations

# Each module registers its commands on the app, in the order `tlbench --help` lists them.
from tlbench.cli import study  # noqa: F401,I001
from tlbench.cli import results  # noqa: F401
from tlbench.cli import models  # noqa: F401
from tlbench.cli.app import app
from tlbench.cli.progress import _Progress
from tlbench.cli.spec import build_spec

__all__ = ["app", "build_spec", "run", "_Progress"]


def run(argv: list[str]) -> None:
    app(args=argv, prog_name="tlbench")
