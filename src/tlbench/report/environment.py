"""The environment a study ran in, collected from its cells: versions, Python, device, hosts, corpus fingerprints."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tlbench.results import CellResult

# Corpus and test-set fields shown first, in this order; the rest follow as key=value.
_LEAD = ("name", "variant", "fingerprint", "digest", "n", "size")


def _describe(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)
    parts = [str(entry[k]) if k in ("name", "variant") else f"{k} {entry[k]}" for k in _LEAD
             if entry.get(k) not in (None, "")]
    for key, value in entry.items():
        if key in _LEAD or value in (None, ""):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        parts.append(f"{key} {value}")
    return " · ".join(parts)


def _joined(values: Iterable[Any]) -> str:
    distinct = sorted({str(v) for v in values if v not in (None, "")})
    return "; ".join(distinct) if distinct else "not recorded"


def environment(cells: Iterable[CellResult]) -> dict[str, str]:
    """Label -> value, one entry per fact; a fact that varies across cells lists every value (``; ``)."""
    cells = list(cells)
    plugins: dict[str, set[str]] = {}
    for c in cells:
        for dist, version in (c.versions.get("plugins") or {}).items():
            plugins.setdefault(dist, set()).add(str(version))
    out = {
        "tlbench": _joined(c.versions.get("tlbench") for c in cells),
        "plugins": "; ".join(f"{d} {'/'.join(sorted(v))}" for d, v in sorted(plugins.items())) or "none recorded",
        "python": _joined(c.versions.get("python") for c in cells),
        "platform": _joined(c.versions.get("platform") for c in cells),
        "device": _joined(c.device for c in cells),
        "host": _joined(c.host for c in cells),
    }
    for role in ("target", "source"):
        values = [c.corpora.get(role) for c in cells if isinstance(c.corpora, dict) and c.corpora.get(role)]
        if values:
            out[f"{role} corpus"] = _joined(map(_describe, values))
    out["test set"] = _joined(_describe(c.test_set) for c in cells if c.test_set)
    started = [c.started_at for c in cells if c.started_at]
    finished = [c.finished_at for c in cells if c.finished_at]
    if started and finished:
        out["ran"] = f"{min(started)} to {max(finished)}"
    return out
