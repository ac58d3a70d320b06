"""The text an embedding learns from: a content fingerprint, gensim's corpus-file format and word counts.

Every backend tokenises with :func:`tlbench.text.tokenize`, so the vectors trained here are looked up with the same
words the encoders see.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tlbench.text import text_fingerprint, tokenize

if TYPE_CHECKING:
    from tlbench.cache import ContentCache

#: Bump when the way text becomes tokens changes: it is part of every cache key derived from text.
TOKENS_VERSION = 1


def fingerprint_texts(texts: Iterable[str]) -> str:
    """A content fingerprint of an ordered collection of texts (order matters: Word2Vec sees them in order)."""
    return text_fingerprint(texts, salt=f"tokens-v{TOKENS_VERSION}")


def write_corpus_file(texts: Iterable[str], path: Path) -> tuple[int, int]:
    """Write one tokenised text a line (gensim's ``LineSentence`` format, what ``corpus_file=`` reads).

    Texts with no token are skipped. Returns (lines written, tokens written).
    """
    lines = tokens = 0
    with open(path, "w", encoding="utf-8") as f:
        for text in texts:
            words = tokenize(text)
            if words:
                f.write(" ".join(words))
                f.write("\n")
                lines += 1
                tokens += len(words)
    return lines, tokens


class TokenLists:
    """A re-iterable stream of token lists (gensim's ``corpus_iterable``), tokenising on the fly so a large
    corpus is never held twice in memory."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts

    def __iter__(self):
        for text in self.texts:
            words = tokenize(text)
            if words:
                yield words


_COUNTS_MEMO: dict[str, Counter] = {}


def word_counts(texts: Sequence[str], cache: ContentCache | None = None) -> Counter:
    """How often each token occurs in ``texts``; kept per process and, when given, in the content cache, because
    every cell of a study counts the same unlabeled text."""
    key = fingerprint_texts(texts)
    if key in _COUNTS_MEMO:
        return _COUNTS_MEMO[key]
    counts: Counter | None = None
    if cache is not None:
        hit = cache.get("word-counts", key)
        if hit is not None:
            counts = Counter(json.loads((hit / "counts.json").read_text(encoding="utf-8")))
    if counts is None:
        counts = Counter()
        for text in texts:
            counts.update(tokenize(text))
        if cache is not None:
            payload = json.dumps(dict(counts), ensure_ascii=False)
            cache.put("word-counts", key, lambda d: (d / "counts.json").write_text(payload, encoding="utf-8"))
    if len(_COUNTS_MEMO) >= 4:  # a study has a few distinct text sets (source, target); keep memory bounded
        _COUNTS_MEMO.pop(next(iter(_COUNTS_MEMO)))
    _COUNTS_MEMO[key] = counts
    return counts
