"""Multi-Domain Sentiment Dataset (Blitzer, Dredze & Pereira 2007): Amazon reviews of four product domains.

Named ``blitzer:<domain>`` with the domain ``books``, ``dvd``, ``electronics`` or ``kitchen``
(= ``kitchen_&_housewares``). Read from ``sorted_data_acl.tar.gz`` (streamed, never extracted) or the folder
``sorted_data_acl/``, in ``data_dir/blitzer/`` then ``data_dir`` (default ``<cache>/data``); the tarball is
preferred when both are there.

Each ``<domain>/positive.review`` and ``negative.review`` holds 1,000 pseudo-XML ``<review>`` records (not
well-formed XML: bare ``&`` and ``<`` occur); a text is the record's ``<title>`` and ``<review_text>`` joined as
``Title. Body`` (the Amazon corpus' convention), HTML entities unescaped. Records are UTF-8; one that is not
valid UTF-8 is read as Windows-1252, the encoding of the reviews' origin (the distribution already carries some
U+FFFD replacement characters, which are kept). ``unlabeled.review``, where present, becomes the
``unlabeled`` split. The data has no test split: a fixed stratified 20% of the labelled reviews is held out with
seed 2019 (see ``tlbench.corpora.holdout``). Labels 0=neg, 1=pos; negative reviews first, in file order.
"""

from __future__ import annotations

import html
import re

import numpy as np

from tlbench.corpora.base import SENTIMENT, UNLABELED, CorpusOptions, Split
from tlbench.corpora.distribution import DistributionCorpus, Located, data_dirs
from tlbench.corpora.holdout import holdout_split
from tlbench.corpora.reading import MAX_CHARS, join_title
from tlbench.corpora.tarball import iter_members
from tlbench.errors import DataError

TARBALL = "sorted_data_acl.tar.gz"
FOLDER = "sorted_data_acl"
#: Domain as named by tlbench -> folder in the distribution.
DOMAINS = {"books": "books", "dvd": "dvd", "electronics": "electronics", "kitchen": "kitchen_&_housewares"}
FILES = {"negative.review": 0, "positive.review": 1, "unlabeled.review": UNLABELED}
VARIANT = "sorted_data_acl (fixed stratified 80/20 split, seed 2019)"

_RECORD = re.compile(rb"<review>(.*?)</review>", re.DOTALL)
_TITLE = re.compile(rb"<title>(.*?)</title>", re.DOTALL)
_TEXT = re.compile(rb"<review_text>(.*?)</review_text>", re.DOTALL)


def parse_reviews(raw: bytes) -> list[str]:
    """The texts of the ``<review>`` records in a ``.review`` file, in file order."""
    texts = []
    for record in _RECORD.finditer(raw):
        title, body = (_field(pattern, record.group(1)) for pattern in (_TITLE, _TEXT))
        texts.append(join_title(title, body)[:MAX_CHARS])
    return texts


def _field(pattern: re.Pattern[bytes], record: bytes) -> str:
    found = pattern.search(record)
    if found is None:
        return ""
    try:
        text = found.group(1).decode("utf-8")
    except UnicodeDecodeError:
        text = found.group(1).decode("cp1252", errors="replace")
    return html.unescape(text).strip()


def _domain(arg: str | None) -> str:
    key = (arg or "").strip().lower()
    if key in DOMAINS.values():
        key = next(k for k, v in DOMAINS.items() if v == key)
    if key not in DOMAINS:
        shown = f"unknown domain {arg!r}" if arg else "no domain given"
        raise DataError(f"blitzer: {shown}; use blitzer:<domain> with one of {', '.join(DOMAINS)}")
    return key


class BlitzerCorpus(DistributionCorpus):
    """One Blitzer domain (``options.arg``): ``train``, ``test`` and, where present, ``unlabeled``.

    An unknown or missing domain raises DataError listing the domains, at construction.
    """

    label_names = SENTIMENT
    distribution_names = (TARBALL, FOLDER)

    def __init__(self, options: CorpusOptions | None = None) -> None:
        super().__init__(options)
        self.domain = _domain(self.options.arg)
        self.name = f"blitzer:{self.domain}"

    def _locate(self) -> Located | None:
        dirs = data_dirs(self.options, "blitzer")
        for d in dirs:
            if d.is_file() and d.name.endswith((".tar.gz", ".tgz", ".tar")):
                return Located("tarball", (d,), VARIANT)
            if d.is_dir() and d.name == FOLDER:
                if not (d / DOMAINS[self.domain]).is_dir():
                    raise DataError(f"{self.name}: no {DOMAINS[self.domain]}/ in {d}")
                return Located("folder", (d / DOMAINS[self.domain],), VARIANT)
        for d in dirs:
            if (d / TARBALL).is_file():
                return Located("tarball", (d / TARBALL,), VARIANT)
            if (d / FOLDER / DOMAINS[self.domain]).is_dir():
                return Located("folder", (d / FOLDER / DOMAINS[self.domain],), VARIANT)
        return None

    def _missing(self) -> DataError:
        dirs = data_dirs(self.options, "blitzer")
        return DataError(
            f"blitzer: no {TARBALL} or {FOLDER}/{DOMAINS[self.domain]}/ in {dirs[0]} or {dirs[1]}: "
            f"put the Multi-Domain Sentiment Dataset tarball in {dirs[0]} (or pass --data-dir)"
        )

    def _read(self, found: Located) -> dict[str, Split]:
        folder = DOMAINS[self.domain]
        if found.kind == "folder":
            raw = {f: (found.paths[0] / f).read_bytes() for f in FILES if (found.paths[0] / f).is_file()}
        else:
            members = iter_members(found.paths[0], lambda parts: len(parts) >= 2 and parts[-2] == folder
                                   and parts[-1] in FILES, corpus=self.name, max_bytes=None)
            raw = {parts[-1]: content for parts, content in members}
        missing = [f for f in FILES if FILES[f] != UNLABELED and f not in raw]
        if missing:
            raise DataError(f"{self.name}: no {folder}/{' or '.join(missing)} in {found.paths[0]}")
        neg, pos = parse_reviews(raw["negative.review"]), parse_reviews(raw["positive.review"])
        labels = np.array([0] * len(neg) + [1] * len(pos), dtype=np.int64)
        splits = holdout_split(self.name, neg + pos, labels, SENTIMENT)
        if "unlabeled.review" in raw:
            unlabeled = parse_reviews(raw["unlabeled.review"])
            splits["unlabeled"] = Split(unlabeled, np.full(len(unlabeled), UNLABELED), SENTIMENT)
        return splits

