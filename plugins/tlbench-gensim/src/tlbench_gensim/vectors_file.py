"""Reading pretrained word vectors from the files people have: word2vec binary or text (``.bin``, ``.txt``,
``.vec``, optionally compressed), GloVe text without a header, gensim ``KeyedVectors`` (``.kv``) and full gensim
``Word2Vec`` models (``.model``, which can also continue training).

A damaged file gets one clear :class:`tlbench.errors.DataError` naming the file and what to do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.errors import DataError

_BINARY_SUFFIXES = {".bin"}
_GENSIM_SUFFIXES = {".kv", ".model", ".wordvectors"}


def file_key(path: Path) -> str:
    """A cheap content fingerprint: size plus the first and last MiB (enough to tell vector files apart)."""
    h = hashlib.sha256()
    size = path.stat().st_size
    h.update(str(size).encode())
    with path.open("rb") as f:
        h.update(f.read(1 << 20))
        if size > 2 << 20:
            f.seek(-(1 << 20), 2)
            h.update(f.read(1 << 20))
    return h.hexdigest()[:20]


def _sniff(path: Path) -> tuple[bool, bool]:
    """(binary, has_header) of a word2vec/GloVe file, read from its first bytes (compressed files included)."""
    from gensim import utils

    with utils.open(str(path), "rb") as f:
        head = f.read(1 << 16)
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    has_header = len(fields) == 2 and all(x.isdigit() for x in fields)
    if Path(str(path).removesuffix(".gz").removesuffix(".bz2")).suffix in _BINARY_SUFFIXES:
        return True, True
    if not has_header:
        return False, False  # GloVe's text format: no "count dim" line
    try:
        # A cut in the middle of a multi-byte character at the end of the sample is not binary data.
        rest[:-8].decode("utf-8")
        return False, True
    except UnicodeDecodeError:
        return True, True


def load_vectors(path: str | Path, *, binary: bool | None = None, limit: int | None = None) -> Any:
    """The vectors in ``path``: a ``gensim.models.KeyedVectors``, or a ``gensim.models.Word2Vec`` for ``.model``
    files (a full model keeps its output weights, so it can continue training).

    :param binary: word2vec binary (True) or text (False); default: guessed from the suffix and the content.
    :param limit: read only the first ``limit`` vectors of a word2vec/GloVe file (they are sorted by frequency).
    """
    from gensim.models import KeyedVectors, Word2Vec

    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"vectors file {path} does not exist: pass embedding.path=<a word2vec .bin/.txt, GloVe .txt, "
                        f"gensim .kv or .model file>")
    suffix = path.suffix.lower()
    try:
        if suffix in _GENSIM_SUFFIXES:
            # gensim's own format is a pickle: only load files you made or trust.
            loaded = Word2Vec.load(str(path)) if suffix == ".model" else KeyedVectors.load(str(path))
            if isinstance(loaded, Word2Vec):
                vectors = loaded.wv
            elif isinstance(loaded, KeyedVectors):
                vectors = loaded
            else:
                raise DataError(f"{path} holds a {type(loaded).__name__}, not word vectors: pass a gensim "
                                f"KeyedVectors (.kv) or Word2Vec (.model) file")
            fmt = "gensim"
        else:
            sniffed_binary, has_header = _sniff(path)
            binary = sniffed_binary if binary is None else binary
            fmt = "binary" if binary else "text"
            loaded = vectors = KeyedVectors.load_word2vec_format(
                str(path), binary=binary, limit=limit, no_header=not has_header and not binary)
    except DataError:
        raise
    except FileNotFoundError as exc:
        raise DataError(f"{path} needs its companion file {exc.filename}: gensim saves large arrays beside the "
                        f"main file; copy them together") from exc
    except (EOFError, ValueError, UnicodeDecodeError, OSError, IndexError) as exc:
        raise DataError(f"{path} is not a complete word-vector file ({type(exc).__name__}: {exc}); it may be "
                        f"truncated or in another format: download it again, or set embedding.binary / "
                        f"embedding.limit") from exc
    except Exception as exc:  # unpickling errors of damaged .kv/.model files come in many types
        raise DataError(f"{path} could not be read as gensim vectors ({type(exc).__name__}: {exc}); it may be "
                        f"damaged: save it again with gensim") from exc
    if len(vectors) == 0:
        raise DataError(f"{path} holds no vectors")
    if not np.isfinite(vectors.vectors).all():
        raise DataError(f"{path} has non-finite numbers in its vectors ({fmt} format): the file is damaged")
    return loaded
