"""The contract every Corpus must pass. Subclass it and implement ``make_corpus(options)``::

    class TestMyCorpus(CorpusContract):
        def make_corpus(self, options):
            return MyCorpus(options)

``options`` is a :class:`tlbench.CorpusOptions` whose ``cache_dir`` is a fresh folder; override
``corpus_options`` to share a cache between tests (parsing a large corpus once per test is slow).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tlbench.corpora.base import UNLABELED, Corpus, CorpusOptions, Split
from tlbench.errors import DataError


class CorpusContract:
    def make_corpus(self, options: CorpusOptions) -> Corpus:  # pragma: no cover - to implement
        raise NotImplementedError

    def corpus_options(self, tmp_path) -> CorpusOptions:
        return CorpusOptions(cache_dir=tmp_path)

    @pytest.fixture
    def corpus(self, tmp_path) -> Corpus:
        return self.make_corpus(self.corpus_options(tmp_path))

    def test_train_and_test(self, corpus):
        assert {"train", "test"} <= set(corpus.splits())
        for part in ("train", "test"):
            split = corpus.load(part)
            assert isinstance(split, Split) and len(split) > 0
            assert all(isinstance(t, str) for t in split.texts[:200])
            assert split.labels.min() >= 0 and split.labels.max() < len(split.label_names), f"{part} labels"
            assert all(isinstance(n, str) and n for n in split.label_names)
        assert len(np.unique(corpus.load("train").labels)) >= 2
        assert corpus.load("test").label_names == corpus.load("train").label_names

    def test_unlabeled(self, corpus):
        if "unlabeled" in corpus.splits():
            assert np.all(corpus.load("unlabeled").labels == UNLABELED)

    def test_fingerprint(self, corpus, tmp_path):
        fp = corpus.fingerprint()
        assert isinstance(fp, str) and fp
        again = self.make_corpus(CorpusOptions(cache_dir=tmp_path / "other"))
        assert again.fingerprint() == fp, "the fingerprint must depend on the content, not on the cache"

    def test_reload_is_identical(self, corpus, tmp_path):
        first = corpus.load("train")
        again = self.make_corpus(self.corpus_options(tmp_path)).load("train")
        assert list(again.texts) == list(first.texts) and np.array_equal(again.labels, first.labels)

    def test_unknown_split(self, corpus):
        with pytest.raises(DataError):
            corpus.load("no-such-split")

    def test_claims_its_distribution_names_only(self, corpus, tmp_path):
        """``claims(path)`` is a class method that answers for any path, existing or not, without raising."""
        cls = type(corpus)
        assert all(cls.claims(tmp_path / name) is True for name in cls.distribution_names)
        assert cls.claims(tmp_path / "surely-no-corpus-is-named.like-this") is False

    def test_describe_is_json(self, corpus):
        info = corpus.describe()
        assert json.loads(json.dumps(info)) == info and info["name"] == corpus.name
