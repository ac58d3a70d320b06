"""Corpora from the user's own files: ``FileCorpus``.

A path given as a corpus that no registered corpus claims (:mod:`tlbench.corpora.resolve`) is read here:
``.csv``, ``.tsv``, ``.jsonl``/``.ndjson`` (each optionally ``.gz``, ``.bz2`` or ``.xz`` compressed), fastText lines
``__label__X text`` (``.txt``, ``.ft``), or a folder per label (``dir/<label>/*.txt``, or ``dir/train/<label>/*.txt``
with ``dir/test/<label>/*.txt``). Options (``CorpusOptions.options``): ``text_column``, ``label_column``, ``test``
(a separate test file or folder) and ``test_fraction``. Labels are read as strings and numbered in sorted order
(numerically when all are integers); ``label_names`` are those strings. Rows without a label, and label folders
named ``unsup``/``unlabeled``, form the ``unlabeled`` split. Text is read under the shared rules of
:mod:`tlbench.corpora.reading`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tlbench.corpora.base import UNLABELED, Corpus, CorpusOptions, Split
from tlbench.corpora.holdout import SPLIT_SEED, TEST_FRACTION, holdout_split
from tlbench.corpora.reading import MAX_CHARS, TEXT_COLUMNS, file_format, read_document
from tlbench.corpora.tables import pick_column, read_fasttext, read_table
from tlbench.errors import DataError

LABEL_COLUMNS = ("label", "sentiment", "class", "category", "target", "polarity", "y")
UNLABELED_FOLDERS = frozenset({"unsup", "unlabeled", "unlabelled"})


def _label_strings(column: pd.Series) -> pd.Series:
    """Labels as stripped strings, missing where empty; integral floats (JSON's 1.0) read as integers."""
    if pd.api.types.is_float_dtype(column) and (column.dropna() % 1 == 0).all():
        column = column.astype("Int64")
    text = column.astype("str").str.strip()
    return text.where(column.notna() & (text != ""))


def _read_labelled(path: Path, options: dict[str, Any]) -> pd.DataFrame:
    """A file as a frame with columns ``text`` and ``label`` (strings; a missing label is NA)."""
    fmt = file_format(path)
    if fmt == "folders":
        return _read_folder(path)
    if fmt == "fasttext":
        return read_fasttext(path)
    frame = read_table(path, fmt)
    text_col = pick_column(frame, path, options.get("text_column"), TEXT_COLUMNS, "text_column")
    label_col = pick_column(frame, path, options.get("label_column"), LABEL_COLUMNS, "label_column")
    texts = frame[text_col].astype("str").fillna("").str.slice(0, MAX_CHARS)
    return pd.DataFrame({"text": texts, "label": _label_strings(frame[label_col])})


def _read_folder(root: Path) -> pd.DataFrame:
    """``root/<label>/*.txt``; folders named like ``unsup`` give unlabelled texts."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    texts: list[str] = []
    labels: list[str | None] = []
    for folder in folders:
        label = None if folder.name.lower() in UNLABELED_FOLDERS else folder.name
        for file in sorted(folder.glob("*.txt")):
            texts.append(read_document(file))
            labels.append(label)
    if not texts:
        raise DataError(f"{root}: no label folders with .txt files (expected {root}/<label>/*.txt)")
    return pd.DataFrame({"text": texts, "label": pd.Series(labels, dtype="str")})


def _sorted_labels(labels: Iterable[str]) -> tuple[str, ...]:
    unique = set(labels)
    try:
        return tuple(sorted(unique, key=int))
    except ValueError:
        return tuple(sorted(unique))


class FileCorpus(Corpus):
    """A corpus from a user's file or folder (formats and options: see the module docstring).

    ``train`` is the file; ``test`` is the ``test`` option's file when given, else a fixed stratified held-out
    fraction (``test_fraction``, default 0.2, seed 2019); ``unlabeled`` holds rows without a label, if any.
    A test label that train does not have raises DataError.
    """

    options_taken = ("label_map", "text_column", "label_column", "test", "test_fraction")

    def __init__(self, path: str | Path, options: CorpusOptions | None = None) -> None:
        super().__init__(options)
        self.path = Path(path).expanduser()
        self.name = f"file:{self.path.name}"
        test = self.options.options.get("test")
        self.test_path = Path(test).expanduser() if test else None

    @property  # type: ignore[override]
    def variant(self) -> str:
        fmt = file_format(self.path)
        train_test = fmt == "folders" and (self.path / "train").is_dir()
        if self.test_path is not None:
            return f"{fmt} with test file {self.test_path.name}"
        if train_test and (self.path / "test").is_dir():
            return f"{fmt} (train/ and test/)"
        return f"{fmt} (held-out test fraction {self._fraction()}, seed {SPLIT_SEED})"

    def _fraction(self) -> float:
        value = self.options.options.get("test_fraction", TEST_FRACTION)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise DataError(f"{self.name}: test_fraction must be a number, not {value!r}") from None

    def sources(self) -> list[Path]:
        paths = [self.path] + ([self.test_path] if self.test_path else [])
        for p in paths:
            if not p.exists():
                raise DataError(f"{p}: no such file or folder")
        return paths

    def parse(self) -> dict[str, Split]:
        self.sources()
        opts = self.options.options
        root_split = self.path.is_dir() and (self.path / "train").is_dir()
        train = _read_folder(self.path / "train") if root_split else _read_labelled(self.path, opts)
        test = None
        if self.test_path is not None:
            test = _read_labelled(self.test_path, opts)
        elif root_split and (self.path / "test").is_dir():
            test = _read_folder(self.path / "test")

        labelled = train[train["label"].notna()]
        names = _sorted_labels(labelled["label"])
        index = {name: i for i, name in enumerate(names)}
        splits: dict[str, Split] = {}
        if test is None:
            codes = labelled["label"].map(index).to_numpy()
            splits.update(holdout_split(self.name, labelled["text"].tolist(), codes, names, self._fraction()))
        else:
            missing = int(test["label"].isna().sum())
            if missing:
                raise DataError(f"{self.name}: {missing} test rows have no label; every test row needs one")
            unseen = sorted(set(test["label"]) - set(names))
            if unseen:
                raise DataError(
                    f"{self.name}: test labels not in train: {', '.join(unseen[:10])} (train has: {', '.join(names)})"
                )
            splits["train"] = Split(labelled["text"].tolist(), labelled["label"].map(index).to_numpy(), names)
            splits["test"] = Split(test["text"].tolist(), test["label"].map(index).to_numpy(), names)
        unlabelled = train[train["label"].isna()]
        if len(unlabelled):
            splits["unlabeled"] = Split(unlabelled["text"].tolist(), np.full(len(unlabelled), UNLABELED), names)
        return splits
