"""Checking a study's corpora while it is planned, so an unusable corpus stops a study before any training.

The target must load: otherwise nothing can run, and the study ends with one line (exit 2). A source that does not
load fails only the cells that use it; target-only cells still run.
"""

from __future__ import annotations

from tlbench.corpora.base import Corpus
from tlbench.errors import ConfigError, DataError


def check_options(corpus: Corpus, role: str) -> None:
    """Refuse corpus options the corpus does not read (they would be silently ignored)."""
    from tlbench.registry import suggest

    taken = tuple(getattr(corpus, "options_taken", ()))
    unknown = sorted(set(corpus.options.options) - set(taken))
    if unknown:
        hint = suggest(unknown[0], list(taken))
        raise ConfigError(f"{role} corpus {corpus.name} has no option {', '.join(unknown)} "
                          f"({hint if 'did you' in hint else 'it takes: ' + ', '.join(taken)})")


def check_corpus(corpus: Corpus, role: str) -> None:
    """Read ``corpus``'s train and test splits now (parsing, validating and caching them as a study would).

    Raises DataError with one line naming the role (``target``/``source``) when they cannot be used: an empty,
    header-only or one-class file, a missing column, a truncated archive, an unreadable file or folder.
    """
    check_options(corpus, role)
    try:
        corpus.fingerprint()
        for part in ("train", "test"):
            corpus.load(part)
    except DataError as exc:
        raise DataError(f"{role} corpus: {exc}") from None
    except OSError as exc:
        where = exc.filename or corpus.name
        raise DataError(f"{role} corpus: cannot read {where}: {exc.strerror or exc}; check that it exists and "
                        "is readable by you") from None
