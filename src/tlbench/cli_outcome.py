"""How a command's outcome reaches the console: its exit status (0 all ok, 1 some cells failed, 2 usage or data
errors), tlbench's warnings as ``warning:`` lines, and ``tlbench data``'s table. Part of the CLI (rich lives here
and in cli.py only)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer


def console(stderr: bool = False):
    """A rich console on stdout (or stderr) that does not colour numbers."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)  # "blitzer:books:" is not an emoji


def fail(message: str) -> None:
    """Print ``error: message`` on stderr and exit 2."""
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def exit_status(results, n_cells: int) -> None:
    """Exit 1 when some cells failed (with a summary line), 2 when every cell was skipped; else return (0)."""
    from rich.markup import escape

    failed = [r for r in results if r.status == "failed"]
    if failed:
        first = escape(f"{failed[0].system} · {failed[0].strategy}: {failed[0].error}")
        console(stderr=True).print(f"[bold red]{len(failed)} of {n_cells} cells failed[/] (first: {first}); "
                                    "rerun the same command to retry them", soft_wrap=True)
        raise typer.Exit(1)
    if results and not any(r.ok for r in results):
        fail(f"nothing ran: all {n_cells} cells were skipped ({results[0].error})")


@contextmanager
def warnings_shown():
    """Warnings tlbench raises (a damaged results line, a plugin that cannot answer) as ``warning:`` lines on
    stderr, each once."""
    import warnings

    from tlbench.errors import TlbenchWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TlbenchWarning)
        try:
            yield
        finally:
            from rich.markup import escape

            shown = set()
            for w in caught:
                if not issubclass(w.category, TlbenchWarning):
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
                elif str(w.message) not in shown:
                    shown.add(str(w.message))
                    console(stderr=True).print(f"[yellow]warning:[/] {escape(str(w.message))}", soft_wrap=True)


def print_availability(directory: Path, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape

    out = console()
    out.print(f"data dir: [bold]{escape(str(directory))}[/]")
    for row in rows:
        name = f"[bold]{escape(row['corpus'])}[/]"
        if not row["found"]:
            out.print(f"[yellow]✗[/] {name}  {escape(row['error'])}", soft_wrap=True)
            continue
        found = escape(f"{row['variant']}  {row['size']}")
        if row.get("error"):
            out.print(f"[red]✗[/] {name}  found ({found}) but unusable: {escape(row['error'])}", soft_wrap=True)
        elif row["checked"]:
            sizes = ", ".join(f"{k} {v:,}" for k, v in row["sizes"].items())
            out.print(f"[green]✓[/] {name}  {found}  checked: labels {escape(', '.join(row['labels']))}; "
                      f"{sizes}", soft_wrap=True)
        else:
            out.print(f"[yellow]?[/] {name}  {found}  found, not checked (tlbench data --check reads it)",
                      soft_wrap=True)
        for f in row["files"]:
            out.print(f"    {escape(f)}", soft_wrap=True)
