"""Dead-unit probe for cnn-doc: after a few epochs, how many units of each convolution and of the dense layer are
positive for at least one review of a held-out part of a corpus's *training* split (never its test split), and
what share of that part the model calls class 0 (docs/glove-cnn.md, "Dead units").

    python bench/diag_dead_units.py CORPUS N_TRAIN SEEDS EPOCHS [OPTIONS_JSON]
    python bench/diag_dead_units.py imdb 6250 0,1,2 1 '{"conv_activation": "relu"}'
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_glove_cnn import _dev_parts  # noqa: E402

LAYERS = ("word_conv", "sentence_conv", "hidden")


def alive(activations: np.ndarray) -> int:
    """Units (last axis) positive somewhere in the batch: a ReLU unit at zero everywhere gets no gradient."""
    return int((activations.reshape(-1, activations.shape[-1]).max(axis=0) > 0).sum())


def probe(corpus: str, n_train: int, seed: int, epochs: int, options: dict, data_dir: str = "../shared/data") -> dict:
    import keras

    from tlbench.plugins import get_registry
    from tlbench.system import Context

    registry = get_registry()
    held, valid, train = _dev_parts(registry, corpus, data_dir, n_train, 800, seed)
    ctx = Context(seed=seed)
    start = time.perf_counter()
    system = registry.create_system("glove-cnn", {"epochs": epochs, **options}).fit(train, valid, ctx)
    model = system.model_
    outputs = [model.get_layer(name).output for name in (*LAYERS, "head")]
    *layers, head = keras.Model(model.input, outputs).predict(system.shaper_.ids(held.texts), batch_size=256,
                                                              verbose=0)
    pred = head.argmax(axis=1)
    return {"corpus": corpus, "seed": seed, "options": options,
            "held_acc": round(float((pred == held.labels).mean()), 4),
            "pred_share_0": round(float((pred == 0).mean()), 3),
            **{f"alive_{name}": f"{alive(a)}/{a.shape[-1]}" for name, a in zip(LAYERS, layers)},
            "val_by_epoch": ctx.info.get("val_accuracy_by_epoch"), "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    corpus, n_train, seeds, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    options = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    for seed in map(int, seeds.split(",")):
        print(json.dumps(probe(corpus, n_train, seed, epochs, options)), flush=True)


if __name__ == "__main__":
    main()
