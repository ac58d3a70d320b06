"""The target's unlabeled pool: the text semi-supervised and domain-adaptive methods may read without labels.

One definition for every cell: the target's unlabeled split plus the training texts outside the cell's labelled
fraction and outside its validation part. Never a test text and never one of the cell's own labelled or validation
texts — also when the same text occurs twice in a corpus (IMDB has duplicate reviews across train and test), so
the exclusion is by content, not by position.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def unlabeled_pool(train_texts: Sequence[str], used: np.ndarray, unlabeled_texts: Sequence[str],
                   forbidden: Iterable[str]) -> list[str]:
    """The pool, in corpus order: training texts whose index is not in ``used`` (the labelled fraction and the
    validation part) followed by ``unlabeled_texts``, dropping every text equal to one in ``forbidden`` (the
    test texts) or to a used training text."""
    used_mask = np.zeros(len(train_texts), dtype=bool)
    used_mask[np.asarray(used, dtype=np.int64)] = True
    banned = set(forbidden)
    banned.update(train_texts[i] for i in np.flatnonzero(used_mask))
    outside = (train_texts[i] for i in np.flatnonzero(~used_mask))
    return [t for t in (*outside, *unlabeled_texts) if t not in banned]
