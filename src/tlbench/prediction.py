"""``tlbench predict``: stream documents from a file through a saved model, writing labels and probabilities.

Input: ``.csv``, ``.tsv``, ``.jsonl``/``.ndjson`` (optionally ``.gz``/``.bz2``/``.xz``) read with the corpora's
reading rules and text-column names (:mod:`tlbench.corpora.reading`); any other file is plain text, one document per
line (blank lines skipped, a fastText ``__label__X`` prefix dropped). The id of a document is its ``id`` column
where the table has one, else its row (line) number from 1. Output: CSV (default, also on stdout) or JSONL.

Nothing holds the whole input: documents are read, predicted and written ``batch_size`` at a time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from tlbench.corpora.reading import MAX_CHARS, OPENERS, TEXT_COLUMNS, decode, file_format
from tlbench.errors import DataError

ID_COLUMNS = ("id",)
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

Batch = tuple[list[Any], list[str]]


def input_format(path: Path) -> str:
    """``csv``, ``tsv`` or ``jsonl`` by suffix (as for corpora), otherwise ``lines``."""
    try:
        fmt = file_format(path)
    except DataError:
        return "lines"
    return fmt if fmt in ("csv", "tsv", "jsonl") else "lines"


def output_format(out: Path | None) -> str:
    """``csv`` or ``jsonl`` by the suffix of ``--out`` (CSV on stdout); raises ConfigError-like DataError."""
    if out is None:
        return "csv"
    fmt = OUTPUT_FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise DataError(f"--out {out}: unknown output type {Path(out).suffix or '(none)'}; use .csv or .jsonl")
    return fmt


def read_batches(path: Path, size: int, text_column: str | None = None) -> Iterator[Batch]:
    """(ids, texts) of at most ``size`` documents at a time; raises DataError for a missing file, a table
    without a text column (naming the columns found) or an input without documents."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if size < 1:
        raise DataError(f"--batch-size {size}: give at least 1")
    fmt = input_format(path)
    batches = _line_batches(path, size) if fmt == "lines" else _table_batches(path, fmt, size, text_column)
    empty = True
    for ids, texts in batches:
        if texts:
            empty = False
            yield ids, texts
    if empty:
        raise DataError(f"{path} holds no documents: give one document per line, or a csv/tsv/jsonl file with "
                        "a text column")


def open_input(path: Path, size: int, text_column: str | None = None) -> Iterator[Batch]:
    """``read_batches`` with the first batch read now, so a bad input fails before a model is loaded."""
    import itertools

    batches = read_batches(path, size, text_column)
    first = next(batches)
    return itertools.chain([first], batches)


def _table_batches(path: Path, fmt: str, size: int, text_column: str | None) -> Iterator[Batch]:
    from tlbench.corpora.tables import pick_column, read_table_chunks  # pandas: tables only

    column = id_column = None
    row = 0
    for frame in read_table_chunks(path, fmt, size):
        if column is None:
            try:
                column = pick_column(frame, path, text_column, TEXT_COLUMNS, "text_column")
            except DataError as exc:
                raise DataError(str(exc).replace("set the option text_column", "pass --text-column NAME")
                                .replace("set text_column", "pass --text-column")) from None
            by_lower = {str(c).strip().lower(): c for c in frame.columns}
            id_column = next((by_lower[c] for c in ID_COLUMNS if c in by_lower), None)
        texts = frame[column].fillna("").astype("str").str.slice(0, MAX_CHARS).tolist()
        if id_column is not None:
            ids = frame[id_column].tolist()
        else:
            ids = list(range(row + 1, row + len(frame) + 1))
        row += len(frame)
        yield ids, texts


def _line_batches(path: Path, size: int) -> Iterator[Batch]:
    opener = OPENERS.get(path.suffix.lower(), open)
    ids: list[Any] = []
    texts: list[str] = []
    with opener(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            text = decode(raw).strip()
            if text.startswith("__label__"):  # a fastText file: the label is not part of the document
                text = text.partition(" ")[2].strip()
            if not text:
                continue
            ids.append(number)
            texts.append(text)
            if len(texts) >= size:
                yield ids, texts
                ids, texts = [], []
    yield ids, texts


class PredictionWriter:
    """Writes id, predicted label and one probability per label, as CSV (``p_<label>`` columns) or JSONL
    (``{"id", "label", "probabilities": {label: p}}``), one document at a time."""

    def __init__(self, stream: TextIO, fmt: str, label_names: Sequence[str]) -> None:
        self.stream, self.fmt, self.label_names = stream, fmt, list(label_names)
        if fmt == "csv":
            self.csv = csv.writer(stream, lineterminator="\n")
            self.csv.writerow(["id", "label", *(f"p_{name}" for name in self.label_names)])

    def write(self, ids: Sequence[Any], proba: np.ndarray) -> None:
        labels = [self.label_names[i] for i in proba.argmax(axis=1)]
        if self.fmt == "csv":
            self.csv.writerows([i, label, *(f"{p:.6g}" for p in row)]
                               for i, label, row in zip(ids, labels, proba.tolist()))
            return
        for i, label, row in zip(ids, labels, proba.tolist()):
            probabilities = {name: round(p, 6) for name, p in zip(self.label_names, row)}
            self.stream.write(json.dumps({"id": _plain(i), "label": label, "probabilities": probabilities},
                                         ensure_ascii=False) + "\n")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def predict_stream(model: Any, batches: Iterator[Batch], writer: PredictionWriter,
                   progress: Callable[[int], None] | None = None) -> int:
    """Predict and write every batch as it comes; returns how many documents were labelled."""
    done = 0
    for ids, texts in batches:
        writer.write(ids, model.predict_proba(texts))
        done += len(texts)
        if progress is not None:
            progress(len(texts))
    return done
