"""The ``cnn-doc`` encoder: a System made of any static Embedding and the CNN document model (Keras 3).

Vocabulary and out-of-vocabulary handling: ``prepare`` builds the vocabulary from the cell's training texts only
(the words within the sentences × words cut, at least ``min_count`` times, at most ``max_vocab`` of the most
frequent). The embedding matrix has a row per vocabulary word: the embedding's vector where it knows the word,
otherwise a random normal vector with the embedding's own spread (seeded by ``ctx.seed``), learned in training.
Row 0 (padding) and row 1 (out-of-vocabulary: words never seen in training, or rarer than ``min_count``) start at
zero. ``ctx.info`` records the vocabulary size and the share of vocabulary words / training tokens the embedding
did not know.

Training: Adam, early stopping on the validation accuracy of the validation part (carved from the training
fraction by the sampler; when none is given, ``valid_fraction`` of the training texts is held out here), with a
patience of at least ``patience`` epochs and ``patience_steps`` optimizer steps; epochs inside the first
``min_steps`` steps are not scored (unless the weights came from a trained model); the best epoch's weights
restored. At most ``epochs`` epochs, by default 30 or ``cap_steps`` optimizer steps, whichever is more.
Seeds: Python, NumPy and the backend (``keras.utils.set_random_seed``). The device comes from ``ctx.device``;
mixed precision on GPUs.

Keras and its backend are imported only when a model is built, so creating a system (to read its config) is cheap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.configurable import Configurable
from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.errors import ConfigError, DataError, Incompatible
from tlbench.framework_logs import quiet_frameworks
from tlbench.system import Context, Vectors
from tlbench_keras.documents import RESERVED, TRUNCATIONS, DocumentShaper

quiet_frameworks()  # TensorFlow reads its log level once, when Keras first imports it (after this module)

_WEIGHTS = "model.weights.h5"
_STATE = "state.json"
_DEFAULT_EPOCHS = 30  # the epoch cap when ``epochs`` is not set and ``cap_steps`` asks for fewer


class CnnDocSystem(Configurable):
    """The CNN document model over a static embedding. Options are the model's hyper-parameters (the book's as
    defaults, see :class:`tlbench_keras.model.Architecture`) and training settings."""

    def __init__(self, embedding: Any, *, max_sentences: int = 20, max_words: int = 30,
                 word_filters: int = 30, word_kernel: int = 5, word_kmax: int = 3, sentence_filters: int = 16,
                 sentence_kernel: int = 5, sentence_kmax: int = 4, hidden: int = 64,
                 conv_activation: str = "elu", dropout: float = 0.3, gaussian_noise: float = 0.1,
                 train_embedding: bool = True, min_count: int = 1, max_vocab: int | None = None,
                 epochs: int | None = None, cap_steps: int = 600, patience: int = 3, patience_steps: int = 150,
                 min_epochs: int = 0, min_steps: int = 150,
                 batch_size: int = 64, learning_rate: float = 3e-3, monitor: str = "val_accuracy",
                 select_window: int = 1, valid_fraction: float = 0.1, truncate: str = "head+tail",
                 jit_compile: bool | str = False) -> None:
        if embedding is None or not hasattr(embedding, "lookup") or not hasattr(embedding, "dim"):
            raise ConfigError("cnn-doc needs a static embedding (with lookup and dim): compose it as "
                              "EMBEDDING+cnn-doc, e.g. glove+cnn-doc")
        self.embedding = embedding
        # The registry renames presets (glove-cnn) and compositions after creation.
        self.name = f"{getattr(embedding, 'name', 'embedding')}+cnn-doc"
        self.max_sentences, self.max_words = int(max_sentences), int(max_words)
        self.word_filters, self.word_kernel, self.word_kmax = int(word_filters), int(word_kernel), int(word_kmax)
        self.sentence_filters, self.sentence_kernel = int(sentence_filters), int(sentence_kernel)
        self.sentence_kmax, self.hidden = int(sentence_kmax), int(hidden)
        self.conv_activation, self.dropout, self.gaussian_noise = conv_activation, float(dropout), float(gaussian_noise)
        self.train_embedding = bool(train_embedding)
        self.min_count, self.max_vocab = int(min_count), (int(max_vocab) if max_vocab else None)
        self.patience, self.batch_size = int(patience), int(batch_size)
        # The epoch cap: ``epochs`` when given; by default 30 epochs or enough for ``cap_steps`` optimizer steps,
        # whichever is more. At 360 training texts an epoch is 6 steps, and 30 epochs (180 steps) stopped every
        # run while it was still learning (docs/glove-cnn.md, "Tiny budgets").
        self.epochs = int(epochs) if epochs is not None else None
        self.cap_steps = int(cap_steps)
        # Patience is also counted in optimizer steps: at 5% of IMDB an epoch is 18 steps and a run may sit on the
        # initial 50% plateau for ~100 of them (docs/glove-cnn.md), so stopping after 3 epochs stopped it there.
        self.patience_steps = int(patience_steps)
        # Epochs before early stopping starts watching (Keras' start_from_epoch): the best weights are then chosen
        # among later epochs only, so keep it 0 unless runs stop on an initial plateau.
        self.min_epochs = int(min_epochs)
        # ... and not before ``min_steps`` optimizer steps: with 40 validation texts a lucky epoch on the initial
        # plateau was kept over the better later ones (docs/glove-cnn.md, "Tiny budgets"); at 1,000+ training
        # texts 150 steps are at most 9 epochs, at 100% of IMDB less than one.
        self.min_steps = int(min_steps)
        self.learning_rate, self.valid_fraction = float(learning_rate), float(valid_fraction)
        # What early stopping watches and restores the best of: "val_accuracy" (default) or "val_loss". The loss is
        # lowest at epoch 1 when a small run's later epochs grow confident, which restored near-chance weights.
        self.monitor = str(monitor)
        # Epochs whose mean ``monitor`` scores a stretch of training for early stopping: with 40 validation texts
        # one epoch's accuracy is partly luck (docs/glove-cnn.md, "Tiny budgets"). 1: the single epoch.
        self.select_window = int(select_window)
        self.truncate = truncate
        # XLA compilation costs more than it saves for a model this small on CPU; "auto" lets Keras decide.
        self.jit_compile = jit_compile
        self._check_options()

    def _check_options(self) -> None:
        if self.word_kmax > self.max_words or self.sentence_kmax > self.max_sentences:
            raise ConfigError(f"cnn-doc: word_kmax ({self.word_kmax}) must be <= max_words ({self.max_words}) and "
                              f"sentence_kmax ({self.sentence_kmax}) <= max_sentences ({self.max_sentences})")
        if min(self.max_sentences, self.max_words, self.word_filters, self.sentence_filters, self.hidden,
               self.epochs or 1, self.batch_size, self.min_count) < 1:
            raise ConfigError("cnn-doc: sizes, epochs, batch_size and min_count must be >= 1")
        if (min(self.cap_steps, self.patience, self.patience_steps, self.min_epochs, self.min_steps) < 0
                or self.select_window < 1):
            raise ConfigError("cnn-doc: cap_steps, patience, patience_steps, min_epochs and min_steps must be >= 0 "
                              "and select_window >= 1")
        if self.truncate not in TRUNCATIONS:
            raise ConfigError(f"cnn-doc: truncate must be one of {', '.join(TRUNCATIONS)}, not {self.truncate!r}")
        if self.monitor not in ("val_loss", "val_accuracy"):
            raise ConfigError(f"cnn-doc: monitor must be val_loss or val_accuracy, not {self.monitor!r}")
        if not 0 <= self.dropout < 1 or not 0 <= self.valid_fraction < 1:
            raise ConfigError("cnn-doc: dropout and valid_fraction must be in [0, 1)")

    # -- configuration -----------------------------------------------------------------------------------
    def architecture(self):
        from tlbench_keras.model import Architecture

        return Architecture(**{k: getattr(self, k) for k in _arch_keys()})

    def config_extra(self) -> dict[str, Any]:
        return {"encoder": "cnn-doc"}

    # -- capabilities ------------------------------------------------------------------------------------
    def prepare(self, train: Split, ctx: Context) -> None:
        """Vocabulary from ``train``'s texts, embedding matrix from the embedding, a fresh model; no training."""
        if len(train) == 0:
            raise DataError("cnn-doc got an empty training split: nothing to learn from")
        if getattr(self.embedding, "trainable_on_text", False) and not self.embedding.is_fitted:
            self.embedding.fit(list(ctx.unlabeled) or list(train.texts), ctx)
        self._seed(ctx)
        shaper, cut = DocumentShaper.from_texts(train.texts, self.max_sentences, self.max_words,
                                                min_count=self.min_count, max_size=self.max_vocab,
                                                truncate=self.truncate)
        matrix, found = self._initial_matrix(shaper.words, ctx.seed)
        self.shaper_ = shaper
        self.label_names_ = tuple(train.label_names)
        grid = shaper.ids(train.texts, cut)
        self._train_cache = (train, grid)
        self._build(matrix, ctx.device)
        word_ids = grid[grid >= RESERVED] - RESERVED
        ctx.info.update({
            "vocab_size": len(shaper.words),
            "embedding_oov_words": int((~found).sum()),
            "embedding_oov_rate": float((~found).mean()),
            "embedding_oov_token_rate": float((~found)[word_ids].mean()) if len(word_ids) else 0.0,
            "keras_backend": self._backend(),
        })

    def _initial_matrix(self, words: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
        vectors, found = self.embedding.lookup(words)
        vectors = np.asarray(vectors, dtype=np.float32)
        found = np.asarray(found, dtype=bool)
        dim = int(self.embedding.dim)
        if vectors.shape != (len(words), dim):
            raise DataError(f"embedding {self.embedding.name} returned vectors of shape {vectors.shape} for "
                            f"{len(words)} words of dimension {dim}")
        spread = float(vectors[found].std()) if found.any() else 0.1
        rng = np.random.default_rng(seed)
        vectors[~found] = rng.normal(0.0, spread, size=(int((~found).sum()), dim)).astype(np.float32)
        matrix = np.zeros((len(words) + RESERVED, dim), dtype=np.float32)
        matrix[RESERVED:] = vectors
        return matrix, found

    def _build(self, matrix: np.ndarray, device: Device | None) -> None:
        from tlbench_keras.device_scope import device_scope, dtype_policy
        from tlbench_keras.model import build_model

        self.device_ = device
        with device_scope(device):
            self.model_ = build_model(self.architecture(), matrix.shape[0], matrix.shape[1],
                                      len(self.label_names_), matrix, dtype=dtype_policy(device))

    def fit(self, train: Split, valid: Split | None, ctx: Context) -> CnnDocSystem:
        """Train (from the current weights) with early stopping on ``valid``; records epochs in ``ctx.info``."""
        import keras

        from tlbench_keras.device_scope import device_scope
        from tlbench_keras.progress import EpochReporter
        from tlbench_keras.stopping import WindowedEarlyStopping

        if not hasattr(self, "model_"):
            self.prepare(train, ctx)
        elif tuple(train.label_names) != self.label_names_:
            raise Incompatible(f"cnn-doc was prepared for labels {list(self.label_names_)}, "
                               f"got {list(train.label_names)}")
        self._seed(ctx)
        # prepare() already turned these very texts into ids; reuse them once.
        cached = getattr(self, "_train_cache", None)
        x = cached[1] if cached is not None and cached[0] is train else self.shaper_.ids(train.texts)
        self._train_cache = None
        y = np.asarray(train.labels, dtype=np.int64)
        if valid is None or len(valid) == 0:
            x, y, xv, yv = self._hold_out(x, y, ctx.seed)
        else:
            xv, yv = self.shaper_.ids(valid.texts), np.asarray(valid.labels, dtype=np.int64)
        if (y < 0).any() or (y >= len(self.label_names_)).any():
            raise DataError(f"cnn-doc training labels must be 0..{len(self.label_names_) - 1}; got unlabeled or "
                            f"out-of-range labels")
        ctx.info.update(DocumentShaper.token_stats(x))
        model, epochs = self.model_, self._epoch_cap(len(x))
        with device_scope(ctx.device):
            model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                          jit_compile=self.jit_compile)
            stopper = WindowedEarlyStopping(self.monitor, patience=self._patience(len(x)), window=self.select_window,
                                            start_from_epoch=self._first_scored_epoch(len(x)))
            history = model.fit(x, y, validation_data=(xv, yv) if len(xv) else None, epochs=epochs,
                                batch_size=self.batch_size, shuffle=True, verbose=0,
                                callbacks=[stopper, EpochReporter(ctx, epochs)] if len(xv)
                                else [EpochReporter(ctx, epochs)])
        val_loss = history.history.get("val_loss", [])
        ctx.info["epochs_run"] = len(history.history.get("loss", []))
        ctx.info["patience_epochs"] = self._patience(len(x))
        ctx.info["epoch_cap"] = epochs
        if val_loss:
            # The epoch whose weights the model keeps (the last one when stopping never started monitoring).
            best = int(stopper.best_epoch) if stopper.best_epoch is not None else len(val_loss) - 1
            ctx.info["best_epoch"] = best + 1
            ctx.info["best_val_accuracy"] = float(history.history["val_accuracy"][best])
            ctx.info["val_accuracy_by_epoch"] = [round(float(a), 4) for a in history.history["val_accuracy"]]
        return self

    def _patience(self, n_train: int) -> int:
        """Epochs without improvement before stopping: ``patience``, or more when an epoch has few steps."""
        return max(self.patience, -(-self.patience_steps // self._steps_per_epoch(n_train)))

    def _epoch_cap(self, n_train: int) -> int:
        """Epochs at most: ``epochs`` when set, else 30 or enough epochs for ``cap_steps`` optimizer steps."""
        if self.epochs is not None:
            return self.epochs
        return max(_DEFAULT_EPOCHS, -(-self.cap_steps // self._steps_per_epoch(n_train)))

    def _first_scored_epoch(self, n_train: int) -> int:
        """0-based index of the first epoch early stopping scores: ``min_epochs``, or later until ``min_steps`` —
        unless the network started from trained weights (``init_from``), which have no initial plateau."""
        if getattr(self, "warm_started_", False):
            return self.min_epochs
        return max(self.min_epochs, self.min_steps // self._steps_per_epoch(n_train))

    def _steps_per_epoch(self, n_train: int) -> int:
        return max(1, -(-n_train // self.batch_size))

    def _hold_out(self, x: np.ndarray, y: np.ndarray, seed: int):
        n_valid = int(round(len(x) * self.valid_fraction))
        if n_valid < 1 or len(x) - n_valid < 1:
            return x, y, x[:0], y[:0]
        order = np.random.default_rng(seed).permutation(len(x))
        return x[order[n_valid:]], y[order[n_valid:]], x[order[:n_valid]], y[order[:n_valid]]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (len(texts), n_labels); texts without words get the padding-only input."""
        model = self._fitted_model()
        if len(texts) == 0:
            return np.zeros((0, len(self.label_names_)), dtype=np.float64)
        x = self.shaper_.ids(list(texts))
        with self._scope():
            proba = model.predict(x, batch_size=max(256, self.batch_size), verbose=0)
        proba = np.asarray(proba, dtype=np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def export_vectors(self) -> Vectors:
        """The learned embedding table of the vocabulary words (reserved rows left out)."""
        model = self._fitted_model()
        table = np.asarray(model.get_layer("embedding").get_weights()[0], dtype=np.float32)
        return Vectors(tuple(self.shaper_.words), table[RESERVED:].copy())

    def import_vectors(self, vectors: Vectors) -> int:
        """Overwrite the vector of every vocabulary word that ``vectors`` also has; return how many."""
        model = self._fitted_model()
        layer = model.get_layer("embedding")
        table = np.array(layer.get_weights()[0], dtype=np.float32)
        if vectors.dim != table.shape[1]:
            raise Incompatible(f"cannot import {vectors.dim}-d vectors into a {table.shape[1]}-d embedding")
        index = self.shaper_.index
        pairs = [(index[w], i) for i, w in enumerate(vectors.words) if w in index]
        if pairs:
            rows, src = np.array(pairs).T
            table[rows] = vectors.matrix[src]
            layer.set_weights([table])
        return len(pairs)

    def init_from(self, other: Any, *, include_head: bool, freeze_encoder: bool) -> int:
        """Copy the convolution and dense weights of a fitted cnn-doc system (and the head when
        ``include_head``); ``freeze_encoder`` keeps the two convolutions fixed in later training. Returns the number
        of tensors copied. Embedding vectors are carried separately (``import_vectors``)."""
        from tlbench_keras.model import ENCODER_LAYERS, HEAD_LAYER

        model = self._fitted_model()
        source = getattr(other, "model_", None)
        if source is None or not isinstance(other, CnnDocSystem):
            raise Incompatible(f"cnn-doc can only take weights from a fitted cnn-doc system, not {type(other).__name__}")
        names = [*ENCODER_LAYERS, HEAD_LAYER] if include_head else list(ENCODER_LAYERS)
        copied = 0
        for name in names:
            weights = source.get_layer(name).get_weights()
            mine = model.get_layer(name)
            shapes = [w.shape for w in mine.get_weights()]
            if [w.shape for w in weights] != shapes:
                raise Incompatible(f"cnn-doc layer {name!r} has shapes {shapes} here but "
                                   f"{[w.shape for w in weights]} in the source model: use the same architecture "
                                   f"(and label count for the head)")
            mine.set_weights(weights)
            copied += len(weights)
        for name in ("word_conv", "sentence_conv"):
            model.get_layer(name).trainable = not freeze_encoder
        self.warm_started_ = True
        return copied

    def save(self, path: Path) -> None:
        """Weights as ``model.weights.h5`` and vocabulary, labels and config as JSON (nothing pickled)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        model = self._fitted_model()
        model.save_weights(str(path / _WEIGHTS))
        (path / _STATE).write_text(json.dumps({
            "config": self.get_config(), "words": self.shaper_.words, "labels": list(self.label_names_),
            "dim": int(model.get_layer("embedding").get_weights()[0].shape[1]),
        }))

    def load(self, path: Path) -> CnnDocSystem:
        """Restore a state written by :meth:`save` into this (fresh) system; its architecture must match."""
        path = Path(path)
        try:
            state = json.loads((path / _STATE).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(f"{path} holds no saved cnn-doc model ({exc}): save one with save(path) first") from exc
        saved = state["config"]
        differs = [k for k in _arch_keys() if saved.get(k) != getattr(self, k)]
        if differs:
            raise Incompatible(f"the cnn-doc model saved in {path} has a different architecture "
                               f"({', '.join(differs)}); create the system with the same options")
        self.truncate = saved.get("truncate", "head")  # the cut the model was trained with
        self.shaper_ = DocumentShaper(state["words"], self.max_sentences, self.max_words, self.truncate)
        self.label_names_ = tuple(state["labels"])
        self._build(np.zeros((len(state["words"]) + RESERVED, int(state["dim"])), dtype=np.float32),
                    getattr(self, "device_", None))
        self.model_.load_weights(str(path / _WEIGHTS))
        return self

    def to_device(self, device: Device) -> CnnDocSystem:
        """Predict on ``device`` from now on: Keras places a model's variables when it builds them, so the model
        is built again inside ``device``'s scope (with its dtype policy) and given the same weights."""
        model = self._fitted_model()
        if device == getattr(self, "device_", None):
            return self
        table = model.get_layer("embedding").get_weights()[0]
        self._build(np.zeros(table.shape, dtype=np.float32), device)
        for layer in model.layers:  # layer by layer, with the trainable flags init_from may have set
            moved = self.model_.get_layer(layer.name)
            moved.set_weights(layer.get_weights())
            moved.trainable = layer.trainable
        return self

    # -- internals ---------------------------------------------------------------------------------------
    def _fitted_model(self):
        model = getattr(self, "model_", None)
        if model is None:
            raise ConfigError("cnn-doc has no model yet: call prepare(train, ctx) or fit(...) first")
        return model

    def _scope(self):
        from tlbench_keras.device_scope import device_scope

        return device_scope(getattr(self, "device_", None))

    @staticmethod
    def _seed(ctx: Context) -> None:
        import keras

        keras.utils.set_random_seed(ctx.seed % (2**32))

    @staticmethod
    def _backend() -> str:
        import keras

        return keras.backend.backend()


class AdaptableCnnDocSystem(CnnDocSystem):
    """cnn-doc over an embedding trained on text (word2vec): offers ``adapt`` by delegating to the embedding."""

    def adapt(self, target_texts: Sequence[str], ctx: Context, source_texts: Sequence[str] = ()) -> None:
        """Continue the embedding's unsupervised training (source text first, then the target's) before fit."""
        self.embedding.adapt(target_texts, ctx, source_texts=source_texts)


def _arch_keys() -> list[str]:
    """The options that shape the network: the fields of :class:`tlbench_keras.model.Architecture`."""
    from dataclasses import fields

    from tlbench_keras.model import Architecture

    return [f.name for f in fields(Architecture)]


def cnn_doc(embedding: Any = None, **options: Any) -> CnnDocSystem:
    """The encoder factory (``EMBEDDING+cnn-doc``): a cnn-doc System over ``embedding``; it offers ``adapt`` only
    when the embedding can adapt."""
    if embedding is None:
        raise ConfigError("cnn-doc needs an embedding: compose it as EMBEDDING+cnn-doc, e.g. glove+cnn-doc")
    cls = AdaptableCnnDocSystem if callable(getattr(embedding, "adapt", None)) else CnnDocSystem
    try:
        return cls(embedding, **options)
    except TypeError as exc:
        raise ConfigError(f"cnn-doc: {exc}") from None

