"""tfidf-lr's files on disk: ``tfidf_lr.json`` (format, labels, C, vocabulary in column order) and
``tfidf_lr.npz`` (idf, coefficients, intercepts, classes), read with ``allow_pickle=False``.

Caches may be shared (a ``--cache-dir`` on a team drive) and their keys are predictable, so nothing read back may be
a pickle: a planted file can at worst make loading fail, never run code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tlbench.errors import DataError

if TYPE_CHECKING:
    from tlbench.systems.tfidf_lr import TfidfLR

FORMAT = 1
_JSON, _ARRAYS = "tfidf_lr.json", "tfidf_lr.npz"


def save_tfidf_lr(path: Path, system: TfidfLR) -> None:
    vocabulary = system.vectorizer_.vocabulary_
    terms = [""] * len(vocabulary)
    for term, column in vocabulary.items():
        terms[column] = term
    meta = {"format": FORMAT, "label_names": list(system.label_names_), "C": system.C_, "vocabulary": terms}
    (path / _JSON).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    model = system.model_
    np.savez(path / _ARRAYS, idf=np.asarray(system.vectorizer_.idf_), coef=model.coef_,
             intercept=model.intercept_, classes=np.asarray(model.classes_, dtype=np.int64))


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    try:
        meta = json.loads((path / _JSON).read_text(encoding="utf-8"))
        with np.load(path / _ARRAYS, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("idf", "coef", "intercept", "classes")}
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path} holds no tfidf-lr model in tlbench's format ({exc}); delete the folder so the "
                        "model is trained again") from None
    if meta.get("format") != FORMAT or not isinstance(meta.get("vocabulary"), list):
        raise DataError(f"{path}: tfidf-lr format {meta.get('format')!r} is not {FORMAT}; delete the folder")
    n_terms = len(meta["vocabulary"])
    if arrays["idf"].shape != (n_terms,) or arrays["coef"].shape[-1] != n_terms:
        raise DataError(f"{path}: tfidf-lr arrays do not match its vocabulary of {n_terms} terms; delete the folder")
    return meta, arrays


def load_tfidf_lr(path: Path, system: TfidfLR) -> TfidfLR:
    """Fill ``system`` with the state saved in ``path`` and return it."""
    from sklearn.linear_model import LogisticRegression

    meta, arrays = _read(path)
    vectorizer = system._vectorizer(len(meta["vocabulary"]))
    vectorizer.vocabulary_ = {term: i for i, term in enumerate(meta["vocabulary"])}
    vectorizer.idf_ = arrays["idf"]
    model = LogisticRegression(C=meta["C"], max_iter=system.max_iter)
    model.classes_, model.coef_, model.intercept_ = arrays["classes"], arrays["coef"], arrays["intercept"]
    model.n_features_in_ = arrays["coef"].shape[-1]
    system.vectorizer_, system.model_ = vectorizer, model
    system.label_names_, system.C_ = tuple(meta["label_names"]), meta["C"]
    system.classes_ = model.classes_
    return system
