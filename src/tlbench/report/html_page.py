"""The self-contained HTML report: inline CSS, plots embedded as base64 PNG data URIs, no external requests."""

from __future__ import annotations

import base64
from html import escape

from tlbench.report.tables import Table

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; margin: 2em auto;
       max-width: 72em; padding: 0 1.5em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: .6em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d0d5; padding: .3em .6em; text-align: right; white-space: nowrap; }
th { background: #f2f2f5; }
th:first-child, th:nth-child(2), td:first-child, td:nth-child(2) { text-align: left; }
td.neg { color: #b00020; font-weight: 600; background: #fdecee; }
ul.notes { font-size: .88em; color: #555; margin-top: .2em; }
div.warnings { border-left: 4px solid #e0a000; background: #fff8e5; padding: .4em 1em; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .88em; color: #555; }
p.meta { color: #666; font-size: .9em; }
"""


def table_html(table: Table) -> str:
    """A Table as an HTML table with its title and notes; negative-transfer cells (``▼``) get class ``neg``."""
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = "".join(f'<td class="neg">{escape(v)}</td>' if v.startswith("▼") else f"<td>{escape(v)}</td>"
                        for v in row)
        body.append(f"<tr>{cells}</tr>")
    notes = "".join(f"<li>{escape(n)}</li>" for n in table.notes)
    return (f"<h3>{escape(table.title)}</h3>\n<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>\n" + (f'<ul class="notes">{notes}</ul>\n' if notes else ""))


def figure_html(png: bytes, alt: str, element_id: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img id="{escape(element_id)}" class="plot" alt="{escape(alt)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{escape(caption)}</figcaption></figure>\n')


def warnings_html(warnings: list[str]) -> str:
    if not warnings:
        return ("<p>None: one test set, several seeds, enough test examples, no system flagged test text in "
                "training.</p>\n")
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return f'<div class="warnings"><ul>{items}</ul></div>\n'


def page(title: str, meta: str, sections: list[str]) -> str:
    """The whole document."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n<h1>{escape(title)}</h1>\n"
            f'<p class="meta">{escape(meta)}</p>\n' + "".join(sections) + "</body></html>\n")
