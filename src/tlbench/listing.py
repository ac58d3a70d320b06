"""``tlbench list`` without heavy imports: plain text or JSON, built from the plugin registry.

Kept free of rich/typer on purpose: ``tlbench list`` must start in about the time of ``import pluggy``.
"""

from __future__ import annotations

import json
from typing import Any

from tlbench.plugins import Plugins


def rows(plugins: Plugins) -> list[dict[str, Any]]:
    """One row per component and one per broken or disabled plugin (which registered nothing usable)."""
    status = {info.name: info for info in plugins.infos}
    out = []
    for c in plugins.registry.components():
        info = status.get(c.plugin)
        out.append({"kind": c.kind, "name": c.name, "plugin": c.plugin, "dist": c.dist, "version": c.version,
                    "status": info.status if info else "ok", "description": c.description,
                    **({"parts": c.parts} if c.parts else {})})
    for info in plugins.infos:
        if info.status != "ok":
            out.append({"kind": "plugin", "name": info.name, "plugin": info.name, "dist": info.dist,
                        "version": info.version, "status": info.status, "description": info.error})
    return out


def render_text(plugins: Plugins, width: int = 120) -> str:
    table = rows(plugins)
    headers = ["kind", "name", "plugin", "status", "description"]
    cells = [[r["kind"], r["name"], f"{r['dist'] or r['plugin']} {r['version']}".strip(), r["status"],
              r["description"]] for r in table]
    widths = [max(len(h), *(len(row[i]) for row in cells)) if cells else len(h) for i, h in enumerate(headers)]
    fixed = sum(widths[:4]) + 8
    desc_width = max(20, width - fixed)
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers[:4], widths)) + "  description"]
    for row in cells:
        desc = row[4] if len(row[4]) <= desc_width else row[4][: desc_width - 1] + "…"
        lines.append("  ".join(v.ljust(w) for v, w in zip(row[:4], widths)) + "  " + desc)
    broken = [i for i in plugins.infos if i.status == "broken"]
    if broken:
        lines.append("")
        for info in broken:
            lines.append(f"broken plugin {info.name} ({info.dist or '?'}): {info.error}")
    return "\n".join(lines)


def render_json(plugins: Plugins) -> str:
    return json.dumps({"plugins": [vars(i) for i in plugins.infos], "components": rows(plugins)}, indent=2)
