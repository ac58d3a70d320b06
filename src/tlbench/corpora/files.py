"""Corpora from the user's own files, and the reading rules every corpus in tlbench shares.

Rules every built-in corpus follows (they are part of what a corpus promises):

- **Encoding.** Text is UTF-8; bytes that are not valid UTF-8 become U+FFFD (``errors="replace"``), so one bad
  byte never stops a load. Corpora whose distribution uses another encoding say so (Rotten Tomatoes v1.0 files
  are Latin-1; Blitzer reviews that are not UTF-8 are read as Windows-1252).
- **Length.** A document longer than ``MAX_CHARS`` (1,000,000) characters is cut to its first ``MAX_CHARS``
  characters. That is ~200,000 words, far past what any model here reads; the cap keeps a mis-parsed file (an
  unclosed CSV quote swallowing the rest of the file) from turning into one giant document held in memory.
- **Held-out test split.** Where a distribution has no test split, a stratified ``TEST_FRACTION`` (20%) is held
  out with the fixed seed ``SPLIT_SEED`` (2019, the year of the talk tlbench reproduces), by scikit-learn's
  ``train_test_split``. Both parts keep the source order.

User files (``FileCorpus``, ``open_path``): ``.csv``, ``.tsv``, ``.jsonl``/``.ndjson`` (each optionally ``.gz``,
``.bz2`` or ``.xz`` compressed), fastText lines ``__label__X text`` (``.txt``, ``.ft``), or a folder per label
(``dir/<label>/*.txt``, or ``dir/train/<label>/*.txt`` with ``dir/test/<label>/*.txt``). Options
(``CorpusOptions.options``): ``text_column``, ``label_column``, ``test`` (a separate test file or folder) and
``test_fraction``. Labels are read as strings and numbered in sorted order (numerically when all are integers);
``label_names`` are those strings. Rows without a label, and label folders named ``unsup``/``unlabeled``, form the
``unlabeled`` split.
"""

from __future__ import annotations

import lzma
import os
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tlbench.corpora.base import UNLABELED, Corpus, CorpusOptions, Split
from tlbench.corpora.reading import MAX_BYTES, MAX_CHARS, TEXT_COLUMNS, decode
from tlbench.corpora.reading import OPENERS as _OPENERS, file_format as _format_of
from tlbench.errors import DataError
from tlbench.paths import default_cache_dir

TEST_FRACTION = 0.2
SPLIT_SEED = 2019

LABEL_COLUMNS = ("label", "sentiment", "class", "category", "target", "polarity", "y")
UNLABELED_FOLDERS = frozenset({"unsup", "unlabeled", "unlabelled"})

#: How a user sets a corpus option, quoted in errors (README "Corpus options").
_HOW_TO_SET = "-o target.{option}=NAME or -o source.{option}=NAME, or {option} under [corpora.\"PATH\"] in tlbench.toml"
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, UnicodeError)


# -- shared reading rules ----------------------------------------------------------------------------------
def read_document(path: Path) -> str:
    """A one-document file (``.txt`` in a label folder) as text under the shared rules, stripped."""
    with path.open("rb") as f:
        # read(n) with a large n allocates n bytes up front: ask for no more than the file has
        return decode(f.read(min(os.fstat(f.fileno()).st_size, MAX_BYTES))).strip()


def capped(texts: Iterable[str]) -> list[str]:
    """The texts with each cut to ``MAX_CHARS`` characters."""
    return [t[:MAX_CHARS] for t in texts]


def data_dirs(options: CorpusOptions, subdir: str) -> list[Path]:
    """Where a built-in corpus looks: ``data_dir/<subdir>`` then ``data_dir`` (default ``<cache>/data``)."""
    base = Path(options.data_dir).expanduser() if options.data_dir else default_cache_dir() / "data"
    return [base / subdir, base]


def join_title(title: str, body: str) -> str:
    """``Title. Body`` — the convention of the Kaggle-layout Amazon file, so review corpora read alike."""
    title, body = title.strip(), body.strip()
    if not title:
        return body
    return f"{title} {body}" if title[-1] in ".!?" else f"{title}. {body}"


def holdout_split(
    corpus: str,
    texts: Sequence[str],
    labels: np.ndarray | Sequence[int],
    label_names: tuple[str, ...],
    fraction: float = TEST_FRACTION,
    seed: int = SPLIT_SEED,
) -> dict[str, Split]:
    """``train`` and ``test`` from labelled texts: a stratified ``fraction`` held out with a fixed seed."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels, dtype=np.int64)
    if not 0.0 < fraction < 1.0:
        raise DataError(f"{corpus}: test_fraction must be between 0 and 1, not {fraction}")
    if len(np.unique(labels)) < 2:
        # Nothing to stratify; the train split's single class is reported by validate_splits.
        only = Split(list(texts), labels, label_names)
        return {"train": only, "test": only.head(0)}
    try:
        train, test = train_test_split(
            np.arange(len(labels)), test_size=fraction, stratify=labels, random_state=seed
        )
    except ValueError as exc:
        raise DataError(
            f"{corpus}: cannot hold out a stratified test fraction of {fraction}: {_first_line(exc)}"
        ) from None
    whole = Split(list(texts), labels, label_names)
    return {"train": whole.subset(np.sort(train)), "test": whole.subset(np.sort(test))}


def read_file_bytes(path: Path) -> bytes:
    """The whole file, decompressing ``.bz2``/``.gz``/``.xz``; a truncated or corrupt file raises DataError."""
    opener = _OPENERS.get(path.suffix.lower(), open)
    try:
        with opener(path, "rb") as f:
            return f.read()
    except _READ_ERRORS as exc:
        raise DataError(f"cannot read {path}: {_first_line(exc)} (is it truncated or corrupt?)") from None


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


@dataclass(frozen=True)
class Located:
    """The distribution of a built-in corpus that was found: ``kind`` picks the reader, ``paths`` are read."""

    kind: str
    paths: tuple[Path, ...]
    variant: str


class DistributionCorpus(Corpus):
    """A built-in corpus that may come in several distributions; ``_locate()`` picks one, once.

    ``variant`` and ``sources()`` follow from what was found, so a cached load knows its variant too.
    """

    #: File or folder names that ``open_path`` hands to this class with ``data_dir`` set to the path.
    distribution_names: tuple[str, ...] = ()

    def __init__(self, options: CorpusOptions | None = None) -> None:
        super().__init__(options)
        self._found: Located | None = None

    def _locate(self) -> Located:
        """Find the distribution to read, or raise DataError saying which files to put where."""
        raise NotImplementedError

    def located(self) -> Located:
        if self._found is None:
            self._found = self._locate()
        return self._found

    @property  # type: ignore[override]
    def variant(self) -> str:
        return self.located().variant

    def sources(self) -> list[Path]:
        return list(self.located().paths)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- user files ---------------------------------------------------------------------------------------------
def read_table(path: Path, fmt: str, **read_csv_args: Any) -> pd.DataFrame:
    """A ``csv``, ``tsv`` or ``jsonl`` file as a frame (CSV cells as strings, empty cells ``""``), decoded under
    the shared rules. An empty, header-only or malformed file (a row with too many fields, an unclosed quote,
    broken JSON) raises DataError."""
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row has more fields than the header; that is a broken file here
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = _pandas_read(path, fmt, **read_csv_args)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty") from None
    except (ValueError, pd.errors.ParserWarning, *_READ_ERRORS) as exc:
        raise DataError(f"cannot read {path} as {fmt}: {_first_line(exc)}") from None
    if frame.empty:
        raise DataError(f"{path} has no rows")
    return frame


def _pandas_read(path: Path, fmt: str, **args: Any) -> Any:
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False, encoding_errors="replace", **args)
    return pd.read_csv(path, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False, index_col=False,
                       encoding="utf-8", encoding_errors="replace", **args)


def read_table_chunks(path: Path, fmt: str, rows: int) -> Iterator[pd.DataFrame]:
    """``read_table`` in frames of at most ``rows`` rows, read as they are needed, so a file larger than memory
    streams. The same rules and errors as ``read_table``; a file without rows raises DataError."""
    any_rows = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            with _pandas_read(path, fmt, chunksize=rows) as reader:
                for frame in reader:
                    any_rows = any_rows or not frame.empty
                    yield frame
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty") from None
    except (ValueError, pd.errors.ParserWarning, *_READ_ERRORS) as exc:
        raise DataError(f"cannot read {path} as {fmt}: {_first_line(exc)}") from None
    if not any_rows:
        raise DataError(f"{path} has no rows")


def _pick_column(frame: pd.DataFrame, path: Path, wanted: str | None, candidates: tuple[str, ...],
                 option: str) -> Any:
    # a binary file read as CSV has garbage for a header: keep the message one short, printable line
    shown = ["".join(ch if ch.isprintable() else "?" for ch in str(c))[:40] for c in list(frame.columns)[:12]]
    found = ", ".join(shown) + (", …" if len(frame.columns) > 12 else "")
    if wanted is not None:
        if wanted in frame.columns:
            return wanted
        raise DataError(f"{path}: no column {wanted!r} (columns found: {found}); set {option} to one of them "
                        f"({_HOW_TO_SET.format(option=option)})")
    by_lower = {str(c).strip().lower(): c for c in frame.columns}
    for name in candidates:
        if name in by_lower:
            return by_lower[name]
    raise DataError(
        f"{path}: no {option.split('_')[0]} column among {found} (looked for {', '.join(candidates)}); "
        f"set the option {option} ({_HOW_TO_SET.format(option=option)})"
    )


def _label_strings(column: pd.Series) -> pd.Series:
    """Labels as stripped strings, missing where empty; integral floats (JSON's 1.0) read as integers."""
    if pd.api.types.is_float_dtype(column) and (column.dropna() % 1 == 0).all():
        column = column.astype("Int64")
    text = column.astype("str").str.strip()
    return text.where(column.notna() & (text != ""))


def _read_labelled(path: Path, options: dict[str, Any]) -> pd.DataFrame:
    """A file as a frame with columns ``text`` and ``label`` (strings; a missing label is NA)."""
    fmt = _format_of(path)
    if fmt == "folders":
        return _read_folder(path)
    if fmt == "fasttext":
        return read_fasttext(path)
    frame = read_table(path, fmt)
    text_col = _pick_column(frame, path, options.get("text_column"), TEXT_COLUMNS, "text_column")
    label_col = _pick_column(frame, path, options.get("label_column"), LABEL_COLUMNS, "label_column")
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
        fmt = _format_of(self.path)
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


def open_path(path: str | Path, options: CorpusOptions | None = None) -> Corpus:
    """The corpus a path names: a built-in distribution recognised by its name (``aclImdb_v1.tar.gz``,
    ``aclImdb/``, ``amazon_review_polarity_csv/``, ``rt-polaritydata/``, ``sorted_data_acl[.tar.gz]`` with
    ``options.arg`` as the domain) read by its own class, otherwise a ``FileCorpus``."""
    options = options or CorpusOptions()
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"{p}: no such file or folder")
    from tlbench.corpora.amazon import AmazonCorpus
    from tlbench.corpora.blitzer import BlitzerCorpus
    from tlbench.corpora.imdb import ImdbCorpus
    from tlbench.corpora.rotten_tomatoes import RottenTomatoesCorpus

    for cls in (ImdbCorpus, AmazonCorpus, RottenTomatoesCorpus, BlitzerCorpus):
        if p.name in cls.distribution_names:
            return cls(replace(options, data_dir=p))
    return FileCorpus(p, options)
