"""Amazon review polarity (Zhang, Zhao & LeCun 2015; 3.6M train / 400k test in full).

Distributions, looked for in ``data_dir/amazon/`` then ``data_dir`` (default ``<cache>/data``):

1. the Kaggle "Amazon Reviews for Sentiment Analysis" fastText layout — ``train.ft.txt[.bz2]`` and
   ``test.ft.txt[.bz2]``, lines ``__label__1 <text>`` (negative) or ``__label__2 <text>`` (positive);
   variant ``kaggle-fasttext``;
2. the Zhang et al. folder ``amazon_review_polarity_csv/`` with ``train.csv`` and ``test.csv`` (no header;
   class 1 = negative, 2 = positive, title, body); title and body are joined as ``Title. Body``, the
   fastText layout's convention, and the CSV's escaped line breaks (a literal ``\\n``) become spaces;
   variant ``amazon_review_polarity_csv``;
3. the Hugging Face Hub (``fancyzhx/amazon_polarity``), only when downloads are allowed and ``datasets`` is
   installed.

Splits ``train`` and ``test``, labels 0=neg, 1=pos, in file order. Decoding and the length cap follow the shared
rules in ``tlbench.corpora.reading``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tlbench.corpora.base import SENTIMENT, Split
from tlbench.corpora.distribution import DistributionCorpus, Located, data_dirs
from tlbench.corpora.reading import MAX_CHARS
from tlbench.corpora.tables import read_fasttext, read_table
from tlbench.errors import DataError

CSV_FOLDER = "amazon_review_polarity_csv"
#: The class names both layouts use, mapped to tlbench labels.
_CLASSES = {"1": 0, "2": 1}


def _first(d: Path, names: tuple[str, ...]) -> Path | None:
    return next((d / n for n in names if (d / n).is_file()), None)


class AmazonCorpus(DistributionCorpus):
    """Amazon review polarity: ``train`` and ``test``; see the module docstring."""

    name = "amazon"
    label_names = SENTIMENT
    distribution_names = (CSV_FOLDER,)
    hub_name = "amazon_polarity"

    def _locate(self) -> Located | None:
        for d in data_dirs(self.options, "amazon"):
            train = _first(d, ("train.ft.txt.bz2", "train.ft.txt"))
            test = _first(d, ("test.ft.txt.bz2", "test.ft.txt"))
            if train and test:
                return Located("fasttext", (train, test), "kaggle-fasttext")
            if train or test:
                have, lack = (train, "test") if train else (test, "train")
                raise DataError(f"amazon: found {have} but no {lack}.ft.txt[.bz2] beside it; put both in {d}")
            folder = d if d.name == CSV_FOLDER else d / CSV_FOLDER
            if (folder / "train.csv").is_file() and (folder / "test.csv").is_file():
                return Located("csv", (folder / "train.csv", folder / "test.csv"), CSV_FOLDER)
        return None

    def _missing(self) -> DataError:
        dirs = data_dirs(self.options, "amazon")
        return DataError(
            f"amazon: no train.ft.txt.bz2 + test.ft.txt.bz2 (Kaggle) or {CSV_FOLDER}/ (Zhang et al.) in "
            f"{dirs[0]} or {dirs[1]}: put the files in {dirs[0]} (or pass --data-dir)"
        )

    def _read(self, found: Located) -> dict[str, Split]:
        read = _read_fasttext if found.kind == "fasttext" else _read_csv
        train, test = found.paths
        return {"train": read(train), "test": read(test)}


def _to_split(path: Path, classes: pd.Series, texts: pd.Series) -> Split:
    labels = classes.map(_CLASSES)
    if labels.isna().any():
        odd = sorted(set(classes[labels.isna()].astype(str)))[:5]
        raise DataError(f"amazon: {path} has classes {', '.join(odd)}; expected 1 (negative) and 2 (positive)")
    return Split(texts.tolist(), labels.to_numpy(dtype=np.int64), SENTIMENT)


def _read_fasttext(path: Path) -> Split:
    frame = read_fasttext(path)
    return _to_split(path, frame["label"], frame["text"])


def _read_csv(path: Path) -> Split:
    frame = read_table(path, "csv", header=None, names=["class", "title", "body"])
    title = frame["title"].fillna("").str.replace("\\n", " ", regex=False).str.strip()
    body = frame["body"].fillna("").str.replace("\\n", " ", regex=False).str.strip()
    joiner = title.str.contains(r"[.!?]$", regex=True).map({True: " ", False: ". "})
    texts = (title + joiner + body).where(title != "", body)
    return _to_split(path, frame["class"].fillna("").str.strip(), texts.str.slice(0, MAX_CHARS))
