"""Last-resort download of the built-in corpora from the Hugging Face Hub with the ``datasets`` package.

Used only when the user allowed downloads (``CorpusOptions.allow_download``) and ``datasets`` is installed
(``pip install 'tlbench[hub]'``); local files and the packaged data always come first. Only the Hub's ``train``
and ``test`` splits (and IMDB's ``unsupervised`` as ``unlabeled``) are used; Rotten Tomatoes' ``validation`` split
is left out so the splits mean what they mean for the other distributions.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tlbench.corpora.base import SENTIMENT, UNLABELED, CorpusOptions, Split
from tlbench.corpora.reading import capped, join_title
from tlbench.errors import DataError


@dataclass(frozen=True)
class HubDataset:
    repo: str
    #: Hub split name -> tlbench split name.
    splits: dict[str, str]
    #: Columns joined (as ``Title. Body``) into the text.
    text_columns: tuple[str, ...] = ("text",)


HUB_DATASETS = {
    "imdb": HubDataset("stanfordnlp/imdb", {"train": "train", "test": "test", "unsupervised": "unlabeled"}),
    "amazon_polarity": HubDataset("fancyzhx/amazon_polarity", {"train": "train", "test": "test"},
                                  ("title", "content")),
    "rotten_tomatoes": HubDataset("cornell-movie-review-data/rotten_tomatoes", {"train": "train", "test": "test"}),
}


def hub_variant(name: str) -> str:
    """The ``variant`` a corpus read from the Hub records."""
    return f"hub:{HUB_DATASETS[name].repo}"


def hub_usable(options: CorpusOptions) -> bool:
    """Whether a corpus may fall back to the Hub: downloads allowed and ``datasets`` importable."""
    return options.allow_download and importlib.util.find_spec("datasets") is not None


def load_from_hub(name: str, *, allow_download: bool = False, cache_dir: Path | None = None) -> dict[str, Split]:
    """The splits of a Hub sentiment dataset (``imdb``, ``amazon_polarity``, ``rotten_tomatoes``), labels 0=neg,
    1=pos. Raises DataError (one line) when downloads are not allowed, ``datasets`` is missing or loading fails."""
    if name not in HUB_DATASETS:
        raise DataError(f"hub: no dataset {name!r}; known: {', '.join(HUB_DATASETS)}")
    spec = HUB_DATASETS[name]
    if not allow_download:
        raise DataError(
            f"hub: downloading {spec.repo} is not allowed; allow downloads or put the files in the data dir"
        )
    try:
        import datasets
    except ImportError:
        raise DataError("hub: the package datasets is not installed: pip install 'tlbench[hub]'") from None
    try:
        loaded = datasets.load_dataset(spec.repo, cache_dir=str(cache_dir) if cache_dir else None)
    except Exception as exc:  # network, authentication and Hub errors come in many types; all mean "cannot load"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"hub: cannot load {spec.repo}: {first}") from None

    splits: dict[str, Split] = {}
    for hub_split, ours in spec.splits.items():
        if hub_split not in loaded:
            continue
        part = loaded[hub_split]
        columns = [part[c] for c in spec.text_columns]
        texts = columns[0] if len(columns) == 1 else [join_title(t, b) for t, b in zip(*columns)]
        labels = np.asarray(part["label"], dtype=np.int64)
        if ours == "unlabeled":
            labels = np.full(len(labels), UNLABELED)
        splits[ours] = Split(capped(texts), labels, SENTIMENT)
    return splits
