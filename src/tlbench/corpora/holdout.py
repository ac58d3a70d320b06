"""The held-out test split of corpora whose distribution has none.

A stratified ``TEST_FRACTION`` (20%) is held out with the fixed seed ``SPLIT_SEED`` (2019, the year of the talk
tlbench reproduces), by scikit-learn's ``train_test_split``. Both parts keep the source order, so a corpus held
out this way is the same on every machine and every run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tlbench.corpora.base import Split
from tlbench.corpora.reading import first_line
from tlbench.errors import DataError

TEST_FRACTION = 0.2
SPLIT_SEED = 2019


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
            f"{corpus}: cannot hold out a stratified test fraction of {fraction}: {first_line(exc)}"
        ) from None
    whole = Split(list(texts), labels, label_names)
    return {"train": whole.subset(np.sort(train)), "test": whole.subset(np.sort(test))}
