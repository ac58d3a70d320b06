"""Whole-content fingerprints of corpus files and folders, memoised so a second load costs a ``stat``.

Every byte is hashed (streamed BLAKE2b): an edit that keeps a file's size (labels flipped in the middle of a CSV)
changes its fingerprint, so neither the parsed-corpus cache nor the results file can serve stale rows. The digest
is remembered in ``<cache>/fingerprints.json`` (plain JSON) under the file's path, size, ``mtime_ns`` and inode; a
folder's entry is keyed by the same facts of every file below it. A lost or damaged memo only costs a re-hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from tlbench.errors import DataError

MEMO_FILE = "fingerprints.json"
_CHUNK = 1 << 20


def _hash_file(path: Path, h: hashlib.blake2b) -> None:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _folder_files(path: Path) -> list[Path]:
    def fail(exc: OSError) -> None:
        raise exc  # os.walk ignores unreadable folders unless told otherwise

    files = []
    for root, dirs, names in os.walk(path, onerror=fail):
        dirs.sort()
        files += [Path(root, n) for n in sorted(names)]
    return files


def _stamp_of(path: Path) -> tuple[list, list[Path]]:
    if not path.is_dir():
        return _stamp(path.stat()), [path]
    files = _folder_files(path)
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        h.update(f"{f.relative_to(path)}\0{_stamp(f.stat())}\n".encode())
    return ["folder", h.hexdigest()], files


def _digest(path: Path, files: list[Path]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for f in files:
        if f != path:
            h.update(f"{f.relative_to(path)}\0".encode())  # a rename inside a folder is a change too
        _hash_file(f, h)
    return h.hexdigest()


def _read_memo(memo: Path) -> dict:
    try:
        data = json.loads(memo.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_memo(memo: Path, key: str, entry: dict) -> None:
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        data = _read_memo(memo)
        data[key] = entry
        fd, tmp = tempfile.mkstemp(dir=memo.parent, prefix=f".{MEMO_FILE}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, memo)
    except OSError:
        pass  # a read-only cache only costs speed


def content_fingerprint(path: Path, memo_dir: Path | None = None) -> str:
    """BLAKE2b of every byte of a file, or of every file's relative path and bytes below a folder (16 hex).

    Remembered in ``memo_dir/fingerprints.json`` (default: the user cache) while the stat facts hold. An
    unreadable file or folder raises DataError naming it.
    """
    from tlbench.paths import default_cache_dir

    path = Path(path)
    memo = Path(memo_dir or default_cache_dir()) / MEMO_FILE
    key = str(path.resolve())
    try:
        stamp, files = _stamp_of(path)
        entry = _read_memo(memo).get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("digest"), str):
            return entry["digest"][:16]
        digest = _digest(path, files)
    except OSError as exc:
        where = getattr(exc, "filename", None) or path
        raise DataError(f"cannot read {where}: {exc.strerror or exc}; check that it exists and is readable "
                        "by you") from None
    _write_memo(memo, key, {"stamp": stamp, "digest": digest})
    return digest[:16]
