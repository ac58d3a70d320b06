"""The reading rules every corpus and ``tlbench predict`` share, without pandas: the character cap, decoding,
compressed files, the text-column names and the file type by suffix. Kept apart from
:mod:`tlbench.corpora.files` so reading plain text (``tlbench predict`` on one document per line) does not import
pandas."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

from tlbench.errors import DataError

MAX_CHARS = 1_000_000
#: The most bytes read of one document file: enough for ``MAX_CHARS`` characters of any UTF-8 text.
MAX_BYTES = 4 * MAX_CHARS

TEXT_COLUMNS = ("text", "review", "sentence", "content", "document", "body")
#: Openers of the compressed files tlbench reads, by suffix.
OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}


def decode(raw: bytes, encoding: str = "utf-8") -> str:
    """Bytes to text under the shared rules: undecodable bytes become U+FFFD, at most ``MAX_CHARS`` kept."""
    return raw.decode(encoding, errors="replace")[:MAX_CHARS]


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
