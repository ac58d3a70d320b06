"""The reading rules every corpus in tlbench and ``tlbench predict`` share, without pandas.

Rules every built-in corpus follows (they are part of what a corpus promises):

- **Encoding.** Text is UTF-8; bytes that are not valid UTF-8 become U+FFFD (``errors="replace"``), so one bad
  byte never stops a load. Corpora whose distribution uses another encoding say so (Rotten Tomatoes v1.0 files
  are Latin-1; Blitzer reviews that are not UTF-8 are read as Windows-1252).
- **Length.** A document longer than ``MAX_CHARS`` (1,000,000) characters is cut to its first ``MAX_CHARS``
  characters. That is ~200,000 words, far past what any model here reads; the cap keeps a mis-parsed file (an
  unclosed CSV quote swallowing the rest of the file) from turning into one giant document held in memory.
- **Held-out test split.** Where a distribution has no test split, a stratified 20% is held out with a fixed
  seed (:mod:`tlbench.corpora.holdout`).

Also here: compressed files, the text-column names and the file type by suffix. Tables and fastText files, which
need pandas, are read by :mod:`tlbench.corpora.tables`; keeping this module free of pandas lets ``tlbench
predict`` read plain text (one document per line) without importing it.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zlib
from collections.abc import Iterable
from pathlib import Path

from tlbench.errors import DataError

MAX_CHARS = 1_000_000
#: The most bytes read of one document file: enough for ``MAX_CHARS`` characters of any UTF-8 text.
MAX_BYTES = 4 * MAX_CHARS

TEXT_COLUMNS = ("text", "review", "sentence", "content", "document", "body")
#: Openers of the compressed files tlbench reads, by suffix.
OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
#: What reading a damaged (truncated, corrupt, wrongly compressed) file raises.
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, UnicodeError)


def decode(raw: bytes, encoding: str = "utf-8") -> str:
    """Bytes to text under the shared rules: undecodable bytes become U+FFFD, at most ``MAX_CHARS`` kept."""
    return raw.decode(encoding, errors="replace")[:MAX_CHARS]


def read_document(path: Path) -> str:
    """A one-document file (``.txt`` in a label folder) as text under the shared rules, stripped."""
    with path.open("rb") as f:
        # read(n) with a large n allocates n bytes up front: ask for no more than the file has
        return decode(f.read(min(os.fstat(f.fileno()).st_size, MAX_BYTES))).strip()


def capped(texts: Iterable[str]) -> list[str]:
    """The texts with each cut to ``MAX_CHARS`` characters."""
    return [t[:MAX_CHARS] for t in texts]


def join_title(title: str, body: str) -> str:
    """``Title. Body`` — the convention of the Kaggle-layout Amazon file, so review corpora read alike."""
    title, body = title.strip(), body.strip()
    if not title:
        return body
    return f"{title} {body}" if title[-1] in ".!?" else f"{title}. {body}"


def read_file_bytes(path: Path) -> bytes:
    """The whole file, decompressing ``.bz2``/``.gz``/``.xz``; a truncated or corrupt file raises DataError."""
    opener = OPENERS.get(path.suffix.lower(), open)
    try:
        with opener(path, "rb") as f:
            return f.read()
    except READ_ERRORS as exc:
        raise DataError(f"cannot read {path}: {first_line(exc)} (is it truncated or corrupt?)") from None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type when it has none), for one-line errors."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def file_format(path: Path) -> str:
    """``folders``, ``csv``, ``tsv``, ``jsonl`` or ``fasttext`` for a user's corpus path (a compression suffix
    is looked through); a one-line DataError for any other file type."""
    if path.is_dir():
        return "folders"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in OPENERS:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    formats = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "fasttext",
               ".ft": "fasttext"}
    if last not in formats:
        raise DataError(
            f"{path}: unknown file type {last or '(none)'}; use .csv, .tsv, .jsonl, fastText .txt/.ft "
            "or a folder with one sub-folder per label"
        )
    return formats[last]
