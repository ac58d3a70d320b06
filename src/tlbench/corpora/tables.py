"""Tables and fastText files read as pandas frames under the shared reading rules (:mod:`tlbench.corpora.reading`):
what user files, the Amazon corpus and ``tlbench predict`` read.

A file that cannot be used (empty, header-only, a row with too many fields, an unclosed quote, broken JSON, a
fastText line without a label) raises a one-line DataError naming the file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tlbench.corpora.reading import MAX_CHARS, READ_ERRORS, first_line, read_file_bytes
from tlbench.errors import DataError

#: How a user sets a corpus option, quoted in errors (README "Corpus options").
HOW_TO_SET = "-o target.{option}=NAME or -o source.{option}=NAME, or {option} under [corpora.\"PATH\"] in tlbench.toml"


@contextmanager
def _reading(path: Path, fmt: str) -> Iterator[None]:
    """Turn what pandas raises for a broken file into one DataError line."""
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row has more fields than the header; that is a broken file here
            warnings.simplefilter("error", pd.errors.ParserWarning)
            yield
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty") from None
    except (ValueError, pd.errors.ParserWarning, *READ_ERRORS) as exc:
        raise DataError(f"cannot read {path} as {fmt}: {first_line(exc)}") from None


def _pandas_read(path: Path, fmt: str, **args: Any) -> Any:
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False, encoding_errors="replace", **args)
    return pd.read_csv(path, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False, index_col=False,
                       encoding="utf-8", encoding_errors="replace", **args)


def read_table(path: Path, fmt: str, **read_csv_args: Any) -> pd.DataFrame:
    """A ``csv``, ``tsv`` or ``jsonl`` file as a frame (CSV cells as strings, empty cells ``""``), decoded under
    the shared rules. An empty, header-only or malformed file (a row with too many fields, an unclosed quote,
    broken JSON) raises DataError."""
    with _reading(path, fmt):
        frame = _pandas_read(path, fmt, **read_csv_args)
    if frame.empty:
        raise DataError(f"{path} has no rows")
    return frame


def read_table_chunks(path: Path, fmt: str, rows: int) -> Iterator[pd.DataFrame]:
    """``read_table`` in frames of at most ``rows`` rows, read as they are needed, so a file larger than memory
    streams. The same rules and errors as ``read_table``; a file without rows raises DataError."""
    any_rows = False
    with _reading(path, fmt), _pandas_read(path, fmt, chunksize=rows) as reader:
        for frame in reader:
            any_rows = any_rows or not frame.empty
            yield frame
    if not any_rows:
        raise DataError(f"{path} has no rows")


def pick_column(frame: pd.DataFrame, path: Path, wanted: str | None, candidates: tuple[str, ...],
                option: str) -> Any:
    """The column named ``wanted``, else the first of ``candidates`` (case-insensitive); a DataError naming the
    columns found and how to set ``option`` when there is none."""
    # a binary file read as CSV has garbage for a header: keep the message one short, printable line
    shown = ["".join(ch if ch.isprintable() else "?" for ch in str(c))[:40] for c in list(frame.columns)[:12]]
    found = ", ".join(shown) + (", …" if len(frame.columns) > 12 else "")
    if wanted is not None:
        if wanted in frame.columns:
            return wanted
        raise DataError(f"{path}: no column {wanted!r} (columns found: {found}); set {option} to one of them "
                        f"({HOW_TO_SET.format(option=option)})")
    by_lower = {str(c).strip().lower(): c for c in frame.columns}
    for name in candidates:
        if name in by_lower:
            return by_lower[name]
    raise DataError(
        f"{path}: no {option.split('_')[0]} column among {found} (looked for {', '.join(candidates)}); "
        f"set the option {option} ({HOW_TO_SET.format(option=option)})"
    )


def read_fasttext(path: Path) -> pd.DataFrame:
    """fastText lines ``__label__X text`` (label, a space, the text) as a frame with string columns ``label``
    and ``text``, in file order.

    Blank lines are skipped; a line without a leading ``__label__X`` or with several labels raises DataError
    naming its line number. Parsed with Arrow compute kernels: the full Kaggle Amazon file has 3.6M lines.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = read_file_bytes(path)
    try:
        whole = pa.array([raw], pa.large_binary()).cast(pa.large_string())  # validates UTF-8 without a copy
    except pa.ArrowInvalid:
        whole = pa.array([raw.decode("utf-8", errors="replace")], pa.large_string())
    del raw
    lines = pc.ascii_rtrim(pc.split_pattern(whole, "\n").flatten(), "\r")
    keep = pc.not_equal(pc.ascii_trim_whitespace(lines), "")
    numbers = pc.indices_nonzero(keep)
    lines = lines.filter(keep)
    if len(lines) == 0:
        raise DataError(f"{path} is empty: expected lines like '__label__pos some text'")
    # A trailing space gives every line two pieces, so a label without text still splits.
    space = pa.scalar(" ", pa.large_string())
    pieces = pc.split_pattern(pc.binary_join_element_wise(lines, space, pa.scalar("", pa.large_string())), " ",
                              max_splits=1)
    flat = pieces.flatten()  # head0, rest0, head1, rest1, ...: much faster than list_element
    order = np.arange(len(flat))
    head, rest = flat.take(pa.array(order[0::2])), flat.take(pa.array(order[1::2]))
    label, text = pc.utf8_slice_codeunits(head, 9), pc.ascii_trim(rest, " \t")
    bad = pc.or_(pc.or_(pc.invert(pc.starts_with(head, "__label__")), pc.equal(label, "")),
                 pc.starts_with(text, "__label__"))
    if pc.any(bad).as_py():
        first = pc.index(bad, True).as_py()
        raise DataError(f"{path}, line {numbers[first].as_py() + 1}: expected '__label__X' then the text, "
                        f"got {lines[first].as_py()[:60]!r}")
    if pc.max(pc.binary_length(text)).as_py() > MAX_CHARS:  # bytes >= characters; slicing costs a UTF-8 walk
        text = pc.utf8_slice_codeunits(text, 0, MAX_CHARS)
    return pd.DataFrame({"label": label.to_pandas(), "text": text.to_pandas()})
