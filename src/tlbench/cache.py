"""A content-addressed cache on disk: things derived from data (source models, trained vectors, features) are
stored under a key made from everything they depend on, so any cell, process or Ray worker can reuse them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def content_key(*parts: Any) -> str:
    """A stable key for JSON-able parts."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


class ContentCache:
    """Directories under ``root/<kind>/<key>``, created atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def get(self, kind: str, key: str) -> Path | None:
        """The cached directory, or None when absent or incomplete."""
        path = self.path(kind, key)
        return path if (path / ".complete").exists() else None

    def put(self, kind: str, key: str, write: Callable[[Path], None]) -> Path:
        """Run ``write(tmpdir)`` and move the result in place; a crash leaves no half-written entry."""
        final = self.path(kind, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{key}."))
        try:
            write(tmp)
            (tmp / ".complete").touch()
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final

    def get_or_create(self, kind: str, key: str, write: Callable[[Path], None]) -> Path:
        return self.get(kind, key) or self.put(kind, key, write)
