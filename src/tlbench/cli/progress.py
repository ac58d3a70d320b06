"""The study progress display of ``compare``, ``reproduce`` and ``train``."""

from __future__ import annotations

import time
from typing import Any


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
