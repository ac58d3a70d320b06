"""Dead-unit probe for cnn-doc: after a few epochs, how many units of each ReLU/ELU layer are active on a held-out
part of a corpus's *training* split (never its test split), and what share of it the model calls class 0.

    python bench/diag_dead_units.py CORPUS N_TRAIN SEEDS EPOCHS [OPTIONS_JSON]
"""
import json, sys, time
import numpy as np
sys.path.insert(0, "bench")
from bench_glove_cnn import _dev_parts
from tlbench.plugins import get_registry
from tlbench.system import Context

corpus, n_train, seeds, epochs = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")], int(sys.argv[4])
opts = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
reg = get_registry()
import keras
for seed in seeds:
    held, valid, train = _dev_parts(reg, corpus, "../shared/data", n_train, 800, seed)
    ctx = Context(seed=seed)
    t = time.perf_counter()
    sysm = reg.create_system("glove-cnn", {"epochs": epochs, **opts}).fit(train, valid, ctx)
    m = sysm.model_
    x = sysm.shaper_.ids(held.texts)
    probe = keras.Model(m.input, [m.get_layer(n).output for n in ("word_conv", "sentence_conv", "hidden", "head")])
    wc, sc, hid, head = probe.predict(x, batch_size=256, verbose=0)
    alive = lambda a: int((np.asarray(a).reshape(-1, a.shape[-1]).max(axis=0) > 0).sum())
    pred = head.argmax(1)
    acc = float((pred == held.labels).mean())
    print(json.dumps({"corpus": corpus, "seed": seed, "opts": opts, "held_acc": round(acc, 4),
        "pred_share_0": round(float((pred == 0).mean()), 3),
        "alive_word_conv": f"{alive(wc)}/{wc.shape[-1]}", "alive_sentence_conv": f"{alive(sc)}/{sc.shape[-1]}",
        "alive_hidden": f"{alive(hid)}/{hid.shape[-1]}",
        "val_by_epoch": ctx.info.get("val_accuracy_by_epoch"), "s": round(time.perf_counter() - t, 1)}), flush=True)
