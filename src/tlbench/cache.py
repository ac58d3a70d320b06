"""A content-addressed cache on disk: things derived from data (source models, trained vectors, features) are
stored under a key made from everything they depend on, so any cell, process or Ray worker can reuse them.

Keys are predictable and a cache may be shared, so what components write here must be safe to read back: JSON,
``.npz`` read with ``allow_pickle=False``, safetensors, Keras ``.weights.h5`` — never a pickle. A backend that can
only pickle (gensim's resumable Word2Vec models) writes with ``put_signed`` and reads with ``get_verified``: the entry
carries an HMAC made with a per-user key file (mode 0600, outside the cache) and is refused unless it matches."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
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
                shutil.rmtree(final, ignore_errors=True)
            try:
                os.replace(tmp, final)
            except OSError:
                if self.get(kind, key) is None:  # another process finished the same entry first: use theirs
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final

    def get_or_create(self, kind: str, key: str, write: Callable[[Path], None]) -> Path:
        return self.get(kind, key) or self.put(kind, key, write)

    # -- entries in a format that can run code (pickles): signed with a per-user key ----------------------------
    def put_signed(self, kind: str, key: str, write: Callable[[Path], None]) -> Path:
        """Like ``put``, plus an HMAC of every file, so ``get_verified`` can refuse a planted entry."""
        def signed(tmp: Path) -> None:
            write(tmp)
            (tmp / _SIGNATURE).write_text(_mac(tmp))

        return self.put(kind, key, signed)

    def get_verified(self, kind: str, key: str) -> Path | None:
        """The entry written by ``put_signed`` with this user's key, or None (absent, incomplete, not signed,
        signed with another key, or changed since)."""
        path = self.get(kind, key)
        if path is None:
            return None
        try:
            signature = (path / _SIGNATURE).read_text().strip()
        except OSError:
            return None
        return path if hmac.compare_digest(signature, _mac(path)) else None


KEY_ENV = "TLBENCH_CACHE_KEY_FILE"
_SIGNATURE = ".hmac"


def key_file() -> Path:
    """``$TLBENCH_CACHE_KEY_FILE``, else ``$XDG_CONFIG_HOME/tlbench/cache.key`` (``~/.config``): outside every
    cache, so sharing a cache folder never shares the key."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
    return Path(base) / "tlbench" / "cache.key"


def _key() -> bytes:
    from tlbench.errors import TlbenchError

    path = key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        except FileExistsError:
            pass  # another process made it first
    if path.stat().st_mode & 0o077:
        raise TlbenchError(f"the cache key {path} is readable by others: chmod 600 it (or delete it)")
    return path.read_bytes()


def _mac(directory: Path) -> str:
    mac = hmac.new(_key(), digestmod=hashlib.sha256)
    for file in sorted(p for p in directory.rglob("*") if p.is_file() and p.name not in (_SIGNATURE, ".complete")):
        mac.update(f"{file.relative_to(directory)}\0{file.stat().st_size}\0".encode())
        with file.open("rb") as f:
            while chunk := f.read(1 << 20):
                mac.update(chunk)
    return mac.hexdigest()
