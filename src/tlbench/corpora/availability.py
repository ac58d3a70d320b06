"""What ``tlbench data`` shows: for each built-in corpus, which files were found where, or what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tlbench.corpora.base import CorpusOptions
from tlbench.errors import TlbenchError

#: Parameterised corpora are listed once per value.
EXPANSIONS = {"blitzer": ("books", "dvd", "electronics", "kitchen")}


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def availability(data_dir: Path) -> list[dict[str, Any]]:
    """One row per corpus: ``found``, ``variant``, ``files``, ``size`` or ``error`` (what to put where)."""
    from tlbench.plugins import get_registry

    registry = get_registry()
    rows = []
    for component in registry.components("corpus"):
        args = EXPANSIONS.get(component.name, (None,))
        for arg in args:
            name = f"{component.name}:{arg}" if arg else component.name
            row: dict[str, Any] = {"corpus": name}
            try:
                corpus = component.resolve()(CorpusOptions(data_dir=data_dir, arg=arg))
                files = corpus.sources()
                row.update(found=True, variant=corpus.variant, files=[str(f) for f in files],
                           size=_human(sum(_size(f) for f in files)))
            except TlbenchError as exc:
                row.update(found=False, error=str(exc))
            except Exception as exc:  # a plugin's corpus must not break the listing
                row.update(found=False, error=f"{type(exc).__name__}: {exc}")
            rows.append(row)
    return rows
