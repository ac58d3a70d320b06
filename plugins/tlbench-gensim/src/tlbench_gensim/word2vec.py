"""The ``word2vec`` embedding: Word2Vec vectors trained with gensim on the text a study has, or loaded from a file.

Three ways to get vectors:

- ``fit(texts, ctx)`` trains from scratch on ``texts`` (the encoders pass the domain's unlabeled text, which for a
  target is its unlabeled split plus its training texts; never test text);
- ``path=`` loads pretrained vectors (word2vec binary/text, GloVe text, gensim ``.kv`` / ``.model``); they are
  fitted already and ``fit`` leaves them alone unless ``train_on_text=True``;
- ``adapt(target_texts, ctx, source_texts=())`` is domain-adaptive pretraining: train on the source text first
  (or start from the loaded / already trained vectors), then continue training on the unlabeled target text
  (``build_vocab(update=True)`` + ``train``), so target-domain words get vectors and shared words move towards
  their target-domain use.

Every training step is cached by content in ``ctx.cache`` (kind ``word2vec``): the key chains the starting state,
a fingerprint of the texts and the training options, so every cell of a study (and every process) reuses the
vectors trained for the same text. gensim's fast path is used: the tokens are written once to a ``corpus_file``
that gensim's worker threads read without the GIL; ``workers`` defaults to ``ctx.device.cpu_threads``.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.cache import content_key
from tlbench.configurable import Configurable
from tlbench.errors import ConfigError, DataError
from tlbench.system import Context
from tlbench_gensim.training_text import TOKENS_VERSION, TokenLists, fingerprint_texts, write_corpus_file

_CACHE_KIND = "word2vec"
_MODEL_FILE = "word2vec.model"
#: Loaded pretrained files, per process: a study's cells share one read of a large vectors file.
_FILE_MEMO: dict[tuple, Any] = {}


class Word2VecEmbedding(Configurable):
    """Word2Vec vectors (gensim 4). Constructor options are gensim's (``dim`` is ``vector_size``); creating one
    reads nothing and trains nothing.

    :param path: pretrained vectors to load instead of training from scratch.
    :param train_on_text: with ``path``, let ``fit`` continue training the loaded vectors on the given texts.
    :param adapt_epochs: epochs of each continued-training step in ``adapt`` (default: ``epochs``).
    :param workers: gensim worker threads (default: ``ctx.device.cpu_threads``).
    :param corpus_file: train from a temporary corpus file (gensim's fast path) rather than a token stream.
    :param binary, limit: how to read a word2vec file at ``path`` (default: guessed; all vectors).
    """

    name = "word2vec"
    trainable_on_text = True

    def __init__(self, path: str | None = None, dim: int = 100, window: int = 5, min_count: int = 5,
                 epochs: int = 5, sg: bool = False, negative: int = 5, sample: float = 1e-3,
                 alpha: float = 0.025, min_alpha: float = 1e-4, max_final_vocab: int | None = None,
                 train_on_text: bool = False, adapt_epochs: int | None = None, workers: int | None = None,
                 corpus_file: bool = True, binary: bool | None = None, limit: int | None = None) -> None:
        self.path = path
        self._dim = dim
        self.window = window
        self.min_count = min_count
        self.epochs = epochs
        self.sg = sg
        self.negative = negative
        self.sample = sample
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.max_final_vocab = max_final_vocab
        self.train_on_text = train_on_text
        self.adapt_epochs = adapt_epochs
        self.workers = workers
        self.corpus_file = corpus_file
        self.binary = binary
        self.limit = limit
        self.kv_ = None  # gensim KeyedVectors once fitted
        self.model_ = None  # the full gensim Word2Vec when there is one (needed to continue training)
        self.state_key_: str | None = None  # how the current vectors came to be (chained cache keys)

    # -- the Embedding protocol ---------------------------------------------------------------------------
    def config_extra(self) -> dict[str, Any]:
        # A file's vectors have the file's size, whatever ``dim`` says.
        return {"dim": None if self.path else self._dim, "sg": bool(self.sg)}

    @property
    def dim(self) -> int:
        """The vector size: the configured ``dim``, or the loaded file's."""
        if self.kv_ is not None:
            return int(self.kv_.vector_size)
        if self.path:
            return int(self._vectors().vector_size)
        return int(self._dim)

    @property
    def is_fitted(self) -> bool:
        """True once trained, or from the start when loaded from ``path``."""
        return self.kv_ is not None or bool(self.path)

    def lookup(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(float32 matrix of shape (len(words), dim), bool mask of known words); unknown words get zero rows."""
        kv = self._vectors()
        index = kv.key_to_index
        ids = np.fromiter((index.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        found = ids >= 0
        matrix = np.zeros((len(words), kv.vector_size), dtype=np.float32)
        matrix[found] = kv.vectors[ids[found]]
        return matrix, found

    def words(self) -> list[str]:
        """Every word this embedding has a vector for, most frequent first."""
        return list(self._vectors().index_to_key)

    # -- training -----------------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], ctx: Context) -> Word2VecEmbedding:
        """Train on ``texts`` (from scratch; or, for loaded vectors with ``train_on_text=True``, continuing from
        them). Vectors that are already there are kept: a loaded file without ``train_on_text`` or an embedding
        trained before. Make a new embedding to train again."""
        if self.kv_ is not None:
            return self
        if self.path and not self.train_on_text:
            self._vectors()
            return self
        self._train_steps([texts], ctx, what="fit")
        return self

    def adapt(self, target_texts: Sequence[str], ctx: Context, source_texts: Sequence[str] = ()) -> None:
        """Domain-adaptive pretraining: start from the current vectors (trained or loaded; from scratch when
        there are none), train on ``source_texts`` when given, then continue on ``target_texts``, the target
        domain's unlabeled text (new words join the vocabulary; every vector keeps training)."""
        if len(target_texts) == 0:
            raise DataError("domain-adaptive word2vec got no unlabeled target text: the target corpus has no "
                            "unlabeled split and no training texts; give the target an unlabeled split or use "
                            "another strategy")
        steps = [source_texts, target_texts] if len(source_texts) else [target_texts]
        self._train_steps(steps, ctx, what="adapt")

    # -- internals ----------------------------------------------------------------------------------------
    def _train_options(self) -> dict[str, Any]:
        return {"window": self.window, "min_count": self.min_count, "epochs": self.epochs, "sg": bool(self.sg),
                "negative": self.negative, "sample": self.sample, "alpha": self.alpha, "min_alpha": self.min_alpha,
                "max_final_vocab": self.max_final_vocab}

    def _vectors(self):
        if self.kv_ is None:
            if not self.path:
                raise ConfigError("the word2vec embedding has no vectors yet: train it with fit(texts, ctx) or "
                                  "adapt(...), or give embedding.path=<vectors file>")
            loaded = self._pretrained()[1]
            self.kv_ = getattr(loaded, "wv", loaded)
        return self.kv_

    def _pretrained(self) -> tuple[str, Any]:
        """(state key, KeyedVectors or Word2Vec) of the file at ``path``, read once per process."""
        from tlbench_gensim.vectors_file import file_key, load_vectors

        path = Path(self.path).expanduser().resolve()
        if not path.is_file():
            load_vectors(path)  # raises the one-line DataError
        memo_key = (str(path), file_key(path), self.binary, self.limit)
        if memo_key not in _FILE_MEMO:
            loaded = load_vectors(path, binary=self.binary, limit=self.limit)
            _FILE_MEMO.clear()  # one large table at a time is enough for a study
            _FILE_MEMO[memo_key] = loaded
        return content_key("file", memo_key[1], self.binary, self.limit), _FILE_MEMO[memo_key]

    def _start(self) -> tuple[str, Any]:
        """(state key, starting point) for further training: the current model, the loaded file, or nothing."""
        if self.kv_ is not None and self.state_key_ is not None:
            return self.state_key_, self.model_ if self.model_ is not None else self.kv_
        if self.path:
            key, loaded = self._pretrained()
            # A full Word2Vec from a .model file continues with its own output weights; copied, because the
            # loaded object is shared by every cell of this process.
            return key, copy.deepcopy(loaded) if hasattr(loaded, "wv") else loaded
        return "scratch", None

    def _train_steps(self, steps: list[Sequence[str]], ctx: Context, what: str) -> None:
        import gensim

        for texts in steps:
            if len(texts) == 0:
                raise DataError(f"word2vec {what} got no text to train on: pass the domain's texts (ctx.unlabeled "
                                f"or the training texts)")
        state_key, start = self._start()
        options = self._train_options()
        keys = []
        for i, texts in enumerate(steps):
            continuing = i > 0 or state_key != "scratch"
            epochs = (self.adapt_epochs or self.epochs) if (what == "adapt" and continuing) else self.epochs
            state_key = content_key(_CACHE_KIND, state_key, fingerprint_texts(texts), options, epochs,
                                    self._dim if start is None and i == 0 else None, ctx.seed, TOKENS_VERSION,
                                    gensim.__version__.rsplit(".", 1)[0])
            keys.append((state_key, epochs))
        # Resume after the last step that some earlier cell (or process) already trained.
        done = 0
        model = start
        for i in range(len(keys) - 1, -1, -1):
            hit = ctx.cache.get_verified(_CACHE_KIND, keys[i][0]) if ctx.cache is not None else None
            if hit is not None:
                from gensim.models import Word2Vec

                model = Word2Vec.load(str(hit / _MODEL_FILE))
                done = i + 1
                ctx.info.setdefault("word2vec", []).append({"step": what, "cached": True, "vocab": len(model.wv)})
                break
        for i in range(done, len(steps)):
            key, epochs = keys[i]
            model, record = self._train_one(model, steps[i], epochs, ctx)
            ctx.info.setdefault("word2vec", []).append({"step": what, "cached": False, **record})
            if ctx.cache is not None:
                info = json.dumps(record)

                def write(d: Path, m=model, info=info) -> None:
                    m.save(str(d / _MODEL_FILE))
                    (d / "info.json").write_text(info)

                ctx.cache.put_signed(_CACHE_KIND, key, write)  # gensim pickles: signed, verified on read
        self.model_ = model if hasattr(model, "wv") else None
        self.kv_ = model.wv if hasattr(model, "wv") else model
        self.state_key_ = keys[-1][0]

    def _new_model(self, vector_size: int, ctx: Context):
        from gensim.models import Word2Vec

        return Word2Vec(vector_size=vector_size, window=self.window, min_count=self.min_count, sg=int(self.sg),
                        hs=0, negative=self.negative, sample=self.sample, alpha=self.alpha,
                        min_alpha=self.min_alpha, max_final_vocab=self.max_final_vocab, epochs=self.epochs,
                        workers=self._workers(ctx), seed=int(ctx.seed) % (2**31))

    def _workers(self, ctx: Context) -> int:
        return max(1, int(self.workers or ctx.device.cpu_threads))

    def _train_one(self, start, texts: Sequence[str], epochs: int, ctx: Context):
        """Train one step on ``texts`` from ``start`` (None: from scratch; a KeyedVectors: a fresh model whose
        shared words start from those vectors; a Word2Vec: continued in place). Returns (model, record)."""
        from gensim.models import KeyedVectors

        if ctx.workdir is not None:
            Path(ctx.workdir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="tlbench-w2v-", dir=ctx.workdir) as tmp:
            corpus = _Corpus(texts, Path(tmp) / "corpus.txt" if self.corpus_file else None)
            if corpus.lines == 0:
                raise DataError(f"the {len(texts)} texts given to word2vec contain no words")
            began, began_cpu = time.perf_counter(), time.process_time()
            if start is None or isinstance(start, KeyedVectors):
                model = self._new_model(start.vector_size if start is not None else self._dim, ctx)
                keep = None
                if start is not None:
                    from gensim.utils import RULE_DEFAULT, RULE_KEEP

                    known = start.key_to_index
                    # A pretrained word seen at least once stays, whatever min_count says: it has a vector already.
                    def keep(word, count, min_count):
                        return RULE_KEEP if word in known else RULE_DEFAULT
                model.build_vocab(**corpus.kwargs(), trim_rule=keep)
                if len(model.wv) == 0:
                    raise DataError(f"no word occurs at least min_count={self.min_count} times in the {len(texts)} "
                                    f"texts given to word2vec ({corpus.tokens} tokens): lower embedding.min_count "
                                    f"or give it more text")
                seeded = _seed_from(model, start) if start is not None else 0
            else:
                model = start
                model.workers = self._workers(ctx)
                model.build_vocab(**corpus.kwargs(), update=True)
                seeded = 0
            words_before = len(model.wv)
            effective, raw = model.train(**corpus.kwargs(), total_examples=model.corpus_count,
                                         total_words=model.corpus_total_words, epochs=epochs,
                                         callbacks=[_progress(ctx, epochs)])
            seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - began_cpu
        record = {"texts": len(texts), "tokens": corpus.tokens, "epochs": epochs, "vocab": words_before,
                  "seeded_from_pretrained": seeded, "raw_words": int(raw), "effective_words": int(effective),
                  "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3),
                  "words_per_s": round(epochs * corpus.tokens / max(seconds, 1e-9)),
                  "workers": model.workers}
        return model, record


class _Corpus:
    """The training text in the form gensim reads: a corpus file (fast path) or a stream of token lists."""

    def __init__(self, texts: Sequence[str], file: Path | None) -> None:
        self.file = file
        if file is not None:
            self.lines, self.tokens = write_corpus_file(texts, file)
            self.stream = None
        else:
            self.stream = TokenLists(texts)
            self.lines = self.tokens = 0
            for words in self.stream:
                self.lines += 1
                self.tokens += len(words)

    def kwargs(self) -> dict[str, Any]:
        return {"corpus_file": str(self.file)} if self.file is not None else {"corpus_iterable": self.stream}


def _seed_from(model, kv) -> int:
    """Copy ``kv``'s vectors into ``model`` for the words both know; returns how many."""
    pairs = [(i, kv.key_to_index[w]) for w, i in model.wv.key_to_index.items() if w in kv.key_to_index]
    if pairs:
        ours, theirs = (np.array(x, dtype=np.int64) for x in zip(*pairs))
        model.wv.vectors[ours] = kv.vectors[theirs]
    return len(pairs)


def _progress(ctx: Context, epochs: int):
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochReport(CallbackAny2Vec):
        def __init__(self) -> None:
            self.epoch = 0

        def on_epoch_end(self, model) -> None:
            self.epoch += 1
            ctx.report("pretrain", self.epoch, epochs)

    return EpochReport()
