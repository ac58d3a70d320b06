"""Fast discovery of ``tlbench`` entry points.

``importlib.metadata`` costs ~35 ms to import and ~40 ms to scan a large environment, more than all of
``tlbench list`` may take. The installed distributions' ``entry_points.txt`` files are read directly instead, and
the result is cached, keyed by the modification times of the ``sys.path`` folders (installing or removing a
distribution changes them), so a warm start reads one small file (``marshal``: built in, nothing to import).
"""

from __future__ import annotations

import marshal
import os
import sys
from typing import NamedTuple


class EntryPointInfo(NamedTuple):
    name: str
    value: str  # "module" or "module:attribute"
    dist: str
    version: str

    def load(self):
        import importlib

        module, _, attr = self.value.partition(":")
        obj = importlib.import_module(module.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        return obj


def _section(text: str, group: str) -> list[tuple[str, str]]:
    out, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            inside = line == f"[{group}]"
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out


def _metadata(dist_dir: str) -> tuple[str, str]:
    name = version = ""
    for fname in ("METADATA", "PKG-INFO"):
        path = os.path.join(dist_dir, fname)
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("Name:"):
                        name = line[5:].strip()
                    elif line.startswith("Version:"):
                        version = line[8:].strip()
                    elif not line.strip():
                        break
            break
    return name, version


def scan(group: str, paths: list[str]) -> list[EntryPointInfo]:
    found: list[EntryPointInfo] = []
    seen_dists: set[str] = set()
    for folder in paths:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for entry in names:
            if not entry.endswith((".dist-info", ".egg-info")):
                continue
            dist_dir = os.path.join(folder, entry)
            ep_file = os.path.join(dist_dir, "entry_points.txt")
            try:
                with open(ep_file, encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            if f"[{group}]" not in text:
                continue
            dist, version = _metadata(dist_dir)
            key = dist.lower().replace("_", "-")
            if key in seen_dists:
                continue  # the first on sys.path wins, as with importlib.metadata
            seen_dists.add(key)
            found += [EntryPointInfo(n, v, dist, version) for n, v in _section(text, group)]
    return found


def entry_points(group: str) -> list[EntryPointInfo]:
    """The entry points of ``group`` in the distributions importable from ``sys.path`` (cached)."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    stamp = []
    for p in paths:
        try:
            stamp.append([p, os.stat(p).st_mtime_ns])
        except OSError:
            pass
    from tlbench.paths import cache_root

    version = f"{sys.version_info[0]}{sys.version_info[1]}"
    cache_file = os.path.join(cache_root(), f"entry-points-{group}-py{version}.marshal")
    try:
        with open(cache_file, "rb") as f:
            cached = marshal.load(f)
        if cached["stamp"] == stamp:
            return [EntryPointInfo(*e) for e in cached["entries"]]
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        pass
    found = scan(group, paths)
    try:
        os.makedirs(os.path.dirname(cache_file), exist_ok=True)
        tmp = f"{cache_file}.{os.getpid()}"
        with open(tmp, "wb") as f:
            marshal.dump({"stamp": stamp, "entries": [tuple(e) for e in found]}, f)
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only cache only costs speed
    return found
