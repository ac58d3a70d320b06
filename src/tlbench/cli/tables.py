"""Tables and the verdict on the terminal (compare, reproduce, report)."""

from __future__ import annotations


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



def print_verdict(built, console) -> None:
    """The verdict block, after the tables (plain words, first line bold)."""
    from tlbench import report as report_module

    lines = report_module.verdict_block(built)
    if lines:
        console.print()
        console.print(lines[0], style="bold", soft_wrap=True, markup=False)
        for line in lines[1:]:
            console.print(line, soft_wrap=True, markup=False)
