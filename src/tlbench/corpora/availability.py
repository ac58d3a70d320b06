"""What ``tlbench data`` shows: for each built-in corpus, which files were found where, or what is missing, and
whether they were checked (read and parsed, which is what catches a truncated tarball)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tlbench.corpora.base import Corpus, CorpusOptions
from tlbench.corpora.check import check_corpus
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


def _row(corpus: Corpus, check: bool) -> dict[str, Any]:
    """What was found, and whether it was checked: read now (``check``) or already parsed into the cache."""
    from tlbench.corpora.cache import cached_summary

    files = corpus.sources()
    row: dict[str, Any] = {"found": True, "variant": corpus.variant, "files": [str(f) for f in files],
                           "size": _human(sum(_size(f) for f in files)), "checked": False}
    summary = cached_summary(corpus._cache_dir())
    if summary is None and check:
        try:
            check_corpus(corpus, "corpus")
        except TlbenchError as exc:
            return {**row, "error": str(exc)}
        summary = cached_summary(corpus._cache_dir()) or {
            "labels": list(corpus.load("train").label_names),
            "sizes": {part: len(corpus.load(part)) for part in corpus.splits()}}
    if summary is not None:
        row.update(checked=True, **summary)
    return row


def availability(data_dir: Path, check: bool = False, cache_dir: Path | None = None) -> list[dict[str, Any]]:
    """One row per corpus: ``found``, ``variant``, ``files``, ``size``, ``checked`` (the files were read and
    parsed, now or before: then ``labels`` and ``sizes`` too) or ``error`` (what to put where, or why the files
    cannot be used). ``check`` reads every found corpus that was not read before."""
    from tlbench.plugins import get_registry

    registry = get_registry()
    rows = []
    for component in registry.components("corpus"):
        args = EXPANSIONS.get(component.name, (None,))
        for arg in args:
            name = f"{component.name}:{arg}" if arg else component.name
            row: dict[str, Any] = {"corpus": name}
            try:
                corpus = component.resolve()(CorpusOptions(data_dir=data_dir, cache_dir=cache_dir, arg=arg))
                row.update(_row(corpus, check))
            except TlbenchError as exc:
                row.update(found=False, checked=False, error=str(exc))
            except Exception as exc:  # a plugin's corpus must not break the listing
                row.update(found=False, checked=False, error=f"{type(exc).__name__}: {exc}")
            rows.append(row)
    return rows
